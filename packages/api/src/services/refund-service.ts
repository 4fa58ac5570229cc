/**
 * Full and partial refunds through the machine's REFUNDING state. One refund at a time per
 * payment (the PAID → REFUNDING transition is version-checked), so two staff members can't
 * together refund more than was paid; the refund id doubles as the gateway's idempotency key.
 */
import { KioskError } from "../errors.ts";
import { newId, noopMetrics, silentLogger, type Actor, type MoneyDeps } from "./money-deps.ts";
import { assertOrderAccess } from "./order-view.ts";
import { gatewayErrorText } from "./gateway.ts";
import type { PaymentService } from "./payment-service.ts";
import { machineOf } from "./payment-rows.ts";
import { createPaymentStore } from "./payment-store.ts";

export interface RefundView {
  id: string;
  paymentId: string;
  partnerRefundId: string;
  amountMinor: number;
  reason: string;
  state: string;
  failureReason: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

export interface RequestRefundInput {
  paymentId: string;
  /** Omit for the whole remaining amount. */
  amountMinor?: number;
  reason: string;
  /** Tickets to void with a partial refund (a full refund voids all). */
  ticketIds?: string[];
  actor: Actor;
}

export function createRefundService(
  deps: Pick<MoneyDeps, "db" | "clock" | "log" | "metrics"> & { payments: PaymentService },
) {
  const { db, payments } = deps;
  const store = createPaymentStore(db);
  const log = deps.log ?? silentLogger;
  const metrics = deps.metrics ?? noopMetrics;

  function toView(r: {
    id: string;
    paymentId: string;
    partnerRefundId: string;
    amountMinor: number;
    reason: string;
    state: string;
    failureReason: string | null;
    createdAt: Date;
    completedAt: Date | null;
  }): RefundView {
    return {
      id: r.id,
      paymentId: r.paymentId,
      partnerRefundId: r.partnerRefundId,
      amountMinor: r.amountMinor,
      reason: r.reason,
      state: r.state,
      failureReason: r.failureReason,
      createdAt: r.createdAt,
      completedAt: r.completedAt,
    };
  }

  /**
   * Staff "refund now" on a payment that needs attention: only when Alipay confirms the trade
   * was paid (a query through the machine), the payment is resolved PAID with that trade and
   * refunded in full through the machine's REFUNDING state.
   */
  async function refundNow(input: {
    paymentId: string;
    reason: string;
    actor: Actor;
  }): Promise<{ refund: RefundView; paymentState: string }> {
    const before = await payments.get(input.paymentId, input.actor);
    if (before.state !== "NEEDS_ATTENTION")
      throw new KioskError("CONFLICT", `Payment ${before.id} is ${before.state}, not NEEDS_ATTENTION`);
    const { answer, payment } = await payments.queryNow(input.paymentId, input.actor);
    if (payment.state !== "NEEDS_ATTENTION")
      throw new KioskError("CONFLICT", `Payment ${payment.id} is ${payment.state}, not NEEDS_ATTENTION`);
    if (answer.type === "query_error") {
      throw new KioskError(
        "PRECONDITION_FAILED",
        `Alipay did not confirm the trade (${gatewayErrorText(answer.error)}); query again or cancel instead.`,
      );
    }
    if (answer.type !== "query_result" || answer.result.status !== "paid") {
      const status = answer.type === "query_result" ? answer.result.status : answer.type;
      throw new KioskError(
        "PRECONDITION_FAILED",
        `Alipay reports the trade as ${status}; there is nothing to refund. Cancel it instead.`,
        { details: { status } },
      );
    }
    await payments.resolve({
      paymentId: payment.id,
      to: "PAID",
      reason: `${input.reason} (Alipay confirms paid; refunding)`,
      trade: answer.result,
      actor: input.actor,
    });
    return request({ paymentId: payment.id, reason: input.reason, actor: input.actor });
  }

  async function request(input: RequestRefundInput): Promise<{ refund: RefundView; paymentState: string }> {
    const { actor } = input;
    if (actor.type === "kiosk") throw new KioskError("FORBIDDEN", "Kiosks cannot refund");
    const reason = input.reason.trim();
    if (reason.length < 3 || reason.length > 128)
      throw new KioskError("BAD_REQUEST", "A refund reason of 3 to 128 characters is required");
    const payment = await store.withOrder(input.paymentId);
    if (!payment) throw new KioskError("NOT_FOUND", `Payment ${input.paymentId} not found`);
    assertOrderAccess(payment.order, actor);
    if (actor.type === "api_client" && payment.order.attractionId !== actor.attractionId)
      throw new KioskError("NOT_FOUND", `Payment ${input.paymentId} not found`);
    if (payment.state !== "PAID" && payment.state !== "PARTIALLY_REFUNDED") {
      throw new KioskError(
        "CONFLICT",
        `Payment ${payment.id} is ${payment.state}; only a paid payment can be refunded`,
      );
    }
    const remaining = payment.amountMinor - (await store.refunds.committedMinor(payment.id));
    const amount = input.amountMinor ?? remaining;
    if (!Number.isSafeInteger(amount) || amount <= 0)
      throw new KioskError("BAD_REQUEST", "Refund amount must be a positive whole number of minor units");
    if (amount > remaining) {
      throw new KioskError(
        "BAD_REQUEST",
        `Refund of ${amount} exceeds the ${remaining} ${payment.currency} left on payment ${payment.id}`,
        { details: { remainingMinor: remaining } },
      );
    }
    if (input.ticketIds && input.ticketIds.length > 0) {
      const owned = await db.ticket.count({ where: { id: { in: input.ticketIds }, orderId: payment.orderId } });
      if (owned !== new Set(input.ticketIds).size)
        throw new KioskError("BAD_REQUEST", "Some tickets are not part of this payment's order");
    }

    const refundId = newId("rfd");
    const partnerRefundId = `R${refundId.slice(4)}`;
    await store.refunds.create({
      id: refundId,
      paymentId: payment.id,
      partnerRefundId,
      amountMinor: amount,
      reason,
      requestedByType: actor.type,
      requestedById: actor.id ?? null,
      createdAt: deps.clock.now(),
      ticketIds: input.ticketIds,
    });
    const { row } = await payments.apply(
      payment.id,
      {
        type: "refund_requested",
        refund: {
          refundId,
          partnerRefundId,
          amountMinor: amount,
          reason,
          ...(input.ticketIds ? { ticketIds: input.ticketIds } : {}),
        },
      },
      { actor },
    );
    const machine = machineOf(row);
    if (machine.state !== "REFUNDING" || machine.refund.partnerRefundId !== partnerRefundId) {
      // Someone else's refund won the PAID → REFUNDING transition first.
      await store.refunds.fail(refundId, "another refund was in progress", deps.clock.now());
      throw new KioskError("CONFLICT", `Payment ${payment.id} has a refund in progress; try again when it is done`);
    }
    metrics.inc("kiosk_refunds_total", { outcome: "requested" });
    log.info("refund requested", { paymentId: payment.id, refundId, amountMinor: amount });
    const owner = `${payments.instanceId}:refund`;
    let state = row.state;
    if (await payments.claim(payment.id, owner, { isDueRequired: true }))
      state = (await payments.drive(payment.id, owner)).state;
    const refund = await store.refunds.byId(refundId);
    metrics.inc("kiosk_refunds_total", { outcome: refund.state });
    return { refund: toView(refund), paymentState: state };
  }

  async function listForPayment(paymentId: string, actor: Actor): Promise<RefundView[]> {
    await payments.get(paymentId, actor);
    const rows = await store.refunds.forPayment(paymentId);
    return rows.map(toView);
  }

  return { request, refundNow, listForPayment };
}

export type RefundService = ReturnType<typeof createRefundService>;
