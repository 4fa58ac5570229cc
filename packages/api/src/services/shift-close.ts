/**
 * Closing a counter shift (the till): no payment may still be moving; unpaid orders are
 * cancelled (their places go back); every trade is asked about at the gateway (alipay-core
 * `query`) and compared with the ledger; totals and differences are written once. A closed
 * shift is never changed again (every write is conditional on the shift's state).
 */
import type { PaymentStateName } from "@kiosk/db";
import { KioskError } from "../errors.ts";
import { silentLogger, SYSTEM_ACTOR, type MoneyDeps } from "./money-deps.ts";
import type { OrderService } from "./order-service.ts";
import { compareTrade, ledgerPayments, totalsOf, type ClosingSummary } from "./shift-totals.ts";
import { assertShiftAccess, type ShiftReads, type ShiftView, type StaffActor } from "./shift-view.ts";

/** A shift cannot close while one of its payments is still moving or waits for a person. */
const UNSETTLED_STATES: readonly PaymentStateName[] = [
  "SENDING",
  "POLLING",
  "CANCELLING",
  "REFUNDING",
  "NEEDS_ATTENTION",
];
/** How many gateway queries a close runs at once. */
const GATEWAY_QUERY_CONCURRENCY = 4;

async function mapLimited<TItem, TResult>(
  items: readonly TItem[],
  limit: number,
  fn: (item: TItem) => Promise<TResult>,
): Promise<TResult[]> {
  const out: TResult[] = new Array<TResult>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as TItem);
    }
  });
  await Promise.all(workers);
  return out;
}

export function createShiftClose(
  deps: Pick<MoneyDeps, "db" | "clock" | "alipay" | "log"> & { orders: OrderService; reads: ShiftReads },
) {
  const { db, clock, alipay, orders } = deps;
  const { ledger, load, view } = deps.reads;
  const log = deps.log ?? silentLogger;

  /**
   * Closes the shift: no payment may still be moving; unpaid orders are cancelled (their
   * places go back); every trade is queried at the gateway; totals and differences are
   * written once. The shift is marked "closing" first, so the cashier cannot start another
   * payment while the gateway is asked; a close that finds a new payment re-opens it.
   */
  async function closeShift(input: { shiftId: string; actor: StaffActor; note?: string }): Promise<ShiftView> {
    const s = await load(input.shiftId);
    assertShiftAccess(s, input.actor);
    if (s.state === "closed") throw new KioskError("CONFLICT", `Shift ${s.id} is already closed`);
    const before = await ledger(s.id);
    const unsettled = before.filter((p) => UNSETTLED_STATES.includes(p.state as PaymentStateName));
    if (unsettled.length > 0) {
      throw new KioskError(
        "CONFLICT",
        `Shift ${s.id} has ${unsettled.length} payment(s) not settled yet (${unsettled.map((p) => `${p.id} ${p.state}`).join(", ")}); finish or resolve them first`,
        {
          details: { paymentIds: unsettled.map((p) => p.id) },
        },
      );
    }
    const { count: marked } = await db.shift.updateMany({
      where: { id: s.id, state: { in: ["open", "closing"] } },
      data: { state: "closing" },
    });
    if (marked !== 1) throw new KioskError("CONFLICT", `Shift ${s.id} is already closed`);

    const pending = await db.order.findMany({
      where: { shiftId: s.id, state: "pending", payments: { none: {} } },
      select: { id: true },
    });
    for (const o of pending) await orders.cancel(o.id, SYSTEM_ACTOR).catch(() => undefined);

    const rows = await ledger(s.id);
    const checks = await mapLimited(rows, GATEWAY_QUERY_CONCURRENCY, async (p) => {
      const answer = await alipay
        .query({ partnerTransId: p.partnerTransId, currency: p.currency })
        .catch((e: unknown) => ({ status: "error" as const, message: e instanceof Error ? e.message : String(e) }));
      return compareTrade(p, answer);
    });
    const totals = totalsOf(rows);
    const gatewayChargedMinor = checks.reduce((sum, c) => sum + c.gatewayChargedMinor, 0);
    const gatewayNetMinor = gatewayChargedMinor - totals.refundsTotalMinor;
    const differences = checks.flatMap((c) => (c.difference ? [c.difference] : []));
    const summary: ClosingSummary = { differences, payments: ledgerPayments(rows), failedCount: totals.failedCount };
    const now = clock.now();

    const isClosed = await db.$transaction(async (tx) => {
      // A payment that started after the first look means the totals are stale: open again.
      const seen = await tx.payment.count({ where: { order: { shiftId: s.id } } });
      if (seen !== rows.length) return false;
      const { count } = await tx.shift.updateMany({
        where: { id: s.id, state: "closing" },
        data: {
          state: "closed",
          openFor: null,
          closedAt: now,
          closeNote: input.note?.trim().slice(0, 500) || null,
          salesCount: totals.salesCount,
          salesTotalMinor: totals.salesTotalMinor,
          refundsCount: totals.refundsCount,
          refundsTotalMinor: totals.refundsTotalMinor,
          cancellationsCount: totals.cancellationsCount,
          netTotalMinor: totals.netTotalMinor,
          gatewayNetMinor,
          differenceCount: differences.length,
          summary: JSON.stringify(summary),
        },
      });
      return count === 1;
    });
    if (!isClosed) {
      await db.shift.updateMany({ where: { id: s.id, state: "closing" }, data: { state: "open" } });
      throw new KioskError("CONFLICT", `Shift ${s.id} took a new payment while closing; close it again`);
    }
    log.info("shift closed", {
      shiftId: s.id,
      netTotalMinor: totals.netTotalMinor,
      gatewayNetMinor,
      differences: differences.length,
    });
    return view(await load(s.id));
  }

  return { closeShift };
}
