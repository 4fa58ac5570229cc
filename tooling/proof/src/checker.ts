/**
 * The money-path checker: compares our database with the gateway's own records after a run
 * (fault drills, incident reviews) and proves, or disproves:
 * - every trade the gateway charged and kept has its tickets (or was cancelled or refunded);
 * - no order was charged twice, and no order got its tickets twice;
 * - no capacity is held past its expiry (and each slot's held counter matches its holds);
 * - what we record as paid, the gateway charged (same amount), and the other way round;
 * - reconciliation (our service, against the gateway's settlement file) finds no difference.
 * `checkMoneyInvariants` is pure over plain snapshots, so planted problems are tested without
 * a database; `readLedger` and `reconcileDays` read the database and the gateway.
 */
import type { Db } from "@kiosk/db";
import type { Clock } from "@kiosk/api/clock.ts";
import type { AlipayGateway } from "@kiosk/api/services/gateway.ts";
import {
  createReconciliationService,
  SETTLEMENT_ZONE,
  type Difference,
} from "@kiosk/api/services/reconciliation-service.ts";

/** What the gateway recorded for one trade (the sandbox operator API's trade view has these fields). */
export interface GatewayTrade {
  outTradeNo: string;
  tradeNo: string;
  status: "WAIT_BUYER_PAY" | "TRADE_SUCCESS" | "TRADE_CLOSED";
  amountMinor: number;
  refundedMinor: number;
  paidAt?: number | null | undefined;
  closeReason?: string | null | undefined;
}

export interface LedgerPayment {
  id: string;
  orderId: string;
  partnerTransId: string;
  state: string;
  amountMinor: number;
}

export interface LedgerOrder {
  id: string;
  state: string;
  expiresAt: Date;
  /** Places bought: the sum of the order lines' quantities. */
  quantity: number;
  /** Tickets issued and not void. */
  tickets: number;
}

export interface LedgerHold {
  id: string;
  orderId: string;
  slotId: string;
  quantity: number;
  /** The order's expiry: a payment under way pushes it past the payment deadline. */
  orderExpiresAt: Date;
}

/** A hold given back because its order expired unpaid. */
export interface LedgerExpiredHold {
  id: string;
  orderId: string;
  orderExpiresAt: Date;
  releasedAt: Date;
}

export interface LedgerSlot {
  id: string;
  held: number;
}

export interface LedgerSnapshot {
  payments: LedgerPayment[];
  orders: LedgerOrder[];
  activeHolds: LedgerHold[];
  expiredHolds: LedgerExpiredHold[];
  slots: LedgerSlot[];
}

/** Our reconciliation's runs and differences, per settlement day. */
export interface Reconciliation {
  runs: { day: string; state: string; matched: number; error: string | null }[];
  differences: (Difference & { day: string })[];
}

export type FindingKind =
  | "loss"
  | "double_charge"
  | "tickets_twice"
  | "stale_hold"
  | "held_counter_drift"
  | "unsettled"
  | "gateway_mismatch"
  | "reconciliation_difference";

export interface Finding {
  kind: FindingKind;
  subject: string;
  detail: string;
}

export interface CheckReport {
  gatewayTrades: number;
  chargedTrades: number;
  paidOrders: number;
  ticketsIssued: number;
  /** The longest time any capacity stayed held past its order's expiry (released late, or still held), ms. */
  longestHoldOverrunMs: number;
  findings: Finding[];
  counts: Record<FindingKind, number>;
}

const KEPT_STATES = new Set(["PAID", "PARTIALLY_REFUNDED", "REFUNDING"]);
const UNSETTLED_STATES = new Set(["SENDING", "POLLING", "CANCELLING", "REFUNDING"]);
const FINDING_KINDS: readonly FindingKind[] = [
  "loss",
  "double_charge",
  "tickets_twice",
  "stale_hold",
  "held_counter_drift",
  "unsettled",
  "gateway_mismatch",
  "reconciliation_difference",
];

/** Money the gateway took from the buyer and still keeps for this trade. */
function keptMinor(t: GatewayTrade): number {
  return t.status === "TRADE_SUCCESS" ? t.amountMinor - t.refundedMinor : 0;
}

/**
 * The invariants over plain snapshots. `now` is when the ledger was read; a hold counts as
 * stale once its order's expiry is more than `holdGraceMs` behind, or when it was given back
 * more than `holdGraceMs` after expiry (the worker expires holds on its own tick, not at the
 * exact millisecond, and not while its process is down).
 */
