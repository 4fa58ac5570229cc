/**
 * Payments: the row is written in SENDING (with its partner transaction id and the masked
 * code) and committed before the pay request leaves; every gateway answer goes through the
 * pure machine, and each resulting transition is written with a version check plus a
 * PaymentEvent whose seq is the new version. Tickets are issued in the transaction that
 * writes PAID, so they exist exactly when the payment is PAID.
 */
import { EventEmitter } from "node:events";
import { isUniqueViolation, type PaymentStateName, type Prisma } from "@kiosk/db";
import { KioskError } from "../errors.ts";
import { describeGatewayError, type AlipayGateway, type PaidTrade } from "./gateway.ts";
import {
  actorId,
  maskPaymentCode,
  newId,
  noopMetrics,
  silentLogger,
  type Actor,
  type MoneyDeps,
} from "./money-deps.ts";
import { assertOrderAccess, convertHoldsInTx, releaseHoldsInTx, TX_OPTIONS, type Tx } from "./order-service.ts";
import {
  ACTIVE_STATES,
  DEFAULT_PAYMENT_POLICY,
  transition,
  type ActiveRefund,
  type MachineCommand,
  type MachineEvent,
  type MachineState,
  type PaymentPolicy,
} from "./payment-machine-adapter.ts";
import type { TicketService, TicketView } from "./ticket-service.ts";

/** Alipay's dynamic payment code: 16–24 digits starting 25–30. */
export const PAYMENT_CODE_PATTERN = /^(2[5-9]|30)\d{14,22}$/;

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

interface StoredMachine {
  isCancelRequested?: boolean;
  isVerifyingCancel?: boolean;
  refund?: ActiveRefund | null;
  refundReturnTo?: "PAID" | "PARTIALLY_REFUNDED" | null;
  refundAttempt?: number;
  refundedMinor?: number;
}

export function machineOf(row: PaymentRow): MachineState {
  let stored: StoredMachine = {};
  try {
    stored = JSON.parse(row.machineState) as StoredMachine;
  } catch {
    stored = {};
  }
  return {
    name: row.state as PaymentStateName,
    amountMinor: row.amountMinor,
    currency: row.currency,
    refundedMinor: stored.refundedMinor ?? 0,
    queryCount: row.queryCount,
    cancelAttempt: row.cancelAttempt,
    refundAttempt: stored.refundAttempt ?? 0,
    deadlineAt: row.deadlineAt.getTime(),
    nextActionAt: row.nextActionAt ? row.nextActionAt.getTime() : null,
    isCancelRequested: stored.isCancelRequested ?? false,
    isVerifyingCancel: stored.isVerifyingCancel ?? false,
    refund: stored.refund ?? null,
    refundReturnTo: stored.refundReturnTo ?? null,
    failureReason: row.failureReason,
    attentionReason: row.attentionReason,
  };
}

function storedOf(m: MachineState): string {
  const stored: StoredMachine = {
    isCancelRequested: m.isCancelRequested,
    isVerifyingCancel: m.isVerifyingCancel,
    refund: m.refund,
    refundReturnTo: m.refundReturnTo,
    refundAttempt: m.refundAttempt,
    refundedMinor: m.refundedMinor,
  };
  return JSON.stringify(stored);
}

/** What an event row says about the gateway exchange: ids, statuses, reasons; never a code or key. */
function summarize(event: MachineEvent, request?: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (request) out.request = request;
  switch (event.type) {
    case "pay_result":
    case "query_result": {
      const r = event.result;
      out.response = { status: r.status, ...("reason" in r ? { reason: r.reason } : {}), ...("alipayTransId" in r ? { alipayTransId: r.alipayTransId } : {}), ...(r.status === "paid" ? { amountMinor: r.amountMinor, currency: r.currency } : {}) };
      break;
    }
    case "cancel_result":
      out.response = { status: event.result.status, ...("reason" in event.result ? { reason: event.result.reason } : {}) };
      break;
    case "refund_result":
      out.response = { status: event.result.status, partnerRefundId: event.result.partnerRefundId, ...("reason" in event.result ? { reason: event.result.reason } : {}) };
      break;
    case "pay_error":
    case "query_error":
    case "cancel_error":
    case "refund_error":
      out.error = event.error;
      break;
    case "notification":
      out.notification = { notifyId: event.notification.notifyId, status: event.notification.status, alipayTransId: event.notification.alipayTransId, amountMinor: event.notification.amountMinor };
      break;
    case "refund_requested":
      out.refund = { refundId: event.refund.refundId, partnerRefundId: event.refund.partnerRefundId, amountMinor: event.refund.amountMinor };
      break;
    case "resolve":
      out.resolve = { to: event.to, reason: event.reason.slice(0, 500) };
      break;
    case "due":
    case "cancel_requested":
      break;
  }
  return out;
}

