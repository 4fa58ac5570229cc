/**
 * Counter sale and the till. A cashier opens a shift at a counter (a ticket window or a
 * handheld in a queue); every order they create carries the shift, and its payment goes
 * through the same order and payment services as a kiosk's. Closing the shift totals its
 * sales, refunds and cancellations from our ledger, asks the gateway about every trade
 * (alipay-core `query`), lists each difference, and writes the result once: a closed shift
 * is never changed again (every write is conditional on the shift's state).
 */
import type { PaymentStateName, ShiftState } from "@kiosk/db";
import { KioskError } from "../errors.ts";
import type { GatewayQueryResult } from "./gateway.ts";
import { newId, silentLogger, SYSTEM_ACTOR, type Actor, type MoneyDeps } from "./money-deps.ts";
import type { OrderLineInput, OrderService } from "./order-service.ts";
import type { OrderView } from "./order-view.ts";

type StaffActor = Extract<Actor, { type: "staff" }>;

/** Payments that took the buyer's money (some of it may have been refunded since). */
const CHARGED_STATES: readonly PaymentStateName[] = ["PAID", "REFUNDING", "PARTIALLY_REFUNDED", "REFUNDED"];
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

export interface CounterView {
  id: string;
  attractionId: string;
  name: string;
  location: string;
  isActive: boolean;
}

export interface ShiftTotals {
  salesCount: number;
  salesTotalMinor: number;
  refundsCount: number;
  refundsTotalMinor: number;
  /** Payments cancelled (by the cashier, the buyer or the deadline): nothing charged. */
  cancellationsCount: number;
  /** Payments Alipay declined (balance, expired code…): nothing charged. */
  failedCount: number;
  netTotalMinor: number;
}

export type ShiftDifferenceKind = "status_mismatch" | "amount_mismatch" | "unchecked";

export interface ShiftDifference {
  kind: ShiftDifferenceKind;
  paymentId: string;
  partnerTransId: string;
  ledgerState: string;
  ledgerAmountMinor: number;
  gatewayStatus: string;
  gatewayAmountMinor: number | null;
}

export interface ShiftLedgerPayment {
  paymentId: string;
  partnerTransId: string;
  state: string;
  amountMinor: number;
  refundedMinor: number;
}

export interface ShiftView {
  id: string;
  counter: CounterView;
  staffUserId: string;
  staffName: string;
  state: ShiftState;
  currency: string;
  openedAt: Date;
  closedAt: Date | null;
  closeNote: string | null;
  totals: ShiftTotals;
  /** Net charged according to the gateway (null until closed). */
  gatewayNetMinor: number | null;
  differences: ShiftDifference[];
  /** Per payment, as the ledger has it (live while open, frozen at close). */
  payments: ShiftLedgerPayment[];
}

interface LedgerRow {
  id: string;
  partnerTransId: string;
  state: string;
  amountMinor: number;
  currency: string;
  refunds: { amountMinor: number; state: string }[];
}

/** Pure: the shift's totals from its payments. */
export function totalsOf(payments: readonly LedgerRow[]): ShiftTotals {
  const t: ShiftTotals = {
    salesCount: 0,
    salesTotalMinor: 0,
    refundsCount: 0,
    refundsTotalMinor: 0,
    cancellationsCount: 0,
    failedCount: 0,
    netTotalMinor: 0,
  };
  for (const p of payments) {
    if (CHARGED_STATES.includes(p.state as PaymentStateName)) {
      t.salesCount += 1;
      t.salesTotalMinor += p.amountMinor;
    } else if (p.state === "CANCELLED") t.cancellationsCount += 1;
    else if (p.state === "FAILED") t.failedCount += 1;
    for (const r of p.refunds) {
      if (r.state !== "succeeded") continue;
      t.refundsCount += 1;
      t.refundsTotalMinor += r.amountMinor;
    }
  }
  t.netTotalMinor = t.salesTotalMinor - t.refundsTotalMinor;
  return t;
}

