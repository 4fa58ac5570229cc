/**
 * Payments: the row is written in SENDING (with its partner transaction id and the masked
 * code) and committed before the pay request leaves; every gateway answer goes through the
 * pure machine, and each resulting transition is written with a version check plus a
 * PaymentEvent whose seq is the new version. Tickets are issued in the transaction that
 * writes PAID, so they exist exactly when the payment is PAID.
 */
import { EventEmitter } from "node:events";
import {
  executeCommand,
  nextCommand,
  startPayment,
  timedCommandOf,
  type CommandClient,
  type TimedCommand,
  transition,
  type PaymentCommand,
  type PaymentState as MachineState,
  type SignedPayRequest,
} from "@kiosk/alipay-core";
import { isPaymentCode, maskPaymentCode } from "@kiosk/alipay-core/money";
import { isUniqueViolation, type PaymentStateName, type Prisma } from "@kiosk/db";
import { KioskError } from "../errors.ts";
import { describeGatewayError, type PaidTrade } from "./gateway.ts";
import { actorId, newId, noopMetrics, silentLogger, type Actor, type MoneyDeps } from "./money-deps.ts";
import type { OrderHandoff, PayContext } from "./order-handoff.ts";
import { assertOrderAccess, TX_OPTIONS } from "./order-service.ts";
import { assertPayRequestKey, openPayRequest, sealPayRequest, type HeldPayRequest } from "./pay-request-seal.ts";
import { cancelWindowMs, machinePolicyOf, resolveServerPaymentPolicy, type PaymentPolicy } from "./payment-policy.ts";
import { createPaymentEffects } from "./payment-effects.ts";
import type { IssueContext, TicketService, TicketView } from "./ticket-service.ts";

import {
  machineOf,
  nextActionColumn,
  summarize,
  toMachineEvent,
  tradeOf,
  type GatewayAnswer,
  type PaymentInput,
  type StaffResolutionTarget,
} from "./payment-records.ts";

export { machineOf, toMachineEvent } from "./payment-records.ts";
export type { GatewayAnswer, PaymentInput, RefundRequest, StaffResolutionTarget } from "./payment-records.ts";

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

