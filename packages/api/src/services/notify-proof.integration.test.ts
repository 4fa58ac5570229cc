/**
 * Issue 14, items 1 and 4, through the server's notify endpoint over real HTTP (node:http on
 * 127.0.0.1:0, the production fetch handler) with the real sandbox gateway:
 * - a correctly signed notification settles a payment only when it names no merchant but us and
 *   carries the amount and its currency, both equal to the payment's; anything else goes to
 *   NEEDS_ATTENTION with the reason and issues no ticket;
 * - a cancel answered "no trade" (MAPI SUCCESS without trade_no, OpenAPI 10000 without action)
 *   does not forget a pay that reaches the gateway's ledger later.
 */
import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatAmount } from "@kiosk/alipay-core";
import {
  signNotificationParams,
  TEST_APP_ID,
  TEST_GATEWAY_PRIVATE_KEY_PEM,
  TEST_PARTNER_ID,
} from "@kiosk/alipay-core/testing";
import type { DbProvider } from "@kiosk/db";
import { serve } from "../__tests__/serve-http.ts";
import { NOTIFY_ENDPOINT } from "../http-handlers.ts";
import { code, createAlipay, createHarness, KIOSK, PG_URL, STAFF, type Harness } from "./__tests__/harness.ts";
import { handleNotifyRequest } from "./notify-http.ts";

const providers: { provider: DbProvider; skip: boolean }[] = [
  { provider: "sqlite", skip: false },
  { provider: "postgresql", skip: !PG_URL },
];
const GATEWAY_KEY = { signType: "RSA2", privateKey: TEST_GATEWAY_PRIVATE_KEY_PEM } as const;
const OTHER_PARTNER = "2088999999999999";
const OTHER_APP = "2021999999999999";