/**
 * Pure: one payment against the gateway's answer for its trade. Returns what the gateway
 * says was charged (before refunds, which are counted from the ledger: Alipay confirmed each
 * synchronously) and the difference, if any.
 */
export function compareTrade(
  p: LedgerRow,
  answer: GatewayQueryResult | { status: "error"; message: string },
): { gatewayChargedMinor: number; difference: ShiftDifference | null } {
  const isCharged = CHARGED_STATES.includes(p.state as PaymentStateName);
  const base = {
    paymentId: p.id,
    partnerTransId: p.partnerTransId,
    ledgerState: p.state,
    ledgerAmountMinor: p.amountMinor,
    gatewayStatus: answer.status,
  };
  if (answer.status === "paid") {
    if (!isCharged)
      return {
        gatewayChargedMinor: answer.amountMinor,
        difference: { ...base, kind: "status_mismatch", gatewayAmountMinor: answer.amountMinor },
      };
    if (answer.amountMinor !== p.amountMinor)
      return {
        gatewayChargedMinor: answer.amountMinor,
        difference: { ...base, kind: "amount_mismatch", gatewayAmountMinor: answer.amountMinor },
      };
    return { gatewayChargedMinor: answer.amountMinor, difference: null };
  }
  if (answer.status === "closed" || answer.status === "not_found") {
    // A trade refunded in full reads as closed at the gateway: its charge and refund both stand.
    if (p.state === "REFUNDED") return { gatewayChargedMinor: p.amountMinor, difference: null };
    if (isCharged)
      return { gatewayChargedMinor: 0, difference: { ...base, kind: "status_mismatch", gatewayAmountMinor: 0 } };
    return { gatewayChargedMinor: 0, difference: null };
  }
  // waiting_buyer, unknown or a failed query: the gateway could not confirm either way.
  return { gatewayChargedMinor: 0, difference: { ...base, kind: "unchecked", gatewayAmountMinor: null } };
}

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

interface ClosingSummary {
  differences: ShiftDifference[];
  payments: ShiftLedgerPayment[];
  failedCount: number;
}

