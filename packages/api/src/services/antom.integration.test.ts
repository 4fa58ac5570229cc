/**
 * The scenario matrix over Antom (Alipay+, `/ams/api/v1/payments/*`, RSA256 header signatures):
 * the money path must end each purchase the same way as over MAPI and OpenAPI, with one trade
 * at most per payment and the refund naming Antom's paymentId.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ANTOM_NOTIFICATION_ACK_BODY,
  buildAntomSignContent,
  formatAntomSignatureHeader,
  loadPrivateKey,
  signAntomContent,
} from "@kiosk/alipay-core";
import { TEST_ANTOM_CLIENT_ID, TEST_GATEWAY_PRIVATE_KEY_PEM } from "@kiosk/alipay-core/testing";
import { startSandbox } from "@kiosk/alipay-sandbox";
import { serve } from "../__tests__/serve-http.ts";
import {
  ADULT,
  code,
  createAlipay,
  createHarness,
  KIOSK,
  SLOT_14,
  STAFF,
  TEST_PAY_REQUEST_KEY,
  type Harness,
} from "./__tests__/harness.ts";
import { createMoneyServices } from "./index.ts";
import { memoryTicketKeys } from "./ticket-keys.ts";
import { providers, SCENARIOS } from "./__tests__/protocol-matrix.ts";
import { handleNotifyRequest } from "./notify-http.ts";

/** A notifyPayment POST as Antom sends it: JSON body, signed in headers with Antom's key. */
function antomNotification(body: Record<string, unknown>, options: { tamper?: boolean } = {}): Request {
  const path = "/api/alipay/notify";
  const text = JSON.stringify(body);
  const requestTime = "1764900000000";
  const signature = signAntomContent(
    buildAntomSignContent({ method: "POST", path, clientId: TEST_ANTOM_CLIENT_ID, time: requestTime, body: text }),
    loadPrivateKey(TEST_GATEWAY_PRIVATE_KEY_PEM),
  );
  return new Request(`http://127.0.0.1${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json; charset=UTF-8",
      "client-id": TEST_ANTOM_CLIENT_ID,
      "request-time": requestTime,
      signature: formatAntomSignatureHeader("1", signature),
    },
    body: options.tamper ? text.replace('"value":"', '"value":"1') : text,
  });
}

for (const { provider, skip } of providers) {
  describe.skipIf(skip)(`money path over Antom on ${provider}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(provider, { protocol: "antom" });
    });
    afterAll(async () => {
      await h?.close();
    });

    for (const s of SCENARIOS) {
      it(`ends a "${s.id}" purchase in ${s.state} with ${s.tickets} tickets and the right capacity`, async () => {
        const slotBefore = await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } });
        const paymentCode = code(s.id, s.parameter !== undefined ? { parameter: s.parameter } : {});
        const { orderId, paymentId } = await h.buy({ code: paymentCode });
        expect(await h.settle(paymentId)).toBe(s.state);
        const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
        expect(payment.provider).toBe("antom");
        expect(await h.db.db.ticket.count({ where: { orderId } })).toBe(s.tickets);
        const slot = await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } });
        expect(slot.sold - slotBefore.sold).toBe(s.state === "PAID" ? 2 : 0);
        expect(slot.held).toBe(slotBefore.held);
        if (s.state === "PAID") expect(payment.alipayTransId).toBeTruthy();
        // The sandbox agrees: one trade at most, charged only when we say PAID.
        const trades = [...h.sandbox.store.trades.values()].filter((t) => t.outTradeNo === payment.partnerTransId);
        expect(trades.length).toBeLessThanOrEqual(1);
        if (s.state === "PAID") expect(trades.map((t) => t.status)).toEqual(["TRADE_SUCCESS"]);
        else expect(trades.every((t) => t.status !== "TRADE_SUCCESS")).toBe(true);
        const events = await h.db.db.paymentEvent.findMany({ where: { paymentId }, orderBy: { seq: "asc" } });
        expect(events.at(-1)?.toState).toBe(s.state);
        for (const e of events) expect(e.summary).not.toContain(paymentCode);
      });
    }

    it("records the wallet a GCash buyer paid with on the payment and its view", async () => {
      // The sandbox picks the Alipay+ wallet by the code's third digit: 2 is GCash.
      const gcash = code("success", { serial: 20_000_000 + Math.floor(Math.random() * 9_999_999) });
      const { paymentId } = await h.buy({ code: gcash });
      expect(await h.settle(paymentId)).toBe("PAID");
      const row = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
      expect({ walletName: row.walletName, paymentMethodType: row.paymentMethodType }).toEqual({
        walletName: "GCash",
        paymentMethodType: "CONNECT_WALLET",
      });
      const view = await h.services.payments.get(paymentId, KIOSK);
      expect(view.walletName).toBe("GCash");
    });

    it("cancels on the visitor's request while the buyer is entering a PIN", async () => {
      const { paymentId, orderId } = await h.buy({ code: code("pin_wait_never") });
      const cancelled = await h.services.payments.cancel(paymentId, KIOSK);
      expect(cancelled.state).toBe("CANCELLED");
      expect((await h.db.db.order.findUniqueOrThrow({ where: { id: orderId } })).state).toBe("cancelled");
    });

    it("refunds a paid purchase once: one refund call, the money moved once", async () => {
      const { paymentId } = await h.buy({ code: code("success") });
      expect(await h.settle(paymentId)).toBe("PAID");
      const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
      const before = { ...h.perTrade.get(payment.partnerTransId) };
      await h.services.refunds.request({ paymentId, reason: "antom refund", actor: STAFF });
      expect(await h.settle(paymentId)).toBe("REFUNDED");
      const trade = [...h.sandbox.store.trades.values()].find((t) => t.outTradeNo === payment.partnerTransId);
      expect(trade?.refundedMinor).toBe(trade?.amountMinor);
      expect(h.sandbox.store.refunds.filter((r) => r.tradeNo === trade?.tradeNo)).toHaveLength(1);
      const after = h.perTrade.get(payment.partnerTransId);
      expect((after?.refund ?? 0) - (before.refund ?? 0)).toBe(1);
    });

    it("takes the sandbox's own notifyPayment over real HTTP: the PIN-wait payment is PAID without a query", async () => {
      // A second sandbox that delivers notifications over HTTP to the notify route served on 127.0.0.1.
      const route = await serve((req) => handleNotifyRequest(req, services.notify));
      const gateway = await startSandbox({
        port: 0,
        clock: { now: () => h.clock.now().getTime() },
        tickIntervalMs: 0,
        logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      });
      const services = createMoneyServices({
        db: h.db.db,
        provider,
        clock: h.clock,
        alipay: createAlipay({
          gatewayUrl: gateway.gatewayUrl,
          clock: h.clock,
          protocol: "antom",
          notifyUrl: `${route.baseUrl}/api/alipay/notify`,
        }),
        ticketKeys: memoryTicketKeys(h.ticketKeyPems),
        payRequestKey: TEST_PAY_REQUEST_KEY,
      });
      try {
        const order = await services.orders.create({
          actor: KIOSK,
          lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 1 }],
        });
        const started = await services.payments.start({
          orderId: order.id,
          paymentCode: code("pin_wait_never", { serial: 20_000_000 + Math.floor(Math.random() * 9_999_999) }),
          actor: KIOSK,
        });
        expect(started.state).toBe("POLLING");
        const trade = [...gateway.store.trades.values()].find((t) => t.outTradeNo === started.partnerTransId);
        expect(gateway.operate(trade?.tradeNo ?? "", "confirm").kind).toBe("done");
        await gateway.tick();
        expect(gateway.store.notifications.map((n) => [n.format, n.status])).toEqual([["antom", "delivered"]]);
        const row = await h.db.db.payment.findUniqueOrThrow({ where: { id: started.id } });
        expect({ state: row.state, walletName: row.walletName }).toEqual({ state: "PAID", walletName: "GCash" });
        expect(await h.db.db.ticket.count({ where: { orderId: order.id } })).toBe(1);
        const events = await h.db.db.paymentEvent.findMany({ where: { paymentId: started.id } });
        expect(events.filter((e) => e.type === "query_result")).toHaveLength(0);
      } finally {
        await services.worker.stop();
        await gateway.close();
        await new Promise((resolve) => route.server.close(resolve));
      }
    });

    it("applies a verified notifyPayment (JSON, header signature) and refuses a tampered one", async () => {
      const { paymentId } = await h.buy({ code: code("pin_wait_never") });
      const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
      const body = {
        notifyType: "PAYMENT_RESULT",
        result: { resultCode: "SUCCESS", resultStatus: "S", resultMessage: "success" },
        paymentRequestId: payment.partnerTransId,
        paymentId: "20261205114010800100188000000042",
        paymentAmount: { currency: payment.currency, value: String(payment.amountMinor) },
        paymentTime: "2026-12-05T11:40:10+08:00",
      };
      const tampered = await handleNotifyRequest(antomNotification(body, { tamper: true }), h.services.notify);
      expect(tampered.status).toBe(400);
      expect((await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } })).state).not.toBe("PAID");
      const ok = await handleNotifyRequest(antomNotification(body), h.services.notify);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe(ANTOM_NOTIFICATION_ACK_BODY);
      expect((await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } })).state).toBe("PAID");
    });
  });
}
