/**
 * Payments: the row is written in SENDING (with its partner transaction id and the masked
 * code) and committed before the pay request leaves; every gateway answer goes through the
 * pure machine, and each resulting transition is written with a version check plus a
 * PaymentEvent whose seq is the new version. Tickets are issued in the transaction that
 * writes PAID, so they exist exactly when the payment is PAID.
 */
import { EventEmitter } from "node:events";
import { transition, type TimedCommand } from "@kiosk/alipay-core";
import { KioskError } from "../errors.ts";
import type { PaidTrade } from "./gateway.ts";
import { newId, noopMetrics, silentLogger, type Actor, type MoneyDeps } from "./money-deps.ts";
import type { OrderHandoff } from "./order-handoff.ts";
import { assertOrderAccess } from "./order-view.ts";
import { assertPayRequestKey, openPayRequest, type HeldPayRequest } from "./pay-request-seal.ts";
import { createPaymentDrive } from "./payment-drive.ts";
import { machinePolicyOf, resolveServerPaymentPolicy, type PaymentPolicy } from "./payment-policy.ts";
import { createPaymentEffects } from "./payment-effects.ts";
import { createPaymentStart } from "./payment-start.ts";
import type { TicketService } from "./ticket-service.ts";
import type { TicketView } from "./ticket-view.ts";

import {
  summarize,
  toMachineEvent,
  tradeOf,
  viewOf,
  type ApplyOptions,
  type ApplyResult,
  type GatewayAnswer,
  type PaymentInput,
  type PaymentView,
  type StaffResolutionTarget,
} from "./payment-records.ts";
import { machineOf, paidColumns, stateColumns, type PaymentRow } from "./payment-rows.ts";
import { ACTIVE_STATES, createPaymentStore, TERMINAL_STATES } from "./payment-store.ts";

export { toMachineEvent } from "./payment-records.ts";
export { machineOf } from "./payment-rows.ts";
export { ACTIVE_STATES } from "./payment-store.ts";
export type {
  ApplyOptions,
  EventActor,
  GatewayAnswer,
  PaymentInput,
  PaymentView,
  RefundRequest,
  StaffResolutionTarget,
  StartPaymentInput,
} from "./payment-records.ts";
import type { SaleOrderFacts } from "./sale-events.ts";

