/**
 * Issue 16: the console's NEEDS_ATTENTION actions (query now, cancel now, refund now) run in
 * the money services through the payment machine's own events and commands, not as gateway
 * calls from the router. A payment gets into NEEDS_ATTENTION for real: a cancel that found no
 * trade, then the pay lands late and a staff query learns of it (sandbox over real HTTP).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbProvider } from "@kiosk/db";
import { code, createHarness, KIOSK, PG_URL, STAFF, type Harness } from "./__tests__/harness.ts";

const providers: { provider: DbProvider; skip: boolean }[] = [
  { provider: "sqlite", skip: false },
  { provider: "postgresql", skip: !PG_URL },
];

for (const { provider, skip } of providers) {
  describe.skipIf(skip)(`staff resolutions through the machine on ${provider}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(provider);
    });
    afterAll(async () => {
      await h?.close();
    });

    async function tradeOf(partnerTransId: string) {
      const answer = await fetch(`${h.sandbox.url}/sandbox/trades/${encodeURIComponent(partnerTransId)}`);
      if (answer.status === 404) return undefined;
      return ((await answer.json()) as { trade?: { status: string; cancelAction?: string } }).trade;
    }

    /** A paid trade the server had given up on: NEEDS_ATTENTION after a staff "query now". */
    async function paidAfterCancelled() {
      const { paymentId, orderId } = await h.buy({ quantity: 1, code: code("unknown_late_paid", { parameter: 300 }) });
      await h.services.payments.cancel(paymentId, KIOSK);
      expect(await h.settle(paymentId)).toBe("CANCELLED");
      await h.advance(300_000); // the pay reaches the ledger
      const { answer, payment } = await h.services.payments.queryNow(paymentId, STAFF);
      expect(answer).toMatchObject({ type: "query_result", result: { status: "paid", amountMinor: 3200 } });
      expect(payment).toMatchObject({ state: "NEEDS_ATTENTION", attentionReason: "paid_after_cancelled" });
      const row = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
      return { paymentId, orderId, partnerTransId: row.partnerTransId };
    }

    it("query now: the machine's query, recorded as a staff event with its answer", async () => {
      const { paymentId } = await paidAfterCancelled();
      const events = await h.services.payments.events(paymentId, STAFF);
      const staffQuery = events.filter((e) => e.type === "query_result" && e.actorType === "staff");
      expect(staffQuery).toHaveLength(1);
      expect(staffQuery[0]!.summary).toMatchObject({
        request: { op: "query", by: "staff" },
        response: { status: "paid" },
      });
      await expect(h.services.payments.queryNow(paymentId, KIOSK)).rejects.toMatchObject({ code: "FORBIDDEN" });
    });

    it("cancel now: staff resolution to CANCELLING, the machine cancels at Alipay and ends CANCELLED", async () => {
      const { paymentId, orderId, partnerTransId } = await paidAfterCancelled();
      const payment = await h.services.payments.cancelNow({
        paymentId,
        reason: "buyer left, reverse it",
        actor: STAFF,
      });
      expect(payment.state).toBe("CANCELLED");
      expect(await tradeOf(partnerTransId)).toMatchObject({ status: "TRADE_CLOSED", cancelAction: "refund" });
      const events = await h.services.payments.events(paymentId, STAFF);
      expect(events.slice(-2).map((e) => [e.type, e.toState])).toEqual([
        ["resolve", "CANCELLING"],
        ["cancel_result", "CANCELLED"],
      ]);
      expect(await h.db.db.ticket.count({ where: { orderId } })).toBe(0);
    });

    it("refund now: only on a paid trade; resolved PAID with the trade, then refunded through REFUNDING", async () => {
      const { paymentId, orderId, partnerTransId } = await paidAfterCancelled();
      const { refund } = await h.services.refunds.refundNow({ paymentId, reason: "give it back", actor: STAFF });
      expect(refund.amountMinor).toBe(3200);
      expect(await h.settle(paymentId)).toBe("REFUNDED");
      expect(await tradeOf(partnerTransId)).toMatchObject({ status: expect.stringMatching(/REFUND|CLOSED/) });
      const tickets = await h.db.db.ticket.findMany({ where: { orderId } });
      expect(tickets.length).toBe(1);
      expect(tickets.every((t) => t.state === "void")).toBe(true);
      // Not in NEEDS_ATTENTION any more: nothing to do.
      await expect(h.services.refunds.refundNow({ paymentId, reason: "again", actor: STAFF })).rejects.toMatchObject({
        code: "CONFLICT",
      });
    });
  });
}
