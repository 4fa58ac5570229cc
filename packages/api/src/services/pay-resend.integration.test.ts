/**
 * Issue 14, item 2: a pay resent after SYSTEM_ERROR is the same request. The sandbox is reached
 * over real HTTP through a proxy that keeps every body it forwarded; the second pay body must
 * equal the first byte for byte although the clock moved on between them (MAPI
 * `trans_create_time`, OpenAPI `timestamp`), also when the resend comes from a restarted process.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbProvider } from "@kiosk/db";
import {
  ADULT,
  code,
  createAlipay,
  createHarness,
  KIOSK,
  PG_URL,
  SLOT_14,
  TEST_PAY_REQUEST_KEY,
  type Harness,
} from "./__tests__/harness.ts";
import { startRecordingProxy, type RecordingProxy } from "./__tests__/recording-proxy.ts";
import { createMoneyServices, type MoneyServices } from "./index.ts";
import { memoryTicketKeys } from "./ticket-keys.ts";

const providers: { provider: DbProvider; skip: boolean }[] = [
  { provider: "sqlite", skip: false },
  { provider: "postgresql", skip: !PG_URL },
];
const PAY_MARK = { mapi: "service=alipay.acquire.overseas.spot.pay", openapi: "method=alipay.trade.pay" } as const;

for (const { provider, skip } of providers) {
  for (const protocol of ["mapi", "openapi"] as const) {
    describe.skipIf(skip)(`pay resend after SYSTEM_ERROR, ${protocol} on ${provider}`, () => {
      let h: Harness;
      let proxy: RecordingProxy;
      const started: MoneyServices[] = [];
      beforeAll(async () => {
        h = await createHarness(provider, { protocol });
        proxy = await startRecordingProxy(h.sandbox.gatewayUrl);
      });
      afterAll(async () => {
        for (const s of started) await s.worker.stop();
        await proxy?.close();
        await h?.close();
      });

      /** A server process of its own (fresh memory), sharing the database and the sealing key. */
      function processNamed(instanceId: string): MoneyServices {
        const services = createMoneyServices({
          db: h.db.db,
          provider,
          clock: h.clock,
          alipay: createAlipay({
            gatewayUrl: proxy.url,
            clock: h.clock,
            protocol,
            notifyUrl: "http://127.0.0.1:9/api/alipay/notify",
          }),
          ticketKeys: memoryTicketKeys(h.ticketKeyPems),
          instanceId,
          payRequestKey: TEST_PAY_REQUEST_KEY,
        });
        started.push(services);
        return services;
      }

      const payBodies = (partnerTransId: string): string[] =>
        proxy.received
          .filter((r) => r.body.includes(PAY_MARK[protocol]) && r.body.includes(partnerTransId))
          .map((r) => `${r.method} ${r.path}\n${r.body}`);

      async function startFailingPay(
        services: MoneyServices,
        paymentCode: string,
      ): Promise<{ paymentId: string; partnerTransId: string }> {
        h.sandbox.setFaults({ systemErrorNext: 1 });
        const order = await services.orders.create({
          actor: KIOSK,
          lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 2 }],
        });
        const payment = await services.payments.start({ orderId: order.id, paymentCode, actor: KIOSK });
        expect(payment.state).toBe("POLLING");
        return { paymentId: payment.id, partnerTransId: payment.partnerTransId };
      }

      async function runUntilSettled(services: MoneyServices, paymentId: string): Promise<string> {
        let state = "POLLING";
        for (let step = 0; step < 120 && ["SENDING", "POLLING", "CANCELLING"].includes(state); step++) {
          await h.advance(1_000);
          await services.worker.tick();
          state = (await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } })).state;
        }
        return state;
      }

      it("resends the first pay's exact bytes (clock-derived parameters included) from the same process", async () => {
        const first = processNamed(`${protocol}-same`);
        const paymentCode = code("success");
        const { paymentId, partnerTransId } = await startFailingPay(first, paymentCode);
        expect(payBodies(partnerTransId)).toHaveLength(1);
        expect(await runUntilSettled(first, paymentId)).toBe("PAID");
        const bodies = payBodies(partnerTransId);
        expect(bodies).toHaveLength(2);
        expect(bodies[1]).toBe(bodies[0]);
        const row = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
        expect(JSON.stringify(row)).not.toContain(paymentCode);
      });

      it("resends nothing once the hold time is over, and clears the stored request", async () => {
        const first = processNamed(`${protocol}-late`);
        const { paymentId, partnerTransId } = await startFailingPay(first, code("success"));
        await first.worker.stop();
        const restarted = processNamed(`${protocol}-late-restarted`);
        await h.advance(restarted.payments.policy.payCodeHoldMs + 1_000);
        await restarted.worker.tick();
        expect((await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } })).payRequest).toBeNull();
        expect(await runUntilSettled(restarted, paymentId)).toBe("CANCELLED");
        expect(payBodies(partnerTransId)).toHaveLength(1);
      });

      it("resends the stored bytes from a restarted process that never saw the code", async () => {
        const crashed = processNamed(`${protocol}-crashed`);
        const paymentCode = code("success");
        const { paymentId, partnerTransId } = await startFailingPay(crashed, paymentCode);
        // While a resend is still possible the row holds the request only sealed.
        const waiting = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
        expect(waiting.payRequest).toMatch(/^v1\./);
        expect(JSON.stringify(waiting)).not.toContain(paymentCode);
        await crashed.worker.stop();
        const restarted = processNamed(`${protocol}-restarted`);
        expect(await runUntilSettled(restarted, paymentId)).toBe("PAID");
        const bodies = payBodies(partnerTransId);
        expect(bodies).toHaveLength(2);
        expect(bodies[1]).toBe(bodies[0]);
        const trades = [...h.sandbox.store.trades.values()].filter((t) => t.outTradeNo === partnerTransId);
        expect(trades.map((t) => t.status)).toEqual(["TRADE_SUCCESS"]);
        // Settled: nothing can be resent, so the sealed request is gone.
        expect((await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } })).payRequest).toBeNull();
      });
    });
  }
}
