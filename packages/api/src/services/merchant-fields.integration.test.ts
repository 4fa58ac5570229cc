/**
 * Issue 14, item 7: the merchant fields the gateway may require. An attraction's
 * `secondaryMerchantId` / `storeId` go with each of its pays (MAPI `extend_info`, OpenAPI
 * `store_id`) when set, and `notify_url` goes with every pay. Checked on the bytes the
 * sandbox received over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  code,
  createAlipay,
  createHarness,
  KIOSK,
  ADULT,
  SLOT_14,
  TEST_PAY_REQUEST_KEY,
  type Harness,
} from "./__tests__/harness.ts";
import { startRecordingProxy, type RecordingProxy } from "./__tests__/recording-proxy.ts";
import { createMoneyServices, type MoneyServices } from "./index.ts";
import { memoryTicketKeys } from "./ticket-keys.ts";

const NOTIFY_URL = "http://127.0.0.1:9/api/alipay/notify";

for (const protocol of ["mapi", "openapi"] as const) {
  describe(`merchant fields on the pay request, ${protocol}`, () => {
    let h: Harness;
    let proxy: RecordingProxy;
    let services: MoneyServices;
    beforeAll(async () => {
      h = await createHarness("sqlite", { protocol });
      proxy = await startRecordingProxy(h.sandbox.gatewayUrl);
      services = createMoneyServices({
        db: h.db.db,
        provider: "sqlite",
        clock: h.clock,
        alipay: createAlipay({ gatewayUrl: proxy.url, clock: h.clock, protocol, notifyUrl: NOTIFY_URL }),
        ticketKeys: memoryTicketKeys(h.ticketKeyPems),
        payRequestKey: TEST_PAY_REQUEST_KEY,
      });
    });
    afterAll(async () => {
      await services?.worker.stop();
      await proxy?.close();
      await h?.close();
    });

    async function payParams(): Promise<URLSearchParams> {
      const order = await services.orders.create({
        actor: KIOSK,
        lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 1 }],
      });
      const payment = await services.payments.start({ orderId: order.id, paymentCode: code("success"), actor: KIOSK });
      expect(payment.state).toBe("PAID");
      const sent = proxy.received.filter((r) => r.body.includes(payment.partnerTransId));
      expect(sent).toHaveLength(1);
      return new URLSearchParams(sent[0]!.body);
    }

    it("sends the attraction's secondary merchant and store when set, and always notify_url", async () => {
      await h.db.db.attraction.update({
        where: { id: "attr_skyline" },
        data: { secondaryMerchantId: "SKY_2088", storeId: "SKY-GATE-1" },
      });
      const params = await payParams();
      if (protocol === "mapi") {
        expect(params.get("notify_url")).toBe(NOTIFY_URL);
        expect(JSON.parse(params.get("extend_info") ?? "{}")).toMatchObject({
          secondary_merchant_id: "SKY_2088",
          store_id: "SKY-GATE-1",
          terminal_id: KIOSK.id,
        });
      } else {
        expect(params.get("notify_url")).toBe(NOTIFY_URL);
        expect(JSON.parse(params.get("biz_content") ?? "{}")).toMatchObject({
          store_id: "SKY-GATE-1",
          terminal_id: KIOSK.id,
        });
      }
    });

    it("sends neither when the attraction has none", async () => {
      await h.db.db.attraction.update({
        where: { id: "attr_skyline" },
        data: { secondaryMerchantId: null, storeId: null },
      });
      const params = await payParams();
      expect(params.get("notify_url")).toBe(NOTIFY_URL);
      const sent =
        protocol === "mapi"
          ? JSON.parse(params.get("extend_info") ?? "{}")
          : JSON.parse(params.get("biz_content") ?? "{}");
      expect(sent).not.toHaveProperty("secondary_merchant_id");
      expect(sent).not.toHaveProperty("store_id");
    });
  });
}