export function createPaymentService(deps: MoneyDeps & { tickets: TicketService; handoff?: OrderHandoff }) {
  const { db, clock, alipay, tickets } = deps;
  const log = deps.log ?? silentLogger;
  const metrics = deps.metrics ?? noopMetrics;
  const policy: PaymentPolicy = resolveServerPaymentPolicy(deps.policy);
  const instanceId = deps.instanceId ?? newId("inst");
  const { effectsInTx, paidStatements } = createPaymentEffects({ tickets, events: deps.events, log });
  const store = createPaymentStore(db);
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

  async function view(row: PaymentRow): Promise<PaymentView> {
    const hasTickets =
      row.state === "PAID" ||
      row.state === "PARTIALLY_REFUNDED" ||
      row.state === "REFUNDED" ||
      row.state === "REFUNDING" ||
      row.state === "NEEDS_ATTENTION";
    return Object.assign({}, viewOf(row), {
      tickets: hasTickets ? await tickets.listForOrder(row.orderId, { type: "system" }) : [],
    });
  }

  async function loadForActor(paymentId: string, actor: Actor): Promise<PaymentRow> {
    const row = await store.withOrder(paymentId);
    if (!row) throw new KioskError("NOT_FOUND", `Payment ${paymentId} not found`);
    assertOrderAccess(row.order, actor);
    const { order: _order, ...payment } = row;
    return payment;
  }

  /** `sale`: the order's facts when known (a PAID one then carries its kiosk and time: nothing to read). */
  function publish(row: PaymentRow, sale?: SaleOrderFacts & { attractionId: string }): void {
    emitter.emit(row.id, row.version);
    deps.events?.publish("payment", {
      paymentId: row.id,
      orderId: row.orderId,
      state: row.state,
      version: row.version,
      ...(sale && row.state === "PAID"
        ? { kioskId: sale.kioskId, attractionId: sale.attractionId, paidAt: row.paidAt }
        : {}),
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
  async function apply(paymentId: string, input: PaymentInput, options: ApplyOptions): Promise<ApplyResult> {
    let known = options.known;
    let hasFastFailed = false;
    for (let attempt = 0; attempt < 20; attempt++) {
      const row = known ?? (await store.byId(paymentId));
      known = undefined;
      const now = clock.now();
      const before = machineOf(row);
      const heldPay = heldPayOf(row);
      const machinePolicy = machinePolicyOf(policy, { hasPaymentCode: heldPay !== undefined });
      const result = transition(before, toMachineEvent(input, before), machinePolicy, now.getTime());
      // Staff actions are always written down, even when they change nothing (a query from the console).
      if (result.ignored !== undefined && options.actor.type !== "staff") {
        if (options.leaseOwner) await store.releaseLease(paymentId, options.leaseOwner);
        log.debug?.("payment input ignored", { paymentId, state: row.state, input: input.type, why: result.ignored });
        return { row, commands: [], ignored: result.ignored };
      }
      const next = result.state;
      const commands = result.commands;
      const isFinal = TERMINAL_STATES.includes(next.state);
      const paidOrder = options.paidOrder;
      const prepared =
        paidOrder && commands.some((c) => c.type === "issue_tickets")
          ? { tickets: await tickets.prepare(paidOrder, now), lines: paidOrder.lines, sale: paidOrder.sale }
          : null;
      // `version` first: a literal that starts with a spread and then adds keys costs a new
      // hidden class per call on Node 20 (tooling/lint/spread-rule.js).
      const data = {
        version: row.version + 1,
        ...stateColumns(next, policy),
        ...paidColumns(next, commands, tradeOf(input), now),
        ...(options.leaseOwner ? { leaseOwner: null, leaseUntil: null } : {}),
        // The sealed request goes as soon as no resend can follow (settled, cancelling, expired).
        ...(isPayRequestSpent(row, next.state) ? { payRequest: null } : {}),
        ...(isFinal && !row.finishedAt ? { finishedAt: now } : {}),
      } satisfies Partial<PaymentRow>;
      const event = {
        type: input.type,
        fromState: row.state,
        toState: next.state,
        actorType: options.actor.type,
        actorId: options.actor.id ?? null,
        summary: summarize(input, options.request, result.ignored),
      };
      const paidAt = data.paidAt ?? row.paidAt ?? now;
      // A payment leaving SENDING paid (the instant purchase): the order, tickets, row, event,
      // sale event and holds in one batch of raw statements.
      const fast: (NonNullable<typeof prepared> & { sale: SaleOrderFacts }) | null =
        !hasFastFailed &&
        prepared?.sale &&
        before.state === "SENDING" &&
        commands.every((c) => c.type === "issue_tickets")
          ? Object.assign({}, prepared, { sale: prepared.sale })
          : null;
      const isPaidFast: boolean = fast !== null;
      let outcome: { effects: TicketView[] | null } | null;
      if (fast) {
        const paid = await paidStatements(row, fast, paidAt, now);
        outcome = (await store.writePaidTransition(row, data, event, now, fast.tickets.rows, paid.statements))
          ? { effects: paid.committed() }
          : null;
      } else {
        outcome = await store.writeTransition(row, data, event, now, (tx) =>
          effectsInTx(tx, row, before, next, commands, now, prepared, paidAt),
        );
      }
      if (!outcome) {
        hasFastFailed ||= isPaidFast;
        continue;
      }
      const written: PaymentRow = Object.assign({}, row, data, { updatedAt: now });
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
      publish(
        written,
        paidOrder?.sale ? Object.assign({}, paidOrder.sale, { attractionId: paidOrder.attractionId }) : undefined,
      );
      return {
        row: written,
        commands,
        ...(result.ignored !== undefined ? { ignored: result.ignored } : {}),
        ...(outcome.effects ? { issued: outcome.effects } : {}),
      };
    }
    throw new KioskError("CONFLICT", `Payment ${paymentId} is changing too fast; try again`);
  }

  const { execute, drive, claim } = createPaymentDrive({ store, clock, alipay, metrics, policy, heldPayOf, apply });
  const { start } = createPaymentStart({
    deps,
    log,
    metrics,
    policy,
    instanceId,
    payRequestKey,
    holdPay,
    view,
    apply,
    execute,
    drive,
    claim,
    store,
  });

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
    const row = await store.latestForOrder(orderId);
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
    await apply(paymentId, event, { actor, request: Object.assign({}, request, { by: "staff" }) });
    return { answer: event, payment: await get(paymentId, actor) };
  }

  /**
   * Staff "cancel now" on a payment that needs attention: the machine's own staff resolution
   * to CANCELLING, driven at once (cancel at Alipay, retried with back-off, CANCELLED on
   * Alipay's answer, NEEDS_ATTENTION again if a paid fact turns up).
   */
  async function cancelNow(input: { paymentId: string; reason: string; actor: Actor }): Promise<PaymentView> {
    const view = await resolve(Object.assign({}, input, { to: "CANCELLING" as const }));
    const owner = `${instanceId}:staff`;
    if (view.state === "CANCELLING" && (await claim(input.paymentId, owner, { isDueRequired: true })))
      await drive(input.paymentId, owner);
    return get(input.paymentId, input.actor);
  }

  async function events(paymentId: string, actor: Actor) {
    await loadForActor(paymentId, actor);
    const rows = await store.events(paymentId);
    return rows.map((e) => Object.assign({}, e, { summary: JSON.parse(e.summary) as Record<string, unknown> }));
  }

  async function listNeedingAttention(limit = 100): Promise<PaymentView[]> {
    const rows = await store.needingAttention(limit);
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
    store,
  };
}

export type PaymentService = ReturnType<typeof createPaymentService>;
