/**
 * A refund is done only when money moved (issue 14, item 3), over real HTTP to the sandbox:
 * - OpenAPI `fund_change=N`: the refund stays open (tickets valid, nothing counted) until the
 *   refund query says REFUND_SUCCESS; then tickets are voided and the refund counts.
 * - a refund query that keeps saying "not yet" is repeated on its back-off and escalates to a
 *   person at the confirmation deadline, with nothing counted.
 * - a refund asked for during 00:00–01:30 Beijing time waits and is sent after 01:30.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { DbProvider } from "@kiosk/db";
import { code, createHarness, PG_URL, SLOT_14, STAFF, type Harness } from "./__tests__/harness.ts";
import { totalsOf } from "./shift-totals.ts";

const providers: { provider: DbProvider; skip: boolean }[] = [
  { provider: "sqlite", skip: false },
  { provider: "postgresql", skip: !PG_URL },
];

/** The ledger as the till and reports read it: sales and refunds counted (`succeeded` only). */
async function ledgerTotals(h: Harness, paymentId: string) {
  const p = await h.db.db.payment.findUniqueOrThrow({
    where: { id: paymentId },
    include: { refunds: { select: { amountMinor: true, state: true } } },
  });
  return totalsOf([
    {
      id: p.id,
      partnerTransId: p.partnerTransId,
      state: p.state,
      amountMinor: p.amountMinor,
      currency: p.currency,
      refunds: p.refunds,
    },
  ]);
}

async function ticketStates(h: Harness, orderId: string): Promise<string[]> {
  return (await h.db.db.ticket.findMany({ where: { orderId }, orderBy: { id: "asc" } })).map((t) => t.state);
}

/** Moves the shared clock in steps, ticking sandbox and worker, until `until` (epoch ms). */
async function runUntil(h: Harness, until: number, stepMs: number): Promise<void> {
  while (h.clock.now().getTime() + stepMs <= until) {
    await h.advance(stepMs);
    await h.services.worker.tick();
  }
}