export function createPaymentService(deps: MoneyDeps & { tickets: TicketService; handoff?: OrderHandoff }) {
  const { db, clock, alipay, tickets } = deps;
  const log = deps.log ?? silentLogger;
  const metrics = deps.metrics ?? noopMetrics;
  const policy: PaymentPolicy = resolveServerPaymentPolicy(deps.policy);
  const instanceId = deps.instanceId ?? newId("inst");
  const { effectsInTx } = createPaymentEffects({ tickets, events: deps.events, log });
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

  /** The gateway calls with their metrics: what alipay-core's `executeCommand` calls. */
  const timedGateway: CommandClient = {
    sendPay: (signed) => timed("pay", () => alipay.sendPay(signed)),
    query: (input) => timed("query", () => alipay.query(input)),
    cancel: (input) => timed("cancel", () => alipay.cancel(input)),
    refund: (input) => timed("refund", () => alipay.refund(input)),
    refundQuery: (input) => timed("refund_query", () => alipay.refundQuery(input)),
  };

  /** The request an event row records for a command (ids and attempt; never a code). */
  function requestOf(command: TimedCommand): Record<string, unknown> {
    const { partnerTransId } = command;
    switch (command.type) {
      case "pay":
        return { op: "pay", partnerTransId, attempt: command.attempt };
      case "query":
        return { op: "query", partnerTransId };
      case "cancel":
        return { op: "cancel", partnerTransId, attempt: command.attempt };
      case "refund":
        return {
          op: "refund",
          partnerTransId,
          partnerRefundId: command.partnerRefundId,
          amountMinor: command.amountMinor,
          attempt: command.attempt,
        };
      case "refund_query":
        return { op: "refund_query", partnerTransId, partnerRefundId: command.partnerRefundId };
    }
  }

  /** Runs one gateway command through alipay-core's `executeCommand`; the answer is the machine's event. */
  async function execute(
    row: PaymentRow,
    command: TimedCommand,
    firstPay?: SignedPayRequest,
  ): Promise<{ event: GatewayAnswer; request: Record<string, unknown> }> {
    if (command.type === "refund") {
      await db.refund.updateMany({
        where: { partnerRefundId: command.partnerRefundId },
        data: { attempt: { increment: 1 } },
      });
    }
    // Without the first request (expired, or no key to open it) the pay is not sent: the machine goes back to querying.
    const event = (await executeCommand(timedGateway, command, machineOf(row), {
      signedPay: () => firstPay ?? heldPayOf(row)?.signed,
      describeError: describeGatewayError,
    })) as GatewayAnswer;
    return { event, request: requestOf(command) };
  }

  /**
   * Does whatever is due for a payment this process has leased (`owner`), then lets the lease
   * go. Used by the worker and right after a visitor's cancel or a staff refund. The command
   * comes from the last transition when it is due now, else from the persisted state.
   */
  async function drive(paymentId: string, owner: string): Promise<PaymentRow> {
    let row = await db.payment.findUniqueOrThrow({ where: { id: paymentId } });
    if (row.leaseOwner === owner && row.leaseUntil) leases.set(`${paymentId} ${owner}`, row.leaseUntil.getTime());
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
          const due = nextCommand(machineOf(row));
          if (due === null) break;
          if (due.type === "resume") {
            const resumed = await apply(paymentId, { type: "resume" }, { actor });
            row = resumed.row;
            const next = timedCommandOf(resumed.commands);
            if (resumed.ignored !== undefined || !next || next.at > clock.now().getTime()) break;
            command = next;
          } else {
            command = due;
          }
        }
        // Each call may take up to its timeout: renew the lease before it, so no other instance takes over meanwhile.
        if (!(await keepLease(paymentId, owner))) return row;
        const outcome = await execute(row, command);
        const applied = await apply(paymentId, outcome.event, { actor, request: outcome.request });
        row = applied.row;
        if (applied.ignored !== undefined) break;
        pending = timedCommandOf(applied.commands);
      }
    } finally {
      leases.delete(`${paymentId} ${owner}`);
      await db.payment.updateMany({
        where: { id: paymentId, leaseOwner: owner },
        data: { leaseOwner: null, leaseUntil: null },
      });
    }
    return db.payment.findUniqueOrThrow({ where: { id: paymentId } });
  }

  /** When each lease of this process runs out, as last written (renewal skips a write while plenty is left). */
  const leases = new Map<string, number>();

  /**
   * Renews `owner`'s lease when less than two thirds of it is left (a gateway call can take
   * half of it); false when the lease is no longer this owner's (then it must stop driving).
   */
  async function keepLease(paymentId: string, owner: string): Promise<boolean> {
    const now = clock.now().getTime();
    const until = leases.get(`${paymentId} ${owner}`);
    if (until !== undefined && until - now >= (policy.leaseMs * 2) / 3) return true;
    const { count } = await db.payment.updateMany({
      where: { id: paymentId, leaseOwner: owner },
      data: { leaseUntil: new Date(now + policy.leaseMs) },
    });
    if (count === 1) leases.set(`${paymentId} ${owner}`, now + policy.leaseMs);
    return count === 1;
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
    if (count === 1) leases.set(`${paymentId} ${owner}`, now.getTime() + policy.leaseMs);
    return count === 1;
  }

  async function start(input: StartPaymentInput): Promise<PaymentView> {
    const code = input.paymentCode.trim();
    if (!isPaymentCode(code)) throw new KioskError("BAD_REQUEST", "This is not an Alipay payment code");
    const handed = deps.handoff?.take(input.orderId);
    if (!handed) return startWith(input, code, await readPayContext(input.orderId));
    try {
      return await startWith(input, code, handed);
    } catch (error) {
      // The order changed since this process wrote it (another start, expiry): decide on the stored order.
      if (error instanceof KioskError && error.code === "CONFLICT")
        return startWith(input, code, await readPayContext(input.orderId));
      throw error;
    }
  }

  function readPayContext(orderId: string): Promise<PayContext | null> {
    return db.order.findUnique({
      where: { id: orderId },
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
  }

  async function startWith(input: StartPaymentInput, code: string, order: PayContext | null): Promise<PaymentView> {
    const masked = maskPaymentCode(code);
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
      ? (await execute(created, { type: "pay", at: now.getTime(), partnerTransId, attempt: 1 }, held.signed)).event
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
    to: StaffResolutionTarget;
    reason: string;
    actor: Actor;
    /** The trade Alipay confirmed (resolving PAID). */
    trade?: PaidTrade;
  }): Promise<PaymentView> {
    if (input.actor.type !== "staff") throw new KioskError("FORBIDDEN", "Only staff resolve payments");
    if (input.reason.trim().length < 3) throw new KioskError("BAD_REQUEST", "A reason is required");
    const row = await loadForActor(input.paymentId, input.actor);
    if (row.state !== "NEEDS_ATTENTION")
      throw new KioskError("CONFLICT", `Payment ${row.id} is ${row.state}, not NEEDS_ATTENTION`);
    await apply(
      row.id,
      { type: "resolve", to: input.to, reason: input.reason, ...(input.trade ? { trade: input.trade } : {}) },
      { actor: input.actor },
    );
    return get(row.id, input.actor);
  }

  /**
   * Staff "query now": the machine's query command, run at once; its answer is applied like
   * any other (a NEEDS_ATTENTION payment records it, unchanged, as a staff event).
   */
  async function queryNow(paymentId: string, actor: Actor): Promise<{ answer: GatewayAnswer; payment: PaymentView }> {
    if (actor.type !== "staff") throw new KioskError("FORBIDDEN", "Only staff query payments");
    const row = await loadForActor(paymentId, actor);
    const command: TimedCommand = { type: "query", at: clock.now().getTime(), partnerTransId: row.partnerTransId };
    const { event, request } = await execute(row, command);
    await apply(paymentId, event, { actor, request: { ...request, by: "staff" } });
    return { answer: event, payment: await get(paymentId, actor) };
  }

  /**
   * Staff "cancel now" on a payment that needs attention: the machine's own staff resolution
   * to CANCELLING, driven at once (cancel at Alipay, retried with back-off, CANCELLED on
   * Alipay's answer, NEEDS_ATTENTION again if a paid fact turns up).
   */
  async function cancelNow(input: { paymentId: string; reason: string; actor: Actor }): Promise<PaymentView> {
    const view = await resolve({ ...input, to: "CANCELLING" });
    const owner = `${instanceId}:staff`;
    if (view.state === "CANCELLING" && (await claim(input.paymentId, owner, { isDueRequired: true })))
      await drive(input.paymentId, owner);
    return get(input.paymentId, input.actor);
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
    queryNow,
    cancelNow,
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
