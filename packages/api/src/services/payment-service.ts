/**
 * Payments: the row is written in SENDING (with its partner transaction id and the masked
 * code) and committed before the pay request leaves; every gateway answer goes through the
 * pure machine, and each resulting transition is written with a version check plus a
 * PaymentEvent whose seq is the new version. Tickets are issued in the transaction that
 * writes PAID, so they exist exactly when the payment is PAID.
 */
import { EventEmitter } from "node:events";
import {
  startPayment,
  timedCommandOf,
  transition,
  type CancelReason,
  type ErrorInfo,
  type PaymentCommand,
  type PaymentEvent as MachineEvent,
  type PaymentState as MachineState,
  type SignedPayRequest,
  type StaffResolution,
} from "@kiosk/alipay-core";
import { isPaymentCode, maskPaymentCode } from "@kiosk/alipay-core/money";
import { isUniqueViolation, type PaymentStateName, type Prisma } from "@kiosk/db";
import { KioskError } from "../errors.ts";
import {
  describeGatewayError,
  type AlipayGateway,
  type GatewayCancelResult,
  type GatewayErrorInfo,
  type GatewayNotification,
  type GatewayPayResult,
  type GatewayQueryResult,
  type GatewayRefundQueryResult,
  type GatewayRefundResult,
  type PaidTrade,
} from "./gateway.ts";
import { actorId, newId, noopMetrics, silentLogger, type Actor, type MoneyDeps } from "./money-deps.ts";
import { assertOrderAccess, convertHoldsInTx, releaseHoldsInTx, TX_OPTIONS, type Tx } from "./order-service.ts";
import { assertPayRequestKey, openPayRequest, sealPayRequest, type HeldPayRequest } from "./pay-request-seal.ts";
import { cancelWindowMs, machinePolicyOf, resolveServerPaymentPolicy, type PaymentPolicy } from "./payment-policy.ts";
import { recordSaleInTx } from "./sale-events.ts";
import type { IssueContext, PreparedTickets, TicketService, TicketView } from "./ticket-service.ts";

/** States in which the worker still has something to do. */
export const ACTIVE_STATES: readonly PaymentStateName[] = ["SENDING", "POLLING", "CANCELLING", "REFUNDING"];
const TERMINAL_STATES: readonly PaymentStateName[] = ["FAILED", "CANCELLED", "REFUNDED"];

type PaymentRow = Prisma.PaymentGetPayload<object>;

export interface PaymentView {
  id: string;
  orderId: string;
  state: PaymentStateName;
  partnerTransId: string;
  amountMinor: number;
  currency: string;
  paymentCodeMasked: string;
  alipayTransId: string | null;
  failureReason: string | null;
  attentionReason: string | null;
  paidAt: Date | null;
  createdAt: Date;
  version: number;
  /** True once the worker has nothing left to do for the visitor (paid, failed, cancelled…). */
  isSettled: boolean;
  tickets: TicketView[];
}

/** A refund as the server asks for it: the Refund row's ids plus tickets to void on success. */
export interface RefundRequest {
  refundId: string;
  partnerRefundId: string;
  amountMinor: number;
  reason?: string;
  /** Tickets to void when a partial refund succeeds. */
  ticketIds?: string[];
}

/**
 * What callers feed into a payment: gateway answers, visitor / staff requests. Each becomes
 * one alipay-core machine event (`toMachineEvent`); the type is what the event row records.
 */
export type PaymentInput =
  | { type: "pay_result"; result: GatewayPayResult }
  | { type: "pay_error"; error: GatewayErrorInfo }
  | { type: "query_result"; result: GatewayQueryResult }
  | { type: "query_error"; error: GatewayErrorInfo }
  | { type: "cancel_result"; result: GatewayCancelResult }
  | { type: "cancel_error"; error: GatewayErrorInfo }
  | { type: "cancel_requested"; by?: CancelReason }
  | { type: "notification"; notification: GatewayNotification }
  | { type: "refund_requested"; refund: RefundRequest }
  | { type: "refund_result"; result: GatewayRefundResult }
  | { type: "refund_error"; partnerRefundId: string; error: GatewayErrorInfo }
  | { type: "refund_query_result"; result: GatewayRefundQueryResult }
  | { type: "refund_query_error"; partnerRefundId: string; error: GatewayErrorInfo }
  /** After a crash or lease takeover: re-issue what the state needs (a SENDING row is queried). */
  | { type: "resume" }
  | { type: "resolve"; to: "PAID" | "FAILED" | "CANCELLED" | "REFUNDED"; reason: string; trade?: PaidTrade };

function errorInfoOf(e: GatewayErrorInfo): ErrorInfo {
  return {
    name: e.name,
    isRetryable: e.isRetryable,
    mayHaveReachedGateway: e.mayHaveReachedGateway ?? true,
    ...(e.reason !== undefined ? { reason: e.reason } : {}),
  };
}