for (const { provider, skip } of providers) {
  describe.skipIf(skip)(`refund confirmation and night window on ${provider}`, () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it("fund_change=N: tickets stay valid and nothing is counted until the refund query confirms; then voided and counted", async () => {
      h = await createHarness(provider, { protocol: "openapi" });
      const { orderId, paymentId } = await h.buy({ code: code("refund_delayed", { parameter: 120 }) });
      expect(await h.settle(paymentId)).toBe("PAID");
      const slotPaid = await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } });

      const requested = await h.services.refunds.request({ paymentId, reason: "visitor changed plans", actor: STAFF });
      // Alipay answered 10000 with fund_change=N: accepted, but no money moved.
      expect(h.counts.refund).toBe(1);
      expect(requested.paymentState).toBe("REFUNDING");
      expect(requested.refund.state).toBe("pending");
      expect(await ticketStates(h, orderId)).toEqual(["valid", "valid"]);
      const orderOpen = await h.db.db.order.findUniqueOrThrow({ where: { id: orderId } });
      expect(orderOpen).toMatchObject({ state: "paid", refundedMinor: 0 });
      expect((await ledgerTotals(h, paymentId)).refundsCount).toBe(0);
      expect((await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } })).sold).toBe(slotPaid.sold);

      // The worker asks the refund query (≥ 10 s after the refund) while the money has not moved.
      const acceptedAt = h.clock.now().getTime();
      await runUntil(h, acceptedAt + 100_000, 5_000);
      const open = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
      expect(open.state).toBe("REFUNDING");
      const queries = await h.db.db.paymentEvent.findMany({
        where: { paymentId, type: "refund_query_result" },
        orderBy: { seq: "asc" },
      });
      expect(queries.length).toBeGreaterThanOrEqual(1);
      expect(queries[0]!.createdAt.getTime() - acceptedAt).toBeGreaterThanOrEqual(10_000);
      for (const q of queries) expect(JSON.parse(q.summary)).toMatchObject({ response: { status: "pending" } });
      expect(h.counts.refund).toBe(1);
      expect(await ticketStates(h, orderId)).toEqual(["valid", "valid"]);
      expect((await ledgerTotals(h, paymentId)).refundsCount).toBe(0);

      // The sandbox moves the money at 120 s; the next query confirms it.
      await runUntil(h, acceptedAt + 400_000, 5_000);
      const done = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId }, include: { refunds: true } });
      expect(done.state).toBe("REFUNDED");
      expect(done.refunds.map((r) => r.state)).toEqual(["succeeded"]);
      expect(done.refunds[0]!.completedAt!.getTime()).toBeGreaterThanOrEqual(acceptedAt + 120_000);
      expect(await ticketStates(h, orderId)).toEqual(["void", "void"]);
      expect(await h.db.db.order.findUniqueOrThrow({ where: { id: orderId } })).toMatchObject({
        state: "refunded",
        refundedMinor: done.amountMinor,
      });
      expect(await ledgerTotals(h, paymentId)).toMatchObject({
        refundsCount: 1,
        refundsTotalMinor: done.amountMinor,
        netTotalMinor: 0,
      });
      expect((await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } })).sold).toBe(slotPaid.sold - 2);
      // One refund request at Alipay, its money moved once.
      expect(h.counts.refund).toBe(1);
      const trade = [...h.sandbox.store.trades.values()].find((t) => t.outTradeNo === done.partnerTransId);
      expect(trade).toMatchObject({ refundedMinor: done.amountMinor, status: "TRADE_CLOSED" });
    });

    it("a refund query that keeps saying not yet is repeated on its back-off and escalates at the deadline", async () => {
      const deadlineMs = 5 * 60_000;
      h = await createHarness(provider, {
        protocol: "openapi",
        policy: {
          refundConfirmDeadlineMs: deadlineMs,
          refundConfirmBackoff: { baseMs: 10_000, maxMs: 60_000, jitterRatio: 0.2 },
        },
      });
      const { orderId, paymentId } = await h.buy({ code: code("refund_delayed", { parameter: 9_999 }) });
      expect(await h.settle(paymentId)).toBe("PAID");
      const requested = await h.services.refunds.request({ paymentId, reason: "visitor changed plans", actor: STAFF });
      expect(requested.paymentState).toBe("REFUNDING");
      const acceptedAt = h.clock.now().getTime();

      await runUntil(h, acceptedAt + deadlineMs + 60_000, 2_000);
      const p = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId }, include: { refunds: true } });
      expect(p.state).toBe("NEEDS_ATTENTION");
      expect(p.attentionReason).toMatch(/^refund_unconfirmed/);
      expect(p.refunds.map((r) => r.state)).toEqual(["needs_attention"]);
      // Nothing counted, nothing voided: the money never moved.
      expect(await ticketStates(h, orderId)).toEqual(["valid", "valid"]);
      expect(await h.db.db.order.findUniqueOrThrow({ where: { id: orderId } })).toMatchObject({
        state: "paid",
        refundedMinor: 0,
      });
      expect((await ledgerTotals(h, paymentId)).refundsCount).toBe(0);
      expect(h.counts.refund).toBe(1);

      // The schedule: first query ≥ 10 s after acceptance, gaps growing up to maxMs, the last at the deadline.
      const times = (
        await h.db.db.paymentEvent.findMany({
          where: { paymentId, type: "refund_query_result" },
          orderBy: { seq: "asc" },
        })
      ).map((e) => e.createdAt.getTime() - acceptedAt);
      expect(times.length).toBeGreaterThanOrEqual(5);
      expect(times[0]).toBeGreaterThanOrEqual(10_000);
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      for (const gap of gaps) {
        expect(gap).toBeGreaterThan(0);
        // One worker step (2 s) of lateness at most on top of the back-off's clamp.
        expect(gap).toBeLessThanOrEqual(60_000 + 2_000);
      }
      expect(gaps.at(-2)!).toBeGreaterThan(gaps[0]!);
      expect(times.at(-1)!).toBeGreaterThanOrEqual(deadlineMs);
      expect(times.at(-1)!).toBeLessThanOrEqual(deadlineMs + 2_000);
    });

    it("a refund asked for at 00:30 Beijing time waits, then is sent after 01:30 and completes", async () => {
      h = await createHarness(provider);
      const { orderId, paymentId } = await h.buy({ code: code("success") });
      expect(await h.settle(paymentId)).toBe("PAID");
      // 2026-03-02 00:30 in Beijing (UTC+8).
      h.clock.set("2026-03-01T16:30:00.000Z");
      const windowEnd = Date.parse("2026-03-01T17:30:00.000Z");
      const requested = await h.services.refunds.request({ paymentId, reason: "visitor changed plans", actor: STAFF });
      expect(requested.paymentState).toBe("REFUNDING");
      expect(requested.refund.state).toBe("pending");
      expect(h.counts.refund).toBe(0);
      const held = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
      expect(held.nextActionAt!.getTime()).toBeGreaterThanOrEqual(windowEnd);
      expect(held.nextActionAt!.getTime()).toBeLessThan(windowEnd + 5 * 60_000);

      // Through the night window the worker sends nothing and nobody is asked to step in.
      await runUntil(h, windowEnd - 1_000, 60_000);
      expect(h.counts.refund).toBe(0);
      expect((await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } })).state).toBe("REFUNDING");
      expect(await ticketStates(h, orderId)).toEqual(["valid", "valid"]);

      await runUntil(h, windowEnd + 6 * 60_000, 30_000);
      const done = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId }, include: { refunds: true } });
      expect(done.state).toBe("REFUNDED");
      expect(done.refunds.map((r) => r.state)).toEqual(["succeeded"]);
      expect(h.counts.refund).toBe(1);
      const refund = h.sandbox.store.refunds.find((r) => r.outRefundNo === done.refunds[0]!.partnerRefundId);
      expect(refund!.createdAt).toBeGreaterThanOrEqual(windowEnd);
      expect(await ticketStates(h, orderId)).toEqual(["void", "void"]);
      const events = await h.db.db.paymentEvent.findMany({ where: { paymentId }, orderBy: { seq: "asc" } });
      expect(events.map((e) => e.toState)).not.toContain("NEEDS_ATTENTION");
    });
  });
}