for (const { provider, skip } of providers) {
  for (const protocol of ["mapi", "openapi"] as const) {
    describe.skipIf(skip)(`notifications prove what they settle (${protocol} on ${provider})`, () => {
      let h: Harness;
      let server: Server;
      let notifyUrl: string;
      beforeAll(async () => {
        h = await createHarness(provider, { protocol });
        ({ server, baseUrl: notifyUrl } = await serve((request) => handleNotifyRequest(request, h.services.notify)));
        notifyUrl += NOTIFY_ENDPOINT;
      });
      afterAll(async () => {
        await new Promise((resolve) => server?.close(resolve));
        await h?.close();
      });

      /** POSTs the form body Alipay would send; returns the HTTP status and body. */
      async function post(params: Record<string, string>): Promise<{ status: number; text: string }> {
        const response = await fetch(notifyUrl, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
          body: new URLSearchParams(params).toString(),
        });
        return { status: response.status, text: await response.text() };
      }

      /** A payment of one adult ticket still waiting for the buyer (the sandbox never settles it). */
      async function waitingPayment() {
        const { paymentId, orderId } = await h.buy({ quantity: 1, code: code("pin_wait_never") });
        const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
        expect(payment).toMatchObject({ state: "POLLING", amountMinor: 3200 });
        return { paymentId, orderId, partnerTransId: payment.partnerTransId, currency: payment.currency };
      }

      /** A TRADE_SUCCESS notification for the payment, as the gateway would sign it, with `fields` changed. */
      function signedSuccess(
        p: { partnerTransId: string; currency: string },
        fields: Record<string, string | null>,
      ): Record<string, string> {
        const amount = formatAmount(3200, p.currency);
        const base: Record<string, string> =
          protocol === "mapi"
            ? {
                notify_id: `n-${p.partnerTransId}`,
                notify_type: "trade_status_sync",
                partner_trans_id: p.partnerTransId,
                alipay_trans_id: "2026030122001400000000000001",
                trade_status: "TRADE_SUCCESS",
                trans_amount: amount,
                currency: p.currency,
                partner: TEST_PARTNER_ID,
              }
            : {
                notify_id: `n-${p.partnerTransId}`,
                notify_type: "trade_status_sync",
                app_id: TEST_APP_ID,
                seller_id: TEST_PARTNER_ID,
                out_trade_no: p.partnerTransId,
                trade_no: "2026030122001400000000000001",
                trade_status: "TRADE_SUCCESS",
                total_amount: amount,
                trans_currency: p.currency,
              };
        for (const [k, v] of Object.entries(fields)) {
          if (v === null) delete base[k];
          else base[k] = v;
        }
        return signNotificationParams(base, GATEWAY_KEY);
      }

      async function expectNeedsAttention(paymentId: string, orderId: string, reason: RegExp): Promise<void> {
        const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
        expect(payment.state).toBe("NEEDS_ATTENTION");
        expect(payment.attentionReason).toMatch(reason);
        expect(await h.db.db.ticket.count({ where: { orderId } })).toBe(0);
        expect((await h.db.db.order.findUniqueOrThrow({ where: { id: orderId } })).state).not.toBe("paid");
      }

      const unproven: {
        name: string;
        protocols: readonly ("mapi" | "openapi")[];
        fields: Record<string, string | null>;
        reason: RegExp;
      }[] = [
        {
          name: "trans_amount=0.01 and no currency",
          protocols: ["mapi"],
          fields: { trans_amount: "0.01", currency: null },
          reason: /^notification_unproven: amount 0\.01 without a currency, expected 3200 /,
        },
        {
          name: "another partner",
          protocols: ["mapi"],
          fields: { partner: OTHER_PARTNER },
          reason: new RegExp(`^notification_unproven: partner ${OTHER_PARTNER} is not ours`),
        },
        {
          name: "another seller_id",
          protocols: ["mapi", "openapi"],
          fields: { seller_id: OTHER_PARTNER },
          reason: new RegExp(`^notification_unproven: seller_id ${OTHER_PARTNER} is not ours`),
        },
        {
          name: "another app_id",
          protocols: ["openapi"],
          fields: { app_id: OTHER_APP },
          reason: new RegExp(`^notification_unproven: app_id ${OTHER_APP} is not ours`),
        },
        {
          name: "another amount",
          protocols: ["mapi", "openapi"],
          fields: { [protocol === "mapi" ? "trans_amount" : "total_amount"]: "0.01" },
          reason: /^notification_unproven: notified 1 \w+, expected 3200 /,
        },
        {
          name: "no trans_currency (so CNY) for a non-CNY payment",
          protocols: ["openapi"],
          fields: { trans_currency: null },
          reason: /^notification_unproven: notified 3200 CNY, expected 3200 /,
        },
      ];
      for (const u of unproven.filter((x) => x.protocols.includes(protocol))) {
        it(`a correctly signed success with ${u.name} → NEEDS_ATTENTION with the reason, no tickets`, async () => {
          const p = await waitingPayment();
          expect(p.currency).not.toBe("CNY");
          const reply = await post(signedSuccess(p, u.fields));
          // Acknowledged once the escalation is durable, so Alipay stops resending it.
          expect(reply).toEqual({ status: 200, text: "success" });
          await expectNeedsAttention(p.paymentId, p.orderId, u.reason);
          // The worker does not settle it behind the staff's back.
          await h.advance(10_000);
          await h.services.worker.tick();
          await expectNeedsAttention(p.paymentId, p.orderId, u.reason);
        });
      }

      it("the honest notification still settles: PAID, one ticket; a duplicate changes nothing", async () => {
        const p = await waitingPayment();
        const reply = await post(signedSuccess(p, {}));
        expect(reply).toEqual({ status: 200, text: "success" });
        const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: p.paymentId } });
        expect(payment.state).toBe("PAID");
        expect(await h.db.db.ticket.count({ where: { orderId: p.orderId } })).toBe(1);
        expect(await post(signedSuccess(p, {}))).toEqual({ status: 200, text: "success" });
        expect(await h.db.db.ticket.count({ where: { orderId: p.orderId } })).toBe(1);
      });

      it("the sandbox's own notification for a confirmed PIN settles the payment over HTTP", async () => {
        const { paymentId, orderId } = await h.buy({ quantity: 1, code: code("pin_wait_confirm", { parameter: 2 }) });
        const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
        await h.advance(2_500);
        const idField = protocol === "mapi" ? "partner_trans_id" : "out_trade_no";
        const note = h.notifications.find(
          (n) => n[idField] === payment.partnerTransId && n["trade_status"] === "TRADE_SUCCESS",
        );
        expect(note).toBeDefined();
        expect(await post(note!)).toEqual({ status: 200, text: "success" });
        expect((await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } })).state).toBe("PAID");
        expect(await h.db.db.ticket.count({ where: { orderId } })).toBe(1);
      });

      /** Delivers the sandbox's notifications for this trade over HTTP, once each. */
      async function deliver(partnerTransId: string, delivered: Set<Record<string, string>>): Promise<void> {
        const idField = protocol === "mapi" ? "partner_trans_id" : "out_trade_no";
        for (const n of h.notifications.filter((x) => x[idField] === partnerTransId && !delivered.has(x))) {
          delivered.add(n);
          expect(await post(n)).toEqual({ status: 200, text: "success" });
        }
      }

      function tradeOf(partnerTransId: string) {
        return [...h.sandbox.store.trades.values()].find((t) => t.outTradeNo === partnerTransId);
      }

      it("a cancel that found no trade, then the pay lands inside the in-flight window: the cancel is retried and reverses it", async () => {
        const { paymentId, orderId } = await h.buy({ quantity: 1, code: code("unknown_late_paid", { parameter: 10 }) });
        const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
        // The visitor gives up at once; the gateway has no trade yet and says so.
        const cancelled = await h.services.payments.cancel(paymentId, KIOSK);
        expect(cancelled.state).toBe("CANCELLING");
        const delivered = new Set<Record<string, string>>();
        for (let i = 0; i < 120; i++) {
          await deliver(payment.partnerTransId, delivered);
          const row = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
          if (row.state !== "CANCELLING") break;
          await h.advance(1_000);
          await h.services.worker.tick();
        }
        expect(delivered.size).toBeGreaterThan(0); // the late TRADE_SUCCESS was notified while cancelling
        const after = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
        expect(after.state).toBe("CANCELLED");
        // The charge that landed was reversed by a later cancel: nothing kept, nothing ticketed.
        expect(tradeOf(payment.partnerTransId)).toMatchObject({ status: "TRADE_CLOSED", cancelAction: "refund" });
        expect(await h.db.db.ticket.count({ where: { orderId } })).toBe(0);
      });

      it("a cancel that found no trade, then the pay lands after the window: the signed late success → NEEDS_ATTENTION, never ignored", async () => {
        const { paymentId, orderId } = await h.buy({
          quantity: 1,
          code: code("unknown_late_paid", { parameter: 300 }),
        });
        const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
        await h.services.payments.cancel(paymentId, KIOSK);
        expect(await h.settle(paymentId)).toBe("CANCELLED");
        const machine = JSON.parse(
          (await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } })).machineState ?? "{}",
        ) as { cancelOutcome?: string };
        expect(machine.cancelOutcome).toBe("not_found");
        expect(tradeOf(payment.partnerTransId)).toBeUndefined();
        await h.advance(300_000); // the pay reaches the ledger and the sandbox notifies
        expect(tradeOf(payment.partnerTransId)?.status).toBe("TRADE_SUCCESS");
        const delivered = new Set<Record<string, string>>();
        await deliver(payment.partnerTransId, delivered);
        expect(delivered.size).toBe(1);
        await expectNeedsAttention(paymentId, orderId, /^paid_after_cancelled/);
      });

      it("a cancel that found no trade, then a staff query (the console's 'query now') learns of the late success → NEEDS_ATTENTION", async () => {
        const { paymentId, orderId } = await h.buy({
          quantity: 1,
          code: code("unknown_late_paid", { parameter: 300 }),
        });
        const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
        await h.services.payments.cancel(paymentId, KIOSK);
        expect(await h.settle(paymentId)).toBe("CANCELLED");
        await h.advance(300_000);
        const gateway = createAlipay({ gatewayUrl: h.sandbox.gatewayUrl, clock: h.clock, protocol });
        const answer = await gateway.query({ partnerTransId: payment.partnerTransId, currency: payment.currency });
        expect(answer).toMatchObject({ status: "paid", amountMinor: 3200 });
        await h.services.payments.apply(
          paymentId,
          { type: "query_result", result: answer },
          { actor: STAFF, request: { op: "query", partnerTransId: payment.partnerTransId, by: "staff" } },
        );
        await expectNeedsAttention(paymentId, orderId, /^paid_after_cancelled$/);
      });
    });
  }
}