export interface StartPaymentInput {
  orderId: string;
  paymentCode: string;
  actor: Actor;
}

/** Who caused a transition, as written into the event row. */
export type EventActor = Actor | { type: "gateway"; id?: undefined };

export interface ApplyOptions {
  actor: EventActor;
  request?: Record<string, unknown>;
  /** Clears this owner's lease in the same write. */
  leaseOwner?: string;
}

export function createPaymentService(deps: MoneyDeps & { tickets: TicketService }) {
  const { db, clock, alipay, tickets } = deps;
  const log = deps.log ?? silentLogger;
  const metrics = deps.metrics ?? noopMetrics;
  const policy: PaymentPolicy = { ...DEFAULT_PAYMENT_POLICY, ...deps.policy };
  const instanceId = deps.instanceId ?? newId("inst");
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);

  async function view(row: PaymentRow): Promise<PaymentView> {
    const isSettled = !ACTIVE_STATES.includes(row.state as PaymentStateName);
    const ticketRows = row.state === "PAID" || row.state === "PARTIALLY_REFUNDED" || row.state === "REFUNDED" || row.state === "REFUNDING" || row.state === "NEEDS_ATTENTION"
      ? await tickets.listForOrder(row.orderId, { type: "system" })
      : [];
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
      isSettled,
      tickets: ticketRows,
    };
  }

  async function loadForActor(paymentId: string, actor: Actor): Promise<PaymentRow> {
    const row = await db.payment.findUnique({ where: { id: paymentId }, include: { order: { select: { id: true, kioskId: true, apiClientId: true, attractionId: true } } } });
    if (!row) throw new KioskError("NOT_FOUND", `Payment ${paymentId} not found`);
    assertOrderAccess(row.order, actor);
    const { order: _order, ...payment } = row;
    return payment;
  }

  /** Side effects a transition commands that must commit with it. */
  async function applyInTx(tx: Tx, row: PaymentRow, commands: MachineCommand[], options: ApplyOptions, now: Date): Promise<Prisma.PaymentUpdateManyMutationInput> {
    const extra: Prisma.PaymentUpdateManyMutationInput = {};
    for (const c of commands) {
      if (c.type === "issue_tickets") {
        const trade: PaidTrade | null = c.trade;
        extra.paidAt = trade?.paidAt ?? now;
        if (trade?.alipayTransId) extra.alipayTransId = trade.alipayTransId;
        if (trade?.buyerLoginIdMasked) extra.buyerIdMasked = trade.buyerLoginIdMasked;
        await tx.order.updateMany({ where: { id: row.orderId, state: { in: ["pending", "expired", "failed", "cancelled"] } }, data: { state: "paid" } });
        const overCapacity = await convertHoldsInTx(tx, row.orderId, now);
        if (overCapacity.length > 0) log.warn("paid order went over slot capacity", { paymentId: row.id, orderId: row.orderId, slots: overCapacity });
        await tickets.issueInTx(tx, row.orderId, now);
      } else if (c.type === "release_order") {
        await tx.order.updateMany({ where: { id: row.orderId, state: "pending" }, data: { state: c.orderState } });
        await releaseHoldsInTx(tx, row.orderId, now);
      } else if (c.type === "refund_succeeded") {
        await tx.refund.updateMany({ where: { id: c.refund.refundId, state: "pending" }, data: { state: "succeeded", completedAt: now, nextActionAt: null } });
        const order = await tx.order.update({ where: { id: row.orderId }, data: { refundedMinor: { increment: c.refund.amountMinor } } });
        await tx.order.update({ where: { id: row.orderId }, data: { state: order.refundedMinor >= order.totalMinor ? "refunded" : "partially_refunded" } });
        const ticketIds = c.refund.ticketIds;
        if (c.isFull) await tickets.voidInTx(tx, { orderId: row.orderId, now });
        else if (ticketIds && ticketIds.length > 0) await tickets.voidInTx(tx, { orderId: row.orderId, ticketIds, now });
      } else if (c.type === "refund_failed") {
        await tx.refund.updateMany({
          where: { id: c.refund.refundId, state: "pending" },
          data: { state: c.needsAttention ? "needs_attention" : "failed", failureReason: c.reason.slice(0, 500), completedAt: c.needsAttention ? null : now, nextActionAt: null },
        });
      }
    }
    if (options.leaseOwner) {
      extra.leaseOwner = null;
      extra.leaseUntil = null;
    }
    return extra;
  }

  function publish(row: PaymentRow): void {
    emitter.emit(row.id, row.version);
    deps.events?.publish("payment", { paymentId: row.id, orderId: row.orderId, state: row.state, version: row.version });
  }

  /**
   * Feeds one event into the machine and persists the result. Retries on a concurrent
   * write by re-reading the row and re-deciding, so no answer is ever lost or applied twice.
   */
  async function apply(paymentId: string, event: MachineEvent, options: ApplyOptions): Promise<{ row: PaymentRow; commands: MachineCommand[] }> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const row = await db.payment.findUniqueOrThrow({ where: { id: paymentId } });
      const now = clock.now();
      const before = machineOf(row);
      const result = transition(before, event, policy, now.getTime());
      const next = result.state;
      // Gateway commands need no write; effects that must commit with the state do.
      const isChanged = JSON.stringify(next) !== JSON.stringify(before) || result.commands.some((c) => c.type !== "query" && c.type !== "cancel" && c.type !== "refund");
      if (!isChanged) {
        if (options.leaseOwner) {
          await db.payment.updateMany({ where: { id: paymentId, leaseOwner: options.leaseOwner }, data: { leaseOwner: null, leaseUntil: null } });
        }
        return { row, commands: [] };
      }
      const isFinal = ["FAILED", "CANCELLED", "REFUNDED"].includes(next.name);
      const commands = result.commands;
      const written = await db.$transaction(async (tx) => {
        const extra = await applyInTx(tx, row, commands, options, now);
        const { count } = await tx.payment.updateMany({
          where: { id: paymentId, version: row.version },
          data: {
            ...extra,
            state: next.name,
            queryCount: next.queryCount,
            cancelAttempt: next.cancelAttempt,
            nextActionAt: next.nextActionAt === null ? null : new Date(next.nextActionAt),
            failureReason: next.failureReason,
            attentionReason: next.attentionReason,
            machineState: storedOf(next),
            version: row.version + 1,
            ...(isFinal && !row.finishedAt ? { finishedAt: now } : {}),
          },
        });
        if (count !== 1) throw new VersionConflict();
        await tx.paymentEvent.create({
          data: {
            paymentId,
            seq: row.version + 1,
            type: event.type,
            fromState: row.state,
            toState: next.name,
            actorType: options.actor.type,
            actorId: options.actor.id ?? null,
            summary: JSON.stringify(summarize(event, options.request)),
            createdAt: now,
          },
        });
        return tx.payment.findUniqueOrThrow({ where: { id: paymentId } });
      }, TX_OPTIONS).catch((error: unknown) => {
        if (error instanceof VersionConflict || isUniqueViolation(error)) return null;
        throw error;
      });
      if (!written) continue;
      if (written.state !== row.state) {
        metrics.inc("kiosk_payment_transitions_total", { from: row.state, to: written.state });
        if (["PAID", "FAILED", "CANCELLED", "NEEDS_ATTENTION"].includes(written.state)) metrics.inc("kiosk_payments_total", { outcome: written.state.toLowerCase() });
        log.info("payment transition", { paymentId, orderId: row.orderId, from: row.state, to: written.state, event: event.type });
      }
      publish(written);
      return { row: written, commands };
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

  /** Runs one gateway command and turns its answer (or error) into the machine's event. */
  async function execute(row: PaymentRow, command: MachineCommand, gateway: AlipayGateway): Promise<{ event: MachineEvent; request: Record<string, unknown> } | null> {
    const partnerTransId = row.partnerTransId;
    if (command.type === "query") {
      const request = { op: "query", partnerTransId };
      try {
        return { event: { type: "query_result", result: await timed("query", () => gateway.query({ partnerTransId, currency: row.currency })) }, request };
      } catch (error) {
        return { event: { type: "query_error", error: describeGatewayError(error) }, request };
      }
    }
    if (command.type === "cancel") {
      const request = { op: "cancel", partnerTransId };
      try {
        return { event: { type: "cancel_result", result: await timed("cancel", () => gateway.cancel({ partnerTransId })) }, request };
      } catch (error) {
        return { event: { type: "cancel_error", error: describeGatewayError(error) }, request };
      }
    }
    if (command.type === "refund") {
      const refund = await db.refund.findUniqueOrThrow({ where: { id: command.refund.refundId } });
      const request = { op: "refund", partnerTransId, partnerRefundId: refund.partnerRefundId, amountMinor: refund.amountMinor };
      await db.refund.update({ where: { id: refund.id }, data: { attempt: { increment: 1 } } });
      try {
        const result = await timed("refund", () =>
          gateway.refund({ partnerTransId, partnerRefundId: refund.partnerRefundId, amountMinor: refund.amountMinor, currency: row.currency, reason: refund.reason }),
        );
        return { event: { type: "refund_result", result }, request };
      } catch (error) {
        return { event: { type: "refund_error", error: describeGatewayError(error) }, request };
      }
    }
    return null;
  }

  /**
   * Does whatever is due for a payment this process has leased (`owner`), then lets the lease
   * go. Used by the worker and right after a visitor's cancel or a staff refund.
   */
  async function drive(paymentId: string, owner: string): Promise<PaymentRow> {
    let row = await db.payment.findUniqueOrThrow({ where: { id: paymentId } });
    try {
      for (let step = 0; step < 6; step++) {
        if (row.leaseOwner !== owner) return row;
        if (!ACTIVE_STATES.includes(row.state as PaymentStateName)) break;
        if (row.nextActionAt && row.nextActionAt.getTime() > clock.now().getTime()) break;
        const due = await apply(paymentId, { type: "due" }, { actor: { type: "system", id: owner } });
        const dueRow = due.row;
        const command = transition(machineOf(dueRow), { type: "due" }, policy, clock.now().getTime()).commands[0];
        if (!command || dueRow.leaseOwner !== owner) {
          row = dueRow;
          break;
        }
        const outcome = await execute(dueRow, command, alipay);
        if (!outcome) {
          row = dueRow;
          break;
        }
        row = (await apply(paymentId, outcome.event, { actor: { type: "system", id: owner }, request: outcome.request })).row;
      }
    } finally {
      await db.payment.updateMany({ where: { id: paymentId, leaseOwner: owner }, data: { leaseOwner: null, leaseUntil: null } });
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
    if (!PAYMENT_CODE_PATTERN.test(code)) throw new KioskError("BAD_REQUEST", "This is not an Alipay payment code");
    const masked = maskPaymentCode(code);
    const order = await db.order.findUnique({ where: { id: input.orderId }, include: { attraction: { select: { name: true } } } });
    if (!order) throw new KioskError("NOT_FOUND", `Order ${input.orderId} not found`);
    assertOrderAccess(order, input.actor);
    const now = clock.now();
    if (order.state !== "pending") throw new KioskError("CONFLICT", `Order ${order.id} is ${order.state}`);
    if (order.expiresAt.getTime() <= now.getTime()) throw new KioskError("CONFLICT", `Order ${order.id} has expired`);

    const paymentId = newId("pay");
    const deadlineAt = new Date(now.getTime() + policy.deadlineMs);
    const cancelWindowMs = policy.cancelBackoffMs.reduce((a, b) => a + b, 0) + policy.leaseMs;
    const owner = `${instanceId}:pay`;
    let partnerTransId = "";
    try {
      await db.$transaction(async (tx) => {
        // Same row condition as expiry, so a hold can't expire under a payment that is starting.
        const { count } = await tx.order.updateMany({
          where: { id: order.id, state: "pending", expiresAt: { gt: now } },
          data: { expiresAt: new Date(Math.max(order.expiresAt.getTime(), deadlineAt.getTime() + cancelWindowMs)) },
        });
        if (count !== 1) throw new KioskError("CONFLICT", `Order ${order.id} is no longer payable`);
        const previous = await tx.payment.findMany({ where: { orderId: order.id }, select: { state: true } });
        if (previous.some((p) => p.state !== "FAILED" && p.state !== "CANCELLED")) {
          throw new KioskError("CONFLICT", `Order ${order.id} already has a payment`);
        }
        // Deterministic per attempt: two racing starts for one order collide on the unique index.
        partnerTransId = `K${order.id.replace(/^ord_/, "")}${String(previous.length + 1).padStart(2, "0")}`;
        await tx.payment.create({
          data: {
            id: paymentId,
            orderId: order.id,
            provider: alipay.protocol,
            partnerTransId,
            state: "SENDING",
            amountMinor: order.totalMinor,
            currency: order.currency,
            paymentCodeMasked: masked,
            attempt: 1,
            deadlineAt,
            nextActionAt: new Date(now.getTime() + policy.firstQueryDelayMs),
            leaseOwner: owner,
            leaseUntil: new Date(now.getTime() + policy.leaseMs),
            machineState: "{}",
            version: 1,
            createdAt: now,
          },
        });
        await tx.paymentEvent.create({
          data: {
            paymentId,
            seq: 1,
            type: "created",
            fromState: null,
            toState: "SENDING",
            actorType: input.actor.type,
            actorId: actorId(input.actor),
            summary: JSON.stringify({ request: { op: "pay", partnerTransId, amountMinor: order.totalMinor, currency: order.currency, paymentCode: masked } }),
            createdAt: now,
          },
        });
      }, TX_OPTIONS);
    } catch (error) {
      if (isUniqueViolation(error)) throw new KioskError("CONFLICT", `Order ${order.id} already has a payment`);
      throw error;
    }
    metrics.inc("kiosk_payments_started_total", { provider: alipay.protocol });
    log.info("payment sending", { paymentId, orderId: order.id, partnerTransId, paymentCode: masked });

    let event: MachineEvent;
    try {
      const result = await timed("pay", () =>
        alipay.pay({
          partnerTransId,
          amountMinor: order.totalMinor,
          currency: order.currency,
          paymentCode: code,
          subject: deps.tradeSubject ? deps.tradeSubject(order.attraction.name) : `${order.attraction.name} tickets`,
          ...(order.kioskId ? { terminalId: order.kioskId } : {}),
        }),
      );
      event = { type: "pay_result", result };
    } catch (error) {
      event = { type: "pay_error", error: describeGatewayError(error) };
    }
    const { row } = await apply(paymentId, event, { actor: { type: "gateway" }, leaseOwner: owner, request: { op: "pay", partnerTransId } });
    // A cancel pressed while the pay was out is acted on now rather than at the next tick.
    if (row.state === "CANCELLING" && (await claim(paymentId, owner, { isDueRequired: true }))) await drive(paymentId, owner);
    return view(await db.payment.findUniqueOrThrow({ where: { id: paymentId } }));
  }

  async function get(paymentId: string, actor: Actor): Promise<PaymentView> {
    return view(await loadForActor(paymentId, actor));
  }

  async function latestForOrder(orderId: string, actor: Actor): Promise<PaymentView | null> {
    const order = await db.order.findUnique({ where: { id: orderId }, select: { id: true, kioskId: true, apiClientId: true, attractionId: true } });
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
    const { row: after } = await apply(paymentId, { type: "cancel_requested" }, { actor });
    const owner = `${instanceId}:cancel`;
    if (after.state === "CANCELLING" && (await claim(paymentId, owner, { isDueRequired: true }))) await drive(paymentId, owner);
    return get(paymentId, actor);
  }

  /** A recorded staff decision for a payment that needs attention. */
  async function resolve(input: { paymentId: string; to: "PAID" | "FAILED" | "CANCELLED" | "REFUNDED"; reason: string; actor: Actor }): Promise<PaymentView> {
    if (input.actor.type !== "staff") throw new KioskError("FORBIDDEN", "Only staff resolve payments");
    if (input.reason.trim().length < 3) throw new KioskError("BAD_REQUEST", "A reason is required");
    const row = await loadForActor(input.paymentId, input.actor);
    if (row.state !== "NEEDS_ATTENTION") throw new KioskError("CONFLICT", `Payment ${row.id} is ${row.state}, not NEEDS_ATTENTION`);
    await apply(row.id, { type: "resolve", to: input.to, reason: input.reason }, { actor: input.actor });
    return get(row.id, input.actor);
  }

  async function events(paymentId: string, actor: Actor) {
    await loadForActor(paymentId, actor);
    const rows = await db.paymentEvent.findMany({ where: { paymentId }, orderBy: { seq: "asc" } });
    return rows.map((e) => ({ ...e, summary: JSON.parse(e.summary) as Record<string, unknown> }));
  }

  async function listNeedingAttention(limit = 100): Promise<PaymentView[]> {
    const rows = await db.payment.findMany({ where: { state: "NEEDS_ATTENTION" }, orderBy: { updatedAt: "asc" }, take: limit });
    return Promise.all(rows.map(view));
  }

  /**
   * Yields the payment now and after every change until it settles. Changes made in this
   * process arrive at once; changes made by another instance are seen by re-reading every
   * `pollMs`.
   */
  async function* follow(paymentId: string, actor: Actor, options: { signal?: AbortSignal; pollMs?: number } = {}): AsyncGenerator<PaymentView> {
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