export function checkMoneyInvariants(input: {
  ledger: LedgerSnapshot;
  trades: readonly GatewayTrade[];
  now: Date;
  holdGraceMs: number;
  reconciliation?: Reconciliation;
}): CheckReport {
  const { ledger, trades, now } = input;
  const findings: Finding[] = [];
  const add = (kind: FindingKind, subject: string, detail: string): void =>
    void findings.push({ kind, subject, detail });
  const paymentByTransId = new Map(ledger.payments.map((p) => [p.partnerTransId, p]));
  const orderById = new Map(ledger.orders.map((o) => [o.id, o]));

  // Every charge the gateway kept belongs to a payment we hold as paid, whose order has its tickets.
  const keptByOrder = new Map<string, string[]>();
  let chargedTrades = 0;
  for (const t of trades) {
    if (t.paidAt !== undefined && t.paidAt !== null) chargedTrades += 1;
    if (keptMinor(t) <= 0) continue;
    const payment = paymentByTransId.get(t.outTradeNo);
    if (!payment) {
      add(
        "loss",
        t.outTradeNo,
        `gateway kept ${keptMinor(t)} for trade ${t.tradeNo}, which our database does not know`,
      );
      continue;
    }
    keptByOrder.set(payment.orderId, [...(keptByOrder.get(payment.orderId) ?? []), t.outTradeNo]);
    const order = orderById.get(payment.orderId);
    if (!KEPT_STATES.has(payment.state)) {
      add("loss", t.outTradeNo, `gateway kept ${keptMinor(t)}, our payment ${payment.id} is ${payment.state}`);
    } else if (!order || order.tickets < order.quantity) {
      add(
        "loss",
        t.outTradeNo,
        `paid, but order ${payment.orderId} has ${order?.tickets ?? 0} of ${order?.quantity ?? "?"} tickets`,
      );
    }
  }
  for (const [orderId, transIds] of keptByOrder) {
    if (transIds.length > 1)
      add("double_charge", orderId, `charged by ${transIds.length} trades: ${transIds.join(", ")}`);
  }

  // The other way round: what we record as paid, the gateway charged and kept, for the same amount.
  const tradeByTransId = new Map(trades.map((t) => [t.outTradeNo, t]));
  for (const p of ledger.payments) {
    if (!KEPT_STATES.has(p.state)) continue;
    const t = tradeByTransId.get(p.partnerTransId);
    if (!t || keptMinor(t) <= 0)
      add(
        "gateway_mismatch",
        p.partnerTransId,
        `our payment ${p.id} is ${p.state}; the gateway ${t ? `says ${t.status}` : "has no such trade"}`,
      );
    else if (t.amountMinor !== p.amountMinor)
      add("gateway_mismatch", p.partnerTransId, `amount ${p.amountMinor} here, ${t.amountMinor} at the gateway`);
  }

  // Our side: one kept payment per order at most, never more tickets than places bought.
  const keptPaymentsByOrder = new Map<string, number>();
  for (const p of ledger.payments) {
    if (KEPT_STATES.has(p.state)) keptPaymentsByOrder.set(p.orderId, (keptPaymentsByOrder.get(p.orderId) ?? 0) + 1);
    if (UNSETTLED_STATES.has(p.state)) add("unsettled", p.id, `payment ${p.partnerTransId} still ${p.state}`);
  }
  for (const [orderId, n] of keptPaymentsByOrder) {
    if (n > 1 && (keptByOrder.get(orderId)?.length ?? 0) <= 1)
      add("double_charge", orderId, `${n} payments recorded as paid`);
  }
  for (const o of ledger.orders) {
    if (o.tickets > o.quantity) add("tickets_twice", o.id, `${o.tickets} tickets for ${o.quantity} places`);
  }

  // Capacity: nothing held past its expiry (now, or before it was given back), and the slot
  // counters agree with the holds.
  const heldBySlot = new Map<string, number>();
  let longestHoldOverrunMs = 0;
  for (const h of ledger.activeHolds) {
    heldBySlot.set(h.slotId, (heldBySlot.get(h.slotId) ?? 0) + h.quantity);
    const overdueMs = now.getTime() - h.orderExpiresAt.getTime();
    longestHoldOverrunMs = Math.max(longestHoldOverrunMs, overdueMs);
    if (overdueMs > input.holdGraceMs)
      add(
        "stale_hold",
        h.id,
        `${h.quantity} place(s) of order ${h.orderId} held ${Math.round(overdueMs / 1000)} s past expiry`,
      );
  }
  for (const h of ledger.expiredHolds) {
    const lateMs = h.releasedAt.getTime() - h.orderExpiresAt.getTime();
    longestHoldOverrunMs = Math.max(longestHoldOverrunMs, lateMs);
    if (lateMs > input.holdGraceMs)
      add(
        "stale_hold",
        h.id,
        `order ${h.orderId}'s places were given back ${Math.round(lateMs / 1000)} s after expiry`,
      );
  }
  for (const s of ledger.slots) {
    const expected = heldBySlot.get(s.id) ?? 0;
    if (s.held !== expected)
      add("held_counter_drift", s.id, `slot says ${s.held} held, active holds add up to ${expected}`);
  }

  for (const r of input.reconciliation?.runs ?? []) {
    if (r.state !== "completed")
      add("reconciliation_difference", r.day, `reconciliation run ${r.state}: ${r.error ?? "no error recorded"}`);
  }
  for (const d of input.reconciliation?.differences ?? []) {
    add(
      "reconciliation_difference",
      d.partnerTransId ?? "?",
      `${d.day}: ${d.kind} (ledger ${d.ledgerAmountMinor ?? "-"}, gateway ${d.gatewayAmountMinor ?? "-"})`,
    );
  }

  const counts = Object.fromEntries(
    FINDING_KINDS.map((k) => [k, findings.filter((f) => f.kind === k).length]),
  ) as Record<FindingKind, number>;
  return {
    gatewayTrades: trades.length,
    chargedTrades,
    paidOrders: ledger.orders.filter((o) => o.state === "paid").length,
    ticketsIssued: ledger.orders.reduce((sum, o) => sum + o.tickets, 0),
    longestHoldOverrunMs,
    findings,
    counts,
  };
}

