/**
 * Staff console procedures that the platform and money-path routers do not offer:
 * transaction search, sales figures, NEEDS_ATTENTION actions (run by the money services through the payment machine)
 * (query now / cancel now / refund), ticket reprints through a kiosk's printer, and
 * audited wrappers of the money-path staff actions (refund, resolve, reconcile, redeem)
 * so that every staff action lands in the audit log with who and why.
 *
 * Reads go straight to the database through ctx; every change goes through the money
 * services (the payment machine stays the only writer of payment state).
 */
import { PAYMENT_STATES, type PaymentStateName } from "@kiosk/db";
import { z } from "zod";
import { gatewayErrorText } from "../../services/gateway.ts";
import { requireRole, router } from "../init.ts";
import { DaySchema } from "./catalog.ts";
import { consoleSalesProcedures } from "./console-sales.ts";
import { audit, dayRange, IdSchema, ReasonSchema, zoneOf } from "./console-shared.ts";
import { consoleTicketProcedures } from "./console-tickets.ts";
import { staffActor } from "./money-actors.ts";

export { CONSOLE_DEFAULT_ZONE } from "./console-shared.ts";
export { SalesQuerySchema } from "./console-sales.ts";

export const TransactionSearchSchema = z.strictObject({
  /** Payment id, partner transaction id, Alipay transaction id or order id (exact or prefix). */
  text: z.string().trim().max(80).optional(),
  states: z.array(z.enum(PAYMENT_STATES)).max(PAYMENT_STATES.length).optional(),
  kioskId: IdSchema.optional(),
  attractionId: IdSchema.optional(),
  /** YYYY-MM-DD in `zone`, inclusive. */
  fromDay: DaySchema.optional(),
  toDay: DaySchema.optional(),
  zone: z.string().max(64).optional(),
  limit: z.number().int().min(1).max(200).optional(),
  /** Page: payments created before this payment's createdAt. */
  cursor: IdSchema.optional(),
});