export function toMachineEvent(input: PaymentInput, state: MachineState): MachineEvent {
  switch (input.type) {
    case "pay_result":
    case "query_result":
    case "cancel_result":
    case "refund_result":
    case "refund_query_result":
      return { type: input.type, result: input.result } as MachineEvent;
    case "pay_error":
    case "query_error":
    case "cancel_error":
      return { type: input.type, error: errorInfoOf(input.error) };
    case "refund_error":
    case "refund_query_error":
      return { type: input.type, partnerRefundId: input.partnerRefundId, error: errorInfoOf(input.error) };
    case "cancel_requested":
      return { type: "cancel_requested", by: input.by ?? "visitor" };
    case "notification": {
      const n = input.notification;
      return {
        type: "notification",
        fact: {
          status: n.status,
          alipayTransId: n.alipayTransId,
          amountMinor: n.amountMinor,
          currency: n.currency,
          amountText: n.amountText,
          foreignIdentity: n.foreignIdentity,
          paidAtMs: n.paidAt?.getTime(),
        },
      };
    }
    case "refund_requested":
      return {
        type: "refund_requested",
        partnerRefundId: input.refund.partnerRefundId,
        amountMinor: input.refund.amountMinor,
        ...(input.refund.reason !== undefined ? { reason: input.refund.reason } : {}),
      };
    case "resume":
      return { type: "resume" };
    case "resolve": {
      const resolution: StaffResolution =
        input.to === "PAID"
          ? { to: "PAID", ...(input.trade?.alipayTransId ? { alipayTransId: input.trade.alipayTransId } : {}) }
          : input.to === "REFUNDED"
            ? { to: "REFUNDED", refundedMinor: state.amountMinor }
            : { to: input.to };
      return { type: "staff_resolved", resolution, note: input.reason.slice(0, 500) };
    }
  }
}

function isMachineState(value: unknown, row: PaymentRow): value is MachineState {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<MachineState>;
  return (
    v.state === row.state &&
    v.partnerTransId === row.partnerTransId &&
    typeof v.amountMinor === "number" &&
    typeof v.deadlineAt === "number"
  );
}

/**
 * The machine state of a row: its `machineState` JSON, or (for rows written without one)
 * rebuilt from the columns the JSON mirrors.
 */
export function machineOf(row: PaymentRow): MachineState {
  try {
    const parsed: unknown = JSON.parse(row.machineState);
    if (isMachineState(parsed, row)) return parsed;
  } catch {
    // fall through to the columns
  }
  const common = {
    partnerTransId: row.partnerTransId,
    amountMinor: row.amountMinor,
    currency: row.currency,
    createdAt: row.createdAt.getTime(),
    deadlineAt: row.deadlineAt.getTime(),
    payAttempts: Math.max(1, row.attempt),
    lastPaySentAt: row.createdAt.getTime(),
    queryCount: row.queryCount,
    cancelAttempts: row.cancelAttempt,
    nextActionAt: row.nextActionAt ? row.nextActionAt.getTime() : null,
    refundedMinor: 0,
    hasIssuedTickets: row.paidAt !== null,
    ...(row.alipayTransId ? { alipayTransId: row.alipayTransId } : {}),
    ...(row.paidAt ? { paidAt: row.paidAt.getTime() } : {}),
  };
  const name = row.state as PaymentStateName;
  switch (name) {
    case "SENDING":
      return { ...common, state: "SENDING", isCancelRequested: false };
    case "POLLING":
      return { ...common, state: "POLLING", isPayRetryAllowed: false, isPayInFlight: false };
    case "CANCELLING":
      return { ...common, state: "CANCELLING", cancelReason: "system" };
    case "PAID":
    case "PARTIALLY_REFUNDED":
    case "REFUNDED":
      return { ...common, state: name, hasIssuedTickets: true };
    case "FAILED":
      return { ...common, state: "FAILED", failureReason: row.failureReason ?? "unknown" };
    case "CANCELLED":
      return { ...common, state: "CANCELLED", cancelReason: "system", cancelOutcome: "cancelled" };
    case "REFUNDING":
    case "NEEDS_ATTENTION":
      // A refund in flight cannot be rebuilt from columns: a person looks.
      return {
        ...common,
        state: "NEEDS_ATTENTION",
        attentionReason: row.attentionReason ?? `${name} without machine state`,
        previousState: name,
        nextActionAt: null,
      };
  }
}

/**
 * The `nextActionAt` column: the machine's own, or — while a pay request is out (the machine
 * schedules nothing then) — when a worker should take over if the sender died.
 */
function nextActionColumn(state: MachineState, policy: PaymentPolicy): Date | null {
  if (state.nextActionAt !== null) return new Date(state.nextActionAt);
  if (state.state === "SENDING" || (state.state === "POLLING" && state.isPayInFlight))
    return new Date(state.lastPaySentAt + policy.firstQueryDelayMs);
  return null;
}

/** What a due payment needs next, derived from its persisted state: a gateway command, or `resume`. */
type TimedCommand = Extract<PaymentCommand, { at: number }>;

function dueCommandOf(state: MachineState): TimedCommand | "resume" | null {
  const at = state.nextActionAt ?? 0;
  switch (state.state) {
    case "SENDING":
      return "resume";
    case "POLLING":
      return state.isPayInFlight ? "resume" : { type: "query", at, partnerTransId: state.partnerTransId };
    case "CANCELLING":
      return { type: "cancel", at, partnerTransId: state.partnerTransId, attempt: state.cancelAttempts };
    case "REFUNDING":
      if (state.refund.confirm !== undefined) {
        // Alipay accepted the refund without moving money: confirm it, never resend it blindly.
        return {
          type: "refund_query",
          at,
          partnerTransId: state.partnerTransId,
          partnerRefundId: state.refund.partnerRefundId,
          amountMinor: state.refund.amountMinor,
        };
      }
      return {
        type: "refund",
        at,
        partnerTransId: state.partnerTransId,
        partnerRefundId: state.refund.partnerRefundId,
        amountMinor: state.refund.amountMinor,
        attempt: state.refund.attempts,
        ...(state.refund.reason !== undefined ? { reason: state.refund.reason } : {}),
      };
    default:
      return null;
  }
}

/** The paid trade an input reports, if any (for the Payment columns written with PAID). */
function tradeOf(
  input: PaymentInput,
): { alipayTransId?: string | undefined; paidAt?: Date | undefined; buyerLoginIdMasked?: string | undefined } | null {
  if ((input.type === "pay_result" || input.type === "query_result") && input.result.status === "paid")
    return input.result;
  if (input.type === "notification")
    return { alipayTransId: input.notification.alipayTransId, paidAt: input.notification.paidAt };
  if (input.type === "resolve" && input.trade) return input.trade;
  return null;
}