/** Reads the snapshot `checkMoneyInvariants` needs. */
export async function readLedger(db: Db): Promise<LedgerSnapshot> {
  const [payments, orders, ticketCounts, holds, expiredHolds, slots] = await Promise.all([
    db.payment.findMany({ select: { id: true, orderId: true, partnerTransId: true, state: true, amountMinor: true } }),
    db.order.findMany({ select: { id: true, state: true, expiresAt: true, lines: { select: { quantity: true } } } }),
    db.ticket.groupBy({ by: ["orderId"], where: { state: { not: "void" } }, _count: { _all: true } }),
    db.capacityHold.findMany({
      where: { state: "active" },
      select: { id: true, orderId: true, slotId: true, quantity: true, order: { select: { expiresAt: true } } },
    }),
    db.capacityHold.findMany({
      where: { state: "released", releasedAt: { not: null }, order: { state: "expired" } },
      select: { id: true, orderId: true, releasedAt: true, order: { select: { expiresAt: true } } },
    }),
    db.slot.findMany({
      where: { OR: [{ held: { not: 0 } }, { holds: { some: { state: "active" } } }] },
      select: { id: true, held: true },
    }),
  ]);
  const ticketsByOrder = new Map(ticketCounts.map((t) => [t.orderId, t._count._all]));
  return {
    payments,
    orders: orders.map((o) => ({
      id: o.id,
      state: o.state,
      expiresAt: o.expiresAt,
      quantity: o.lines.reduce((s, l) => s + l.quantity, 0),
      tickets: ticketsByOrder.get(o.id) ?? 0,
    })),
    activeHolds: holds.map((h) => ({
      id: h.id,
      orderId: h.orderId,
      slotId: h.slotId,
      quantity: h.quantity,
      orderExpiresAt: h.order.expiresAt,
    })),
    expiredHolds: expiredHolds.map((h) => ({
      id: h.id,
      orderId: h.orderId,
      orderExpiresAt: h.order.expiresAt,
      releasedAt: h.releasedAt ?? h.order.expiresAt,
    })),
    slots,
  };
}

/** The gateway's settlement days (Beijing) that the given trades fall on. */
export function settlementDaysOf(trades: readonly GatewayTrade[], fallbackMs: number): string[] {
  const fmt = new Intl.DateTimeFormat("en-CA", { timeZone: SETTLEMENT_ZONE });
  const days = new Set(trades.filter((t) => t.paidAt).map((t) => fmt.format(t.paidAt as number)));
  if (days.size === 0) days.add(fmt.format(fallbackMs));
  return [...days].sort();
}

/**
 * Runs our reconciliation for each day against the gateway's settlement file. `clock` must
 * already be past the end of the last day (the file exists once the day is over).
 */
export async function reconcileDays(input: {
  db: Db;
  alipay: AlipayGateway;
  clock: Clock;
  days: readonly string[];
}): Promise<Reconciliation> {
  const service = createReconciliationService({ db: input.db, clock: input.clock, alipay: input.alipay });
  const runs: Reconciliation["runs"] = [];
  const differences: Reconciliation["differences"] = [];
  for (const day of input.days) {
    const run = await service.run({ day, trigger: "manual", actor: { type: "system", id: "checker" } });
    runs.push({ day, state: run.state, matched: run.matchedCount, error: run.error });
    for (const d of run.differences) {
      differences.push({
        day,
        kind: d.kind as Difference["kind"],
        partnerTransId: d.partnerTransId,
        alipayTransId: d.alipayTransId,
        ledgerAmountMinor: d.ledgerAmountMinor,
        gatewayAmountMinor: d.gatewayAmountMinor,
        details: d.details,
      });
    }
  }
  return { runs, differences };
}