export const consoleRouter = router({
  /** Attractions (for filters and the register-kiosk form). */
  attractions: requireRole("viewer").query(async ({ ctx }) => {
    const rows = await ctx.services.db.attraction.findMany({
      orderBy: { name: "asc" },
      select: { id: true, name: true, currency: true, timezone: true },
    });
    return rows;
  }),

  /** Transactions: newest first, filtered; each with its order's kiosk and refunded amount. */
  transactions: requireRole("viewer")
    .input(TransactionSearchSchema)
    .query(async ({ ctx, input }) => {
      const zone = zoneOf(input.zone);
      const limit = input.limit ?? 50;
      const text = input.text?.trim();
      const created = dayRange(input.fromDay, input.toDay, zone);
      let before: Date | undefined;
      if (input.cursor) {
        const c = await ctx.services.db.payment.findUnique({
          where: { id: input.cursor },
          select: { createdAt: true },
        });
        before = c?.createdAt;
      }
      const rows = await ctx.services.db.payment.findMany({
        where: Object.assign(
          {},
          input.states && input.states.length > 0 ? { state: { in: input.states } } : {},
          text
            ? {
                OR: [
                  { id: { startsWith: text } },
                  { partnerTransId: { startsWith: text } },
                  { alipayTransId: { startsWith: text } },
                  { orderId: { startsWith: text } },
                ],
              }
            : {},
          {
            createdAt: Object.assign(
              {},
              created,
              before ? { lt: created.lt && created.lt < before ? created.lt : before } : {},
            ),
            order: Object.assign(
              {},
              input.kioskId ? { kioskId: input.kioskId } : {},
              input.attractionId ? { attractionId: input.attractionId } : {},
            ),
          },
        ),
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: limit + 1,
        include: {
          order: {
            select: { id: true, kioskId: true, attractionId: true, channel: true, refundedMinor: true, state: true },
          },
        },
      });
      const page = rows.slice(0, limit);
      return {
        items: page.map((p) => ({
          id: p.id,
          orderId: p.orderId,
          state: p.state as PaymentStateName,
          partnerTransId: p.partnerTransId,
          alipayTransId: p.alipayTransId,
          amountMinor: p.amountMinor,
          refundedMinor: p.order.refundedMinor,
          currency: p.currency,
          paymentCodeMasked: p.paymentCodeMasked,
          attentionReason: p.attentionReason,
          failureReason: p.failureReason,
          kioskId: p.order.kioskId,
          attractionId: p.order.attractionId,
          channel: p.order.channel,
          orderState: p.order.state,
          createdAt: p.createdAt,
          paidAt: p.paidAt,
        })),
        nextCursor: rows.length > limit ? (page[page.length - 1]?.id ?? null) : null,
      };
    }),

  /**
   * Orders booking systems created through the API (channel "booking"), newest first, with or
   * without a payment: a booking holds places before anything is paid, so the payments list
   * alone does not show it. Text matches the order id or the booking system's reference (prefix).
   */
  bookings: requireRole("viewer")
    .input(
      z.strictObject({
        text: z.string().trim().max(128).optional(),
        limit: z.number().int().min(1).max(200).optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const text = input.text?.trim();
      const rows = await ctx.services.db.order.findMany({
        where: {
          channel: "booking",
          ...(text ? { OR: [{ id: { startsWith: text } }, { externalRef: { startsWith: text } }] } : {}),
        },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: input.limit ?? 20,
        include: {
          apiClient: { select: { name: true } },
          lines: { select: { quantity: true } },
          _count: { select: { payments: true } },
        },
      });
      return rows.map((o) => ({
        id: o.id,
        externalRef: o.externalRef,
        apiClientName: o.apiClient?.name ?? null,
        state: o.state,
        totalMinor: o.totalMinor,
        currency: o.currency,
        quantity: o.lines.reduce((n, l) => n + l.quantity, 0),
        paymentCount: o._count.payments,
        createdAt: o.createdAt,
        expiresAt: o.expiresAt,
      }));
    }),

  /** Everything the payment detail view shows, in one call. */
  transaction: requireRole("viewer")
    .input(z.strictObject({ paymentId: IdSchema }))
    .query(async ({ ctx, input }) => {
      const actor = staffActor(ctx);
      const payment = await ctx.services.money.payments.get(input.paymentId, actor);
      const [events, refunds, order] = await Promise.all([
        ctx.services.money.payments.events(input.paymentId, actor),
        ctx.services.money.refunds.listForPayment(input.paymentId, actor),
        ctx.services.money.orders.get(payment.orderId, actor),
      ]);
      const kioskId =
        (await ctx.services.db.order.findUnique({ where: { id: payment.orderId }, select: { kioskId: true } }))
          ?.kioskId ?? null;
      return { payment, events, refunds, order, kioskId };
    }),

  // ------------------------------------------------------------ NEEDS_ATTENTION actions

  /** Asks Alipay for the trade now (the machine's query, run at once); the answer is written to the payment's event log and the audit log. */
  attentionQuery: requireRole("supervisor")
    .input(z.strictObject({ paymentId: IdSchema, reason: ReasonSchema }))
    .mutation(async ({ ctx, input }) => {
      const { answer: event, payment } = await ctx.services.money.payments.queryNow(input.paymentId, staffActor(ctx));
      const answer: {
        status: string;
        reason?: string | undefined;
        alipayTransId?: string | undefined;
        amountMinor?: number | undefined;
        currency?: string | undefined;
      } =
        event.type === "query_result"
          ? {
              status: event.result.status,
              ...("reason" in event.result ? { reason: event.result.reason } : {}),
              ...("alipayTransId" in event.result ? { alipayTransId: event.result.alipayTransId } : {}),
              ...(event.result.status === "paid"
                ? { amountMinor: event.result.amountMinor, currency: event.result.currency }
                : {}),
            }
          : { status: "error", reason: event.type === "query_error" ? gatewayErrorText(event.error) : event.type };
      await audit(ctx, "payment.query_now", { type: "payment", id: payment.id }, input.reason, { answer });
      return { paymentId: payment.id, answer, payment };
    }),

  /**
   * Cancels the trade at Alipay (reversing a charge on the same Beijing day) through the
   * machine's own staff resolution to CANCELLING; CANCELLED once Alipay answers.
   */
  attentionCancel: requireRole("supervisor")
    .input(z.strictObject({ paymentId: IdSchema, reason: ReasonSchema }))
    .mutation(async ({ ctx, input }) => {
      const payment = await ctx.services.money.payments.cancelNow(Object.assign({}, input, { actor: staffActor(ctx) }));
      const isResolved = payment.state === "CANCELLED";
      const answer: { status: string; reason?: string | undefined; action?: string | undefined } = {
        status: payment.state.toLowerCase(),
        ...(isResolved ? {} : { reason: `payment is ${payment.state}` }),
      };
      await audit(ctx, "payment.cancel_now", { type: "payment", id: payment.id }, input.reason, {
        answer,
        isResolved,
      });
      return { paymentId: payment.id, answer, isResolved, payment };
    }),

  /**
   * Refunds a payment that needs attention: only when Alipay confirms the trade was paid.
   * The payment is resolved PAID with the confirmed trade, then refunded in full through
   * the refund machine (its tickets are voided when the refund succeeds).
   */
  attentionRefund: requireRole("supervisor")
    .input(z.strictObject({ paymentId: IdSchema, reason: ReasonSchema }))
    .mutation(async ({ ctx, input }) => {
      const r = await ctx.services.money.refunds.refundNow(Object.assign({}, input, { actor: staffActor(ctx) }));
      await audit(ctx, "payment.refund_now", { type: "payment", id: input.paymentId }, input.reason, {
        refundId: r.refund.id,
        amountMinor: r.refund.amountMinor,
        refundState: r.refund.state,
      });
      return { paymentId: input.paymentId, refund: r.refund, paymentState: r.paymentState };
    }),

  /** A recorded decision without asking the gateway (e.g. after checking the merchant portal). */
  resolvePayment: requireRole("supervisor")
    .input(
      z.strictObject({
        paymentId: IdSchema,
        to: z.enum(["PAID", "FAILED", "CANCELLED", "REFUNDED"]),
        reason: ReasonSchema,
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const p = await ctx.services.money.payments.resolve(Object.assign({}, input, { actor: staffActor(ctx) }));
      await audit(ctx, "payment.resolve", { type: "payment", id: input.paymentId }, input.reason, { to: input.to });
      return p;
    }),

  // ------------------------------------------------------------ refunds

  refund: requireRole("supervisor")
    .input(
      z.strictObject({
        paymentId: IdSchema,
        amountMinor: z.number().int().positive().optional(),
        reason: ReasonSchema,
        ticketIds: z.array(IdSchema).max(100).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const r = await ctx.services.money.refunds.request(Object.assign({}, input, { actor: staffActor(ctx) }));
      await audit(ctx, "refund.create", { type: "payment", id: input.paymentId }, input.reason, {
        refundId: r.refund.id,
        amountMinor: r.refund.amountMinor,
        isPartial: input.amountMinor !== undefined,
        ticketIds: input.ticketIds ?? [],
        refundState: r.refund.state,
      });
      return r;
    }),

  // ------------------------------------------------------------ reconciliation

  runReconciliation: requireRole("supervisor")
    .input(z.strictObject({ day: DaySchema }))
    .mutation(async ({ ctx, input }) => {
      const run = await ctx.services.money.reconciliation.run({
        day: input.day,
        trigger: "manual",
        actor: staffActor(ctx),
      });
      await audit(ctx, "reconciliation.run", { type: "reconciliation_run", id: run.id }, null, {
        day: input.day,
        state: run.state,
        differences: run.differenceCount,
        matched: run.matchedCount,
      });
      return run;
    }),

  resolveDifference: requireRole("supervisor")
    .input(z.strictObject({ differenceId: IdSchema, resolution: z.string().trim().min(3).max(1000) }))
    .mutation(async ({ ctx, input }) => {
      const d = await ctx.services.money.reconciliation.resolveDifference(
        Object.assign({}, input, { actor: staffActor(ctx) }),
      );
      await audit(
        ctx,
        "reconciliation.resolve_difference",
        { type: "reconciliation_difference", id: d.id },
        input.resolution,
        { runId: d.runId, kind: d.kind, partnerTransId: d.partnerTransId },
      );
      return d;
    }),

  // ------------------------------------------------------------ tickets (console-tickets.ts)

  ...consoleTicketProcedures,

  // ------------------------------------------------------------ sales (console-sales.ts)

  ...consoleSalesProcedures,
});