/** What an event row says about the gateway exchange: ids, statuses, reasons; never a code or key. */
function summarize(event: PaymentInput, request?: Record<string, unknown>, ignored?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (request) out.request = request;
  switch (event.type) {
    case "pay_result":
    case "query_result": {
      const r = event.result;
      out.response = {
        status: r.status,
        ...("reason" in r ? { reason: r.reason } : {}),
        ...("alipayTransId" in r ? { alipayTransId: r.alipayTransId } : {}),
        ...(r.status === "paid" ? { amountMinor: r.amountMinor, currency: r.currency } : {}),
        ...(r.status === "paid" && r.exchangeRate !== undefined ? { exchangeRate: r.exchangeRate } : {}),
      };
      break;
    }
    case "cancel_result":
      out.response = {
        status: event.result.status,
        ...("reason" in event.result ? { reason: event.result.reason } : {}),
      };
      break;
    case "refund_result":
    case "refund_query_result":
      out.response = {
        status: event.result.status,
        partnerRefundId: event.result.partnerRefundId,
        ...("reason" in event.result ? { reason: event.result.reason } : {}),
      };
      break;
    case "pay_error":
    case "query_error":
    case "cancel_error":
    case "refund_error":
    case "refund_query_error":
      out.error = event.error;
      break;
    case "notification":
      out.notification = {
        notifyId: event.notification.notifyId,
        status: event.notification.status,
        alipayTransId: event.notification.alipayTransId,
        amountMinor: event.notification.amountMinor,
        currency: event.notification.currency,
        ...(event.notification.amountMinor === undefined && event.notification.amountText !== undefined
          ? { amountText: event.notification.amountText.slice(0, 32) }
          : {}),
        ...(event.notification.foreignIdentity !== undefined
          ? { foreignIdentity: event.notification.foreignIdentity.slice(0, 200) }
          : {}),
      };
      break;
    case "refund_requested":
      out.refund = {
        refundId: event.refund.refundId,
        partnerRefundId: event.refund.partnerRefundId,
        amountMinor: event.refund.amountMinor,
        ...(event.refund.ticketIds ? { ticketIds: event.refund.ticketIds } : {}),
      };
      break;
    case "resolve":
      out.resolve = { to: event.to, reason: event.reason.slice(0, 500) };
      break;
    case "cancel_requested":
      out.by = event.by ?? "visitor";
      break;
    case "resume":
      break;
  }
  if (ignored) out.ignored = ignored;
  return out;
}

export interface StartPaymentInput {
  orderId: string;
  paymentCode: string;
  actor: Actor;
  /** A partner terminal's own trade fields (issue 18), over the attraction's / kiosk's. */
  trade?: { subject?: string; storeId?: string; terminalId?: string };
}

/** Who caused a transition, as written into the event row. */
export type EventActor = Actor | { type: "gateway"; id?: undefined };

export interface ApplyOptions {
  actor: EventActor;
  request?: Record<string, unknown>;
  /** Clears this owner's lease in the same write. */
  leaseOwner?: string;
  /** The row as the caller just wrote it (skips the read; a version conflict re-reads). */
  known?: PaymentRow;
  /** The paid order's lines, loaded by the caller, so PAID needs no reads in its transaction. */
  paidOrder?: IssueContext;
}