export function createCounterService(
  deps: Pick<MoneyDeps, "db" | "clock" | "alipay" | "log"> & { orders: OrderService },
) {
  const { db, clock, alipay, orders } = deps;
  const log = deps.log ?? silentLogger;

  const shiftInclude = { counter: true, staffUser: { select: { name: true } } } as const;

  function counterView(c: {
    id: string;
    attractionId: string;
    name: string;
    location: string;
    isActive: boolean;
  }): CounterView {
    return { id: c.id, attractionId: c.attractionId, name: c.name, location: c.location, isActive: c.isActive };
  }

  async function ledger(shiftId: string): Promise<LedgerRow[]> {
    return db.payment.findMany({
      where: { order: { shiftId } },
      orderBy: { createdAt: "asc" },
      select: {
        id: true,
        partnerTransId: true,
        state: true,
        amountMinor: true,
        currency: true,
        refunds: { select: { amountMinor: true, state: true } },
      },
    });
  }

  function ledgerPayments(rows: readonly LedgerRow[]): ShiftLedgerPayment[] {
    return rows.map((p) => ({
      paymentId: p.id,
      partnerTransId: p.partnerTransId,
      state: p.state,
      amountMinor: p.amountMinor,
      refundedMinor: p.refunds.filter((r) => r.state === "succeeded").reduce((s, r) => s + r.amountMinor, 0),
    }));
  }

  async function load(shiftId: string) {
    const s = await db.shift.findUnique({ where: { id: shiftId }, include: shiftInclude });
    if (!s) throw new KioskError("NOT_FOUND", `Shift ${shiftId} not found`);
    return s;
  }

  type ShiftRow = Awaited<ReturnType<typeof load>>;

  async function view(s: ShiftRow): Promise<ShiftView> {
    const common = {
      id: s.id,
      counter: counterView(s.counter),
      staffUserId: s.staffUserId,
      staffName: s.staffUser.name,
      state: s.state as ShiftView["state"],
      currency: s.currency,
      openedAt: s.openedAt,
      closedAt: s.closedAt,
      closeNote: s.closeNote,
    };
    if (s.state === "closed") {
      const summary = JSON.parse(s.summary) as ClosingSummary;
      return {
        ...common,
        totals: {
          salesCount: s.salesCount,
          salesTotalMinor: s.salesTotalMinor,
          refundsCount: s.refundsCount,
          refundsTotalMinor: s.refundsTotalMinor,
          cancellationsCount: s.cancellationsCount,
          failedCount: summary.failedCount,
          netTotalMinor: s.netTotalMinor,
        },
        gatewayNetMinor: s.gatewayNetMinor,
        differences: summary.differences,
        payments: summary.payments,
      };
    }
    const rows = await ledger(s.id);
    return {
      ...common,
      totals: totalsOf(rows),
      gatewayNetMinor: null,
      differences: [],
      payments: ledgerPayments(rows),
    };
  }

  /** Only the shift's cashier, or a supervisor and above, may see or close it. */
  function assertShiftAccess(s: { id: string; staffUserId: string }, actor: StaffActor): void {
    const isSupervisor = actor.role === "supervisor" || actor.role === "admin";
    if (s.staffUserId !== actor.id && !isSupervisor) throw new KioskError("NOT_FOUND", `Shift ${s.id} not found`);
  }

  async function listCounters(input: { attractionId?: string } = {}): Promise<CounterView[]> {
    const rows = await db.counter.findMany({
      where: { isActive: true, ...(input.attractionId ? { attractionId: input.attractionId } : {}) },
      orderBy: [{ attractionId: "asc" }, { name: "asc" }],
    });
    return rows.map(counterView);
  }

  async function createCounter(input: { attractionId: string; name: string; location?: string }): Promise<CounterView> {
    const name = input.name.trim();
    if (name.length < 1 || name.length > 64)
      throw new KioskError("BAD_REQUEST", "A counter name has 1 to 64 characters");
    const attraction = await db.attraction.findUnique({ where: { id: input.attractionId }, select: { id: true } });
    if (!attraction) throw new KioskError("NOT_FOUND", `Attraction ${input.attractionId} not found`);
    const clash = await db.counter.findFirst({
      where: { attractionId: input.attractionId, name },
      select: { id: true },
    });
    if (clash)
      throw new KioskError("CONFLICT", `Attraction ${input.attractionId} already has a counter named "${name}"`);
    const row = await db.counter.create({
      data: {
        id: newId("ctr"),
        attractionId: input.attractionId,
        name,
        location: input.location?.trim() ?? "",
        createdAt: clock.now(),
      },
    });
    return counterView(row);
  }

  async function openShift(input: { counterId: string; actor: StaffActor }): Promise<ShiftView> {
    const counter = await db.counter.findUnique({
      where: { id: input.counterId },
      include: { attraction: { select: { currency: true } } },
    });
    if (!counter || !counter.isActive) throw new KioskError("NOT_FOUND", `Counter ${input.counterId} not found`);
    const existing = await db.shift.findUnique({
      where: { openFor: input.actor.id },
      include: { counter: { select: { name: true } } },
    });
    if (existing)
      throw new KioskError(
        "CONFLICT",
        `You already have shift ${existing.id} open at ${existing.counter.name}; close it first`,
        { details: { shiftId: existing.id } },
      );
    const id = newId("shf");
    try {
      await db.shift.create({
        data: {
          id,
          counterId: counter.id,
          staffUserId: input.actor.id,
          state: "open",
          openFor: input.actor.id,
          currency: counter.attraction.currency,
          openedAt: clock.now(),
        },
      });
    } catch (error) {
      // Two opens at once: the unique openFor lets one win.
      if ((error as { code?: unknown }).code === "P2002")
        throw new KioskError("CONFLICT", "You already have a shift open; close it first");
      throw error;
    }
    log.info("shift opened", { shiftId: id, counterId: counter.id, staffId: input.actor.id });
    return view(await load(id));
  }

  async function currentShift(actor: StaffActor): Promise<ShiftView | null> {
    const s = await db.shift.findUnique({ where: { openFor: actor.id }, include: shiftInclude });
    return s ? view(s) : null;
  }

  async function getShift(shiftId: string, actor: StaffActor): Promise<ShiftView> {
    const s = await load(shiftId);
    assertShiftAccess(s, actor);
    return view(s);
  }

  /** Newest first; a cashier sees their own shifts, a supervisor everyone's (or one person's). */
  async function listShifts(input: { actor: StaffActor; staffUserId?: string; limit?: number }): Promise<ShiftView[]> {
    const isSupervisor = input.actor.role === "supervisor" || input.actor.role === "admin";
    const staffUserId = isSupervisor ? input.staffUserId : input.actor.id;
    const rows = await db.shift.findMany({
      where: staffUserId ? { staffUserId } : {},
      orderBy: { openedAt: "desc" },
      take: input.limit ?? 20,
      include: shiftInclude,
    });
    return Promise.all(rows.map(view));
  }

  async function requireOpenShift(actor: StaffActor) {
    const s = await db.shift.findUnique({ where: { openFor: actor.id }, include: { counter: true } });
    if (!s || s.state !== "open")
      throw new KioskError("PRECONDITION_FAILED", "Open a shift at a counter before selling", {
        details: { reason: "no_open_shift" },
      });
    return s;
  }

  /** The counter's order: the kiosk's order service, for the shift's attraction, recorded against the shift and the cashier. */
  async function createOrder(input: {
    actor: StaffActor;
    lines: OrderLineInput[];
    locale?: string;
  }): Promise<OrderView> {
    const shift = await requireOpenShift(input.actor);
    return orders.create({
      actor: input.actor,
      attractionId: shift.counter.attractionId,
      shiftId: shift.id,
      lines: input.lines,
      ...(input.locale ? { locale: input.locale } : {}),
    });
  }

  /** A cashier takes payments only for orders of their own open shift (a closed till takes nothing more). */
  async function assertPayable(orderId: string, actor: StaffActor): Promise<void> {
    await assertOwnOpenShift({ orderId }, actor, "paid");
  }

  /**
   * Staff at a counter cancel only orders and payments of their own open shift: never a kiosk
   * visitor's payment in flight, nor another cashier's (supervisors use the console's audited
   * "cancel now" for those).
   */
  async function assertCancellable(ref: { orderId: string } | { paymentId: string }, actor: StaffActor): Promise<void> {
    if ("orderId" in ref) return assertOwnOpenShift(ref, actor, "cancelled");
    const payment = await db.payment.findUnique({ where: { id: ref.paymentId }, select: { orderId: true } });
    if (!payment) throw new KioskError("NOT_FOUND", `Payment ${ref.paymentId} not found`);
    await assertOwnOpenShift({ orderId: payment.orderId }, actor, "cancelled");
  }

  async function assertOwnOpenShift(
    ref: { orderId: string },
    actor: StaffActor,
    verb: "paid" | "cancelled",
  ): Promise<void> {
    const { orderId } = ref;
    const order = await db.order.findUnique({
      where: { id: orderId },
      select: { id: true, shiftId: true, shift: { select: { state: true, staffUserId: true } } },
    });
    if (!order) throw new KioskError("NOT_FOUND", `Order ${orderId} not found`);
    if (!order.shift || order.shift.staffUserId !== actor.id)
      throw new KioskError("FORBIDDEN", `Order ${orderId} was not sold in your shift`);
    if (order.shift.state !== "open")
      throw new KioskError("CONFLICT", `Shift ${order.shiftId} is closed; order ${orderId} can no longer be ${verb}`);
  }

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

  return {
    listCounters,
    createCounter,
    openShift,
    currentShift,
    getShift,
    listShifts,
    createOrder,
    assertPayable,
    assertCancellable,
    closeShift,
  };
}

export type CounterService = ReturnType<typeof createCounterService>;