export function createPaymentService(deps: MoneyDeps & { tickets: TicketService }) {
  const { db, clock, alipay, tickets } = deps;
  const log = deps.log ?? silentLogger;
  const metrics = deps.metrics ?? noopMetrics;
  const policy: PaymentPolicy = resolveServerPaymentPolicy(deps.policy);
  const instanceId = deps.instanceId ?? newId("inst");
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const payRequestKey = deps.payRequestKey;
  if (payRequestKey) assertPayRequestKey(payRequestKey);
  /**
   * The signed first pay request of each payment this process started, for resending it
   * unchanged (same bytes, same partner_trans_id) after SYSTEM_ERROR. With `payRequestKey`
   * the same request is also on the row, sealed (`Payment.payRequest`), so a restarted or
   * another process resends it too; without the key a restart only queries.
   */
  const heldPays = new Map<string, HeldPayRequest>();

  function holdPay(paymentId: string, held: HeldPayRequest): void {
    const now = clock.now().getTime();
    for (const [id, h] of heldPays) if (h.until <= now) heldPays.delete(id);
    heldPays.set(paymentId, held);
  }

  /** The pay request to resend, from memory or the sealed column; none once its time is up. */
  function heldPayOf(row: Pick<PaymentRow, "id" | "payRequest">): HeldPayRequest | undefined {
    const now = clock.now().getTime();
    const inMemory = heldPays.get(row.id);
    if (inMemory && inMemory.until <= now) heldPays.delete(row.id);
    const held =
      inMemory ?? (payRequestKey && row.payRequest ? openPayRequest(payRequestKey, row.id, row.payRequest) : null);
    return held && held.until > now ? held : undefined;
  }

  /** The sealed request can go: nothing can be resent any more (one this process cannot open stays for those that can). */
  function isPayRequestSpent(row: Pick<PaymentRow, "id" | "payRequest">, nextState: string): boolean {
    if (row.payRequest === null) return false;
    if (nextState !== "SENDING" && nextState !== "POLLING") return true;
    const sealed = payRequestKey ? openPayRequest(payRequestKey, row.id, row.payRequest) : null;
    return sealed !== null && sealed.until <= clock.now().getTime();
  }

  /** The view without tickets. */
  function viewOf(row: PaymentRow): PaymentView {
    return {
      id: row.id,
      orderId: row.orderId,
      state: row.state as PaymentStateName,
      partnerTransId: row.partnerTransId,
      amountMinor: row.amountMinor,
      currency: row.currency,
      paymentCodeMasked: row.paymentCodeMasked,
      alipayTransId: row.alipayTransId,
      failureReason: row.failureReason,
      attentionReason: row.attentionReason,
      paidAt: row.paidAt,
      createdAt: row.createdAt,
      version: row.version,
      isSettled: !ACTIVE_STATES.includes(row.state as PaymentStateName),
      tickets: [],
    };
  }

  async function view(row: PaymentRow): Promise<PaymentView> {
    const hasTickets =
      row.state === "PAID" ||
      row.state === "PARTIALLY_REFUNDED" ||
      row.state === "REFUNDED" ||
      row.state === "REFUNDING" ||
      row.state === "NEEDS_ATTENTION";
    return { ...viewOf(row), tickets: hasTickets ? await tickets.listForOrder(row.orderId, { type: "system" }) : [] };
  }

  async function loadForActor(paymentId: string, actor: Actor): Promise<PaymentRow> {
    const row = await db.payment.findUnique({
      where: { id: paymentId },
      include: { order: { select: { id: true, kioskId: true, apiClientId: true, attractionId: true } } },
    });
    if (!row) throw new KioskError("NOT_FOUND", `Payment ${paymentId} not found`);
    assertOrderAccess(row.order, actor);
    const { order: _order, ...payment } = row;
    return payment;
  }

  /** Payment columns a transition's commands set, known before the transaction. */
  function columnsOf(
    next: MachineState,
    commands: readonly PaymentCommand[],
    input: PaymentInput,
    now: Date,
  ): Partial<PaymentRow> {
    const extra: Partial<PaymentRow> = {};
    for (const c of commands) {
      if (c.type === "issue_tickets") {
        const trade = tradeOf(input);
        extra.paidAt = next.paidAt !== undefined ? new Date(next.paidAt) : (trade?.paidAt ?? now);
        const alipayTransId = next.alipayTransId ?? trade?.alipayTransId;
        if (alipayTransId) extra.alipayTransId = alipayTransId;
        if (trade?.buyerLoginIdMasked) extra.buyerIdMasked = trade.buyerLoginIdMasked;
      } else if (c.type === "escalate") {
        extra.attentionReason = c.reason.slice(0, 500);
      }
    }
    return extra;
  }

  /**
   * The side effects of a transition that must commit with it: `issue_tickets` (order paid,
   * tickets, holds converted), `release_hold` (order failed / cancelled, capacity back),
   * `escalate` of a refund in flight, and a finished refund. Runs after the payment row is
   * written; the shared Slot rows are touched last, so their locks are held only until commit.
   */
  async function effectsInTx(
    tx: Tx,
    row: PaymentRow,
    before: MachineState,
    next: MachineState,
    commands: readonly PaymentCommand[],
    now: Date,
    prepared: { tickets: PreparedTickets; lines: IssueContext["lines"] } | null,
    paidAt: Date,
  ): Promise<TicketView[] | null> {
    let issued: TicketView[] | null = null;
    for (const c of commands) {
      if (c.type === "issue_tickets") {
        if (prepared) {
          issued = await tickets.insertPreparedInTx(tx, prepared.tickets, { isKnownEmpty: before.state === "SENDING" });
        } else {
          await tickets.issueInTx(tx, row.orderId, now);
        }
        await tx.order.updateMany({
          where: { id: row.orderId, state: { in: ["pending", "expired", "failed", "cancelled"] } },
          data: { state: "paid" },
        });
        // The durable sale event commits with PAID (a crash cannot lose it); before the Slot rows.
        await recordSaleInTx(tx, deps.events, {
          orderId: row.orderId,
          paymentId: row.id,
          amountMinor: row.amountMinor,
          currency: row.currency,
          paidAt,
        });
        const overCapacity = await convertHoldsInTx(tx, row.orderId, now, prepared?.lines);
        if (overCapacity.length > 0)
          log.warn("paid order went over slot capacity", {
            paymentId: row.id,
            orderId: row.orderId,
            slots: overCapacity,
          });
      } else if (c.type === "release_hold") {
        await tx.order.updateMany({
          where: { id: row.orderId, state: "pending" },
          data: { state: next.state === "FAILED" ? "failed" : "cancelled" },
        });
        await releaseHoldsInTx(tx, row.orderId, now);
      } else if (c.type === "escalate" && before.state === "REFUNDING") {
        await tx.refund.updateMany({
          where: { partnerRefundId: before.refund.partnerRefundId, state: "pending" },
          data: { state: "needs_attention", failureReason: c.reason.slice(0, 500), nextActionAt: null },
        });
      }
    }
    if (before.state === "REFUNDING" && (next.state === "REFUNDED" || next.state === "PARTIALLY_REFUNDED")) {
      const refund = before.refund;
      await tx.refund.updateMany({
        where: { partnerRefundId: refund.partnerRefundId, state: "pending" },
        data: { state: "succeeded", completedAt: now, nextActionAt: null },
      });
      const order = await tx.order.update({
        where: { id: row.orderId },
        data: { refundedMinor: { increment: refund.amountMinor } },
      });
      await tx.order.update({
        where: { id: row.orderId },
        data: { state: order.refundedMinor >= order.totalMinor ? "refunded" : "partially_refunded" },
      });
      if (next.state === "REFUNDED") {
        await tickets.voidInTx(tx, { orderId: row.orderId, now });
      } else {
        const ticketIds = await refundTicketIds(tx, row.id, refund.partnerRefundId);
        if (ticketIds.length > 0) await tickets.voidInTx(tx, { orderId: row.orderId, ticketIds, now });
      }
    }
    return issued;
  }

  /** Tickets named when a partial refund was requested (kept in its event row, not in the machine). */
  async function refundTicketIds(tx: Tx, paymentId: string, partnerRefundId: string): Promise<string[]> {
    const requested = await tx.paymentEvent.findFirst({
      where: { paymentId, type: "refund_requested", summary: { contains: partnerRefundId } },
      orderBy: { seq: "desc" },
      select: { summary: true },
    });
    if (!requested) return [];
    const summary = JSON.parse(requested.summary) as { refund?: { ticketIds?: unknown } };
    const ids = summary.refund?.ticketIds;
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === "string") : [];
  }

  function publish(row: PaymentRow): void {
    emitter.emit(row.id, row.version);
    deps.events?.publish("payment", {
      paymentId: row.id,
      orderId: row.orderId,
      state: row.state,
      version: row.version,
    });
  }

  /**
   * Feeds one input into alipay-core's machine and persists the result: the state JSON in
   * `machineState`, its mirrored columns, one event row and the effects, in one transaction
   * with a version check. Retries on a concurrent write by re-reading the row and re-deciding,
   * so no answer is ever lost or applied twice. An input the machine ignores writes nothing,
   * except a staff member's, which is recorded as an event (state unchanged, `ignored` why).
   * The returned row is the one written (built in memory, not re-read).
   */
  async function apply(
    paymentId: string,
    input: PaymentInput,
    options: ApplyOptions,
  ): Promise<{ row: PaymentRow; commands: PaymentCommand[]; ignored?: string; issued?: TicketView[] }> {
    let known = options.known;
    for (let attempt = 0; attempt < 20; attempt++) {
      const row = known ?? (await db.payment.findUniqueOrThrow({ where: { id: paymentId } }));
      known = undefined;
      const now = clock.now();
      const before = machineOf(row);
      const heldPay = heldPayOf(row);
      const machinePolicy = machinePolicyOf(policy, { hasPaymentCode: heldPay !== undefined });
      const result = transition(before, toMachineEvent(input, before), machinePolicy, now.getTime());
      // Staff actions are always written down, even when they change nothing (a query from the console).
      if (result.ignored !== undefined && options.actor.type !== "staff") {
        if (options.leaseOwner) {
          await db.payment.updateMany({
            where: { id: paymentId, leaseOwner: options.leaseOwner },
            data: { leaseOwner: null, leaseUntil: null },
          });
        }
        log.debug?.("payment input ignored", { paymentId, state: row.state, input: input.type, why: result.ignored });
        return { row, commands: [], ignored: result.ignored };
      }
      const next = result.state;
      const commands = result.commands;
      const isFinal = TERMINAL_STATES.includes(next.state);
      const paidOrder = options.paidOrder;
      const prepared =
        paidOrder && commands.some((c) => c.type === "issue_tickets")
          ? { tickets: await tickets.prepare(paidOrder, now), lines: paidOrder.lines }
          : null;
      const data = {
        state: next.state,
        attempt: next.payAttempts,
        queryCount: next.queryCount,
        cancelAttempt: next.cancelAttempts,
        nextActionAt: nextActionColumn(next, policy),
        failureReason: next.state === "FAILED" ? next.failureReason.slice(0, 500) : row.failureReason,
        attentionReason: next.state === "NEEDS_ATTENTION" ? next.attentionReason.slice(0, 500) : null,
        ...(next.alipayTransId && !row.alipayTransId ? { alipayTransId: next.alipayTransId } : {}),
        ...columnsOf(next, commands, input, now),
        ...(options.leaseOwner ? { leaseOwner: null, leaseUntil: null } : {}),
        machineState: JSON.stringify(next),
        // The sealed request goes as soon as no resend can follow (settled, cancelling, expired).
        ...(isPayRequestSpent(row, next.state) ? { payRequest: null } : {}),
        version: row.version + 1,
        ...(isFinal && !row.finishedAt ? { finishedAt: now } : {}),
      } satisfies Partial<PaymentRow>;
      const outcome = await db
        .$transaction(async (tx) => {
          const { count } = await tx.payment.updateMany({ where: { id: paymentId, version: row.version }, data });
          if (count !== 1) throw new VersionConflict();
          await tx.paymentEvent.create({
            data: {
              paymentId,
              seq: row.version + 1,
              type: input.type,
              fromState: row.state,
              toState: next.state,
              actorType: options.actor.type,
              actorId: options.actor.id ?? null,
              summary: JSON.stringify(summarize(input, options.request, result.ignored)),
              createdAt: now,
            },
            select: { id: true },
          });
          return {
            issued: await effectsInTx(tx, row, before, next, commands, now, prepared, data.paidAt ?? row.paidAt ?? now),
          };
        }, TX_OPTIONS)
        .catch((error: unknown) => {
          if (error instanceof VersionConflict || isUniqueViolation(error)) return null;
          throw error;
        });
      if (!outcome) continue;
      const written: PaymentRow = { ...row, ...data, updatedAt: now };
      if (next.state !== "SENDING" && next.state !== "POLLING") heldPays.delete(paymentId);
      if (written.state !== row.state) {
        metrics.inc("kiosk_payment_transitions_total", { from: row.state, to: written.state });
        if (["PAID", "FAILED", "CANCELLED", "NEEDS_ATTENTION"].includes(written.state))
          metrics.inc("kiosk_payments_total", { outcome: written.state.toLowerCase() });
        log.info("payment transition", {
          paymentId,
          orderId: row.orderId,
          from: row.state,
          to: written.state,
          event: input.type,
        });
      }
      publish(written);
      return {
        row: written,
        commands,
        ...(result.ignored !== undefined ? { ignored: result.ignored } : {}),
        ...(outcome.issued ? { issued: outcome.issued } : {}),
      };
    }
    throw new KioskError("CONFLICT", `Payment ${paymentId} is changing too fast; try again`);
  }

  async function timed<T>(op: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await call();
      metrics.inc("kiosk_gateway_calls_total", { op, outcome: (result as { status?: string }).status ?? "ok" });
      return result;
    } catch (error) {
      metrics.inc("kiosk_gateway_calls_total", { op, outcome: "error" });
      throw error;
    } finally {
      metrics.observe?.("kiosk_gateway_latency_ms", performance.now() - started, { op });
    }
  }

  /** Sends a signed pay (the first, or a resend: the same bytes) and returns its answer as an input. */
  async function sendPay(signed: SignedPayRequest): Promise<PaymentInput> {
    try {
      const result = await timed("pay", () => alipay.sendPay(signed));
      return { type: "pay_result", result };
    } catch (error) {
      return { type: "pay_error", error: describeGatewayError(error) };
    }
  }

  /** Runs one gateway command and turns its answer (or error) into the machine's input. */
  async function execute(
    row: PaymentRow,
    command: PaymentCommand,
    gateway: AlipayGateway,
  ): Promise<{ event: PaymentInput; request: Record<string, unknown> } | null> {
    const partnerTransId = row.partnerTransId;
    if (command.type === "pay") {
      const request = { op: "pay", partnerTransId, attempt: command.attempt };
      const held = heldPayOf(row);
      if (!held) {
        // Not sent: no first request to resend (expired, or no key to open it). The machine goes back to querying.
        return {
          event: {
            type: "pay_error",
            error: {
              name: "PaymentCodeUnavailable",
              message: "The first pay request is not available to this process",
              isRetryable: false,
              mayHaveReachedGateway: false,
            },
          },
          request,
        };
      }
      return { event: await sendPay(held.signed), request };
    }
    if (command.type === "query") {
      const request = { op: "query", partnerTransId };
      try {
        return {
          event: {
            type: "query_result",
            result: await timed("query", () => gateway.query({ partnerTransId, currency: row.currency })),
          },
          request,
        };
      } catch (error) {
        return { event: { type: "query_error", error: describeGatewayError(error) }, request };
      }
    }
    if (command.type === "cancel") {
      const request = { op: "cancel", partnerTransId, attempt: command.attempt };
      try {
        return {
          event: { type: "cancel_result", result: await timed("cancel", () => gateway.cancel({ partnerTransId })) },
          request,
        };
      } catch (error) {
        return { event: { type: "cancel_error", error: describeGatewayError(error) }, request };
      }
    }
    if (command.type === "refund") {
      const { partnerRefundId, amountMinor } = command;
      const request = { op: "refund", partnerTransId, partnerRefundId, amountMinor, attempt: command.attempt };
      await db.refund.updateMany({ where: { partnerRefundId }, data: { attempt: { increment: 1 } } });
      try {
        const result = await timed("refund", () =>
          gateway.refund({
            partnerTransId,
            partnerRefundId,
            amountMinor,
            currency: row.currency,
            ...(command.reason !== undefined ? { reason: command.reason } : {}),
          }),
        );
        return { event: { type: "refund_result", result }, request };
      } catch (error) {
        return { event: { type: "refund_error", partnerRefundId, error: describeGatewayError(error) }, request };
      }
    }
    if (command.type === "refund_query") {
      const { partnerRefundId, amountMinor } = command;
      const request = { op: "refund_query", partnerTransId, partnerRefundId };
      try {
        const result = await timed("refund_query", () =>
          gateway.refundQuery({ partnerTransId, partnerRefundId, amountMinor, currency: row.currency }),
        );
        return { event: { type: "refund_query_result", result }, request };
      } catch (error) {
        return { event: { type: "refund_query_error", partnerRefundId, error: describeGatewayError(error) }, request };
      }
    }
    return null;
  }

  /**
   * Does whatever is due for a payment this process has leased (`owner`), then lets the lease
   * go. Used by the worker and right after a visitor's cancel or a staff refund. The command
   * comes from the last transition when it is due now, else from the persisted state.
   */
  async function drive(paymentId: string, owner: string): Promise<PaymentRow> {
    let row = await db.payment.findUniqueOrThrow({ where: { id: paymentId } });
    let pending: TimedCommand | undefined;
    const actor: EventActor = { type: "system", id: owner };
    try {
      for (let step = 0; step < 6; step++) {
        if (row.leaseOwner !== owner) return row;
        if (!ACTIVE_STATES.includes(row.state as PaymentStateName)) break;
        const now = clock.now().getTime();
        let command = pending && pending.at <= now ? pending : undefined;
        pending = undefined;
        if (!command) {
          if (row.nextActionAt && row.nextActionAt.getTime() > now) break;
          const due = dueCommandOf(machineOf(row));
          if (due === null) break;
          if (due === "resume") {
            const resumed = await apply(paymentId, { type: "resume" }, { actor });
            row = resumed.row;
            const next = timedCommandOf(resumed.commands);
            if (resumed.ignored !== undefined || !next || next.at > clock.now().getTime()) break;
            command = next;
          } else {
            command = due;
          }
        }
        const outcome = await execute(row, command, alipay);
        if (!outcome) break;
        const applied = await apply(paymentId, outcome.event, { actor, request: outcome.request });
        row = applied.row;
        if (applied.ignored !== undefined) break;
        pending = timedCommandOf(applied.commands);
      }
    } finally {
      await db.payment.updateMany({
        where: { id: paymentId, leaseOwner: owner },
        data: { leaseOwner: null, leaseUntil: null },
      });
    }
    return db.payment.findUniqueOrThrow({ where: { id: paymentId } });
  }

  /** Leases one payment if it is due and free (or already ours); true when this owner now holds it. */
  async function claim(paymentId: string, owner: string, options: { isDueRequired: boolean }): Promise<boolean> {
    const now = clock.now();
    const { count } = await db.payment.updateMany({
      where: {
        id: paymentId,
        state: { in: [...ACTIVE_STATES] },
        ...(options.isDueRequired ? { nextActionAt: { lte: now } } : {}),
        OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }, { leaseOwner: owner }],
      },
      data: { leaseOwner: owner, leaseUntil: new Date(now.getTime() + policy.leaseMs) },
    });
    return count === 1;
  }

  async function start(input: StartPaymentInput): Promise<PaymentView> {
    const code = input.paymentCode.trim();
    if (!isPaymentCode(code)) throw new KioskError("BAD_REQUEST", "This is not an Alipay payment code");
    const masked = maskPaymentCode(code);
    const order = await db.order.findUnique({
      where: { id: input.orderId },
      include: {
        attraction: { select: { name: true, ticketKeyId: true, secondaryMerchantId: true, storeId: true } },
        lines: {
          include: {
            ticketType: { select: { code: true, name: true } },
            slot: { select: { startsAt: true, endsAt: true } },
          },
        },
        payments: { select: { state: true } },
      },
    });
    if (!order) throw new KioskError("NOT_FOUND", `Order ${input.orderId} not found`);
    assertOrderAccess(order, input.actor);
    const now = clock.now();
    if (order.state !== "pending") throw new KioskError("CONFLICT", `Order ${order.id} is ${order.state}`);
    if (order.expiresAt.getTime() <= now.getTime()) throw new KioskError("CONFLICT", `Order ${order.id} has expired`);

    const paymentId = newId("pay");
    const deadlineAt = new Date(now.getTime() + policy.paymentDeadlineMs);
    const owner = `${instanceId}:pay`;
    if (order.payments.some((p) => p.state !== "FAILED" && p.state !== "CANCELLED")) {
      throw new KioskError("CONFLICT", `Order ${order.id} already has a payment`);
    }
    // Deterministic per attempt: two racing starts for one order collide on the unique index.
    const partnerTransId = `K${order.id.replace(/^ord_/, "")}${String(order.payments.length + 1).padStart(2, "0")}`;
    // Signed once, here: a resend after SYSTEM_ERROR sends exactly these bytes (issue 14).
    let signed: SignedPayRequest | undefined;
    let signError: unknown;
    try {
      signed = alipay.signPay({
        partnerTransId,
        amountMinor: order.totalMinor,
        currency: order.currency,
        paymentCode: code,
        subject:
          input.trade?.subject ??
          (deps.tradeSubject ? deps.tradeSubject(order.attraction.name) : `${order.attraction.name} tickets`),
        // The attraction's merchant fields, when set, over the process-wide ones (issue 14).
        ...(order.attraction.secondaryMerchantId ? { secondaryMerchantId: order.attraction.secondaryMerchantId } : {}),
        ...(order.attraction.storeId ? { storeId: order.attraction.storeId } : {}),
        ...(order.kioskId ? { terminalId: order.kioskId } : {}),
        ...(input.trade?.storeId ? { storeId: input.trade.storeId } : {}),
        ...(input.trade?.terminalId ? { terminalId: input.trade.terminalId } : {}),
      });
    } catch (error) {
      signError = error;
    }
    const held: HeldPayRequest | undefined = signed
      ? { signed, until: Math.min(deadlineAt.getTime(), now.getTime() + policy.payCodeHoldMs) }
      : undefined;
    let created: PaymentRow;
    try {
      created = await db.$transaction(async (tx) => {
        // Same row condition as expiry, so a hold can't expire under a payment that is starting.
        // A start racing this one read the same payments, so it computed the same
        // partnerTransId and loses on the unique index.
        const { count } = await tx.order.updateMany({
          where: { id: order.id, state: "pending", expiresAt: { gt: now } },
          data: {
            expiresAt: new Date(Math.max(order.expiresAt.getTime(), deadlineAt.getTime() + cancelWindowMs(policy))),
          },
        });
        if (count !== 1) throw new KioskError("CONFLICT", `Order ${order.id} is no longer payable`);
        const machine = startPayment(
          { partnerTransId, amountMinor: order.totalMinor, currency: order.currency },
          machinePolicyOf(policy, { hasPaymentCode: true }),
          now.getTime(),
        );
        return tx.payment.create({
          data: {
            id: paymentId,
            orderId: order.id,
            provider: alipay.protocol,
            partnerTransId,
            state: machine.state.state,
            amountMinor: order.totalMinor,
            currency: order.currency,
            paymentCodeMasked: masked,
            attempt: machine.state.payAttempts,
            deadlineAt: new Date(machine.state.deadlineAt),
            nextActionAt: nextActionColumn(machine.state, policy),
            leaseOwner: owner,
            leaseUntil: new Date(now.getTime() + policy.leaseMs),
            machineState: JSON.stringify(machine.state),
            payRequest: held && payRequestKey ? sealPayRequest(payRequestKey, paymentId, held) : null,
            version: 1,
            createdAt: now,
            events: {
              create: {
                seq: 1,
                type: "created",
                fromState: null,
                toState: machine.state.state,
                actorType: input.actor.type,
                actorId: actorId(input.actor),
                summary: JSON.stringify({
                  request: {
                    op: "pay",
                    partnerTransId,
                    amountMinor: order.totalMinor,
                    currency: order.currency,
                    paymentCode: masked,
                  },
                }),
                createdAt: now,
              },
            },
          },
        });
      }, TX_OPTIONS);
    } catch (error) {
      if (isUniqueViolation(error)) throw new KioskError("CONFLICT", `Order ${order.id} already has a payment`);
      throw error;
    }
    metrics.inc("kiosk_payments_started_total", { provider: alipay.protocol });
    log.info("payment sending", { paymentId, orderId: order.id, partnerTransId, paymentCode: masked });

    if (held) holdPay(paymentId, held);
    // A request that could not be built was never sent: the machine fails the payment.
    const event: PaymentInput = held
      ? await sendPay(held.signed)
      : { type: "pay_error", error: describeGatewayError(signError) };
    const paidOrder: IssueContext = {
      id: order.id,
      attractionId: order.attractionId,
      ticketKeyId: order.attraction.ticketKeyId,
      lines: order.lines,
    };
    const applied = await apply(paymentId, event, {
      actor: { type: "gateway" },
      leaseOwner: owner,
      request: { op: "pay", partnerTransId },
      known: created,
      paidOrder,
    });
    // A cancel pressed while the pay was out is acted on now rather than at the next tick.
    const next = timedCommandOf(applied.commands);
    if (
      applied.row.state === "CANCELLING" &&
      next &&
      next.at <= clock.now().getTime() &&
      (await claim(paymentId, owner, { isDueRequired: true }))
    ) {
      await drive(paymentId, owner);
      return view(await db.payment.findUniqueOrThrow({ where: { id: paymentId } }));
    }
    if (applied.issued) return { ...viewOf(applied.row), tickets: applied.issued };
    if (
      ACTIVE_STATES.includes(applied.row.state as PaymentStateName) ||
      applied.row.state === "FAILED" ||
      applied.row.state === "CANCELLED"
    )
      return viewOf(applied.row);
    return view(applied.row);
  }

  async function get(paymentId: string, actor: Actor): Promise<PaymentView> {
    return view(await loadForActor(paymentId, actor));
  }

  async function latestForOrder(orderId: string, actor: Actor): Promise<PaymentView | null> {
    const order = await db.order.findUnique({
      where: { id: orderId },
      select: { id: true, kioskId: true, apiClientId: true, attractionId: true },
    });
    if (!order) throw new KioskError("NOT_FOUND", `Order ${orderId} not found`);
    assertOrderAccess(order, actor);
    const row = await db.payment.findFirst({ where: { orderId }, orderBy: { createdAt: "desc" } });
    return row ? view(row) : null;
  }

  /** The visitor gives up. While the pay request is still out, the cancel waits for its answer. */
  async function cancel(paymentId: string, actor: Actor): Promise<PaymentView> {
    const row = await loadForActor(paymentId, actor);
    if (row.state !== "SENDING" && row.state !== "POLLING" && row.state !== "CANCELLING") {
      throw new KioskError("CONFLICT", `Payment ${paymentId} is ${row.state} and can no longer be cancelled`);
    }
    const { row: after } = await apply(
      paymentId,
      { type: "cancel_requested", by: actor.type === "staff" ? "staff" : "visitor" },
      { actor },
    );
    const owner = `${instanceId}:cancel`;
    if (after.state === "CANCELLING" && (await claim(paymentId, owner, { isDueRequired: true })))
      await drive(paymentId, owner);
    return get(paymentId, actor);
  }

  /** A recorded staff decision for a payment that needs attention. */
  async function resolve(input: {
    paymentId: string;
    to: "PAID" | "FAILED" | "CANCELLED" | "REFUNDED";
    reason: string;
    actor: Actor;
  }): Promise<PaymentView> {
    if (input.actor.type !== "staff") throw new KioskError("FORBIDDEN", "Only staff resolve payments");
    if (input.reason.trim().length < 3) throw new KioskError("BAD_REQUEST", "A reason is required");
    const row = await loadForActor(input.paymentId, input.actor);
    if (row.state !== "NEEDS_ATTENTION")
      throw new KioskError("CONFLICT", `Payment ${row.id} is ${row.state}, not NEEDS_ATTENTION`);
    await apply(row.id, { type: "resolve", to: input.to, reason: input.reason }, { actor: input.actor });
    return get(row.id, input.actor);
  }

  async function events(paymentId: string, actor: Actor) {
    await loadForActor(paymentId, actor);
    const rows = await db.paymentEvent.findMany({ where: { paymentId }, orderBy: { seq: "asc" } });
    return rows.map((e) => ({ ...e, summary: JSON.parse(e.summary) as Record<string, unknown> }));
  }

  async function listNeedingAttention(limit = 100): Promise<PaymentView[]> {
    const rows = await db.payment.findMany({
      where: { state: "NEEDS_ATTENTION" },
      orderBy: { updatedAt: "asc" },
      take: limit,
    });
    return Promise.all(rows.map(view));
  }

  /**
   * Yields the payment now and after every change until it settles. Changes made in this
   * process arrive at once; changes made by another instance are seen by re-reading every
   * `pollMs`.
   */
  async function* follow(
    paymentId: string,
    actor: Actor,
    options: { signal?: AbortSignal; pollMs?: number } = {},
  ): AsyncGenerator<PaymentView> {
    let current = await get(paymentId, actor);
    yield current;
    const pollMs = options.pollMs ?? 1_000;
    while (!current.isSettled && !options.signal?.aborted) {
      await new Promise<void>((resolveWait) => {
        const done = (): void => {
          clearTimeout(timer);
          emitter.off(paymentId, done);
          options.signal?.removeEventListener("abort", done);
          resolveWait();
        };
        const timer = setTimeout(done, pollMs);
        emitter.on(paymentId, done);
        options.signal?.addEventListener("abort", done, { once: true });
      });
      if (options.signal?.aborted) return;
      const next = await get(paymentId, actor);
      if (next.version !== current.version) {
        current = next;
        yield current;
      }
    }
  }

  return {
    instanceId,
    policy,
    start,
    get,
    latestForOrder,
    cancel,
    resolve,
    events,
    listNeedingAttention,
    follow,
    apply,
    drive,
    claim,
    view,
  };
}

class VersionConflict extends Error {
  override readonly name = "VersionConflict";
}

export type PaymentService = ReturnType<typeof createPaymentService>;
