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
import { addDays, dayInZone, PAYMENT_STATES, zonedTimeToUtc, type PaymentStateName } from "@kiosk/db";
import { z } from "zod";
import { KioskError } from "../../errors.ts";
import { gatewayErrorText } from "../../services/gateway.ts";
import type { Context } from "../context.ts";
import { kioskProcedure, requireRole, router } from "../init.ts";
import { DaySchema } from "./catalog.ts";
import { staffActor } from "./money-actors.ts";

const IdSchema = z.string().min(1).max(64);
const ReasonSchema = z.string().trim().min(3).max(128);
/** Sales and "today" are counted in this zone unless the caller names another. */
export const CONSOLE_DEFAULT_ZONE = "Asia/Shanghai";

type StaffCtx = Context & { staff: { id: string; email: string; role: "admin" | "supervisor" | "cashier" | "viewer" } };

async function audit(
  ctx: StaffCtx,
  action: string,
  target: { type: string; id: string },
  reason: string | null,
  details: Record<string, unknown> = {},
): Promise<void> {
  await ctx.services.audit.record({ actor: { type: "staff", id: ctx.staff.id }, action, target, reason, details });
}

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

export const SalesQuerySchema = z.strictObject({
  fromDay: DaySchema,
  toDay: DaySchema,
  attractionId: IdSchema.optional(),
  zone: z.string().max(64).optional(),
});

const PAID_LIKE: PaymentStateName[] = ["PAID", "REFUNDING", "PARTIALLY_REFUNDED", "REFUNDED"];

function dayRange(fromDay: string | undefined, toDay: string | undefined, zone: string): { gte?: Date; lt?: Date } {
  const range: { gte?: Date; lt?: Date } = {};
  if (fromDay) range.gte = zonedTimeToUtc(fromDay, "00:00", zone);
  if (toDay) range.lt = zonedTimeToUtc(addDays(toDay, 1), "00:00", zone);
  return range;
}

function zoneOf(input: string | undefined): string {
  const zone = input ?? CONSOLE_DEFAULT_ZONE;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
  } catch {
    throw new KioskError("BAD_REQUEST", `Unknown time zone ${zone}`);
  }
  return zone;
}

function hourInZone(date: Date, zone: string): number {
  const h = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", hourCycle: "h23" }).format(date);
  return Number(h) % 24;
}

/** Reprint requests live in the audit log: "ticket.reprint_requested" (target kiosk) until a matching "ticket.reprint_reported". */
const REPRINT_REQUESTED = "ticket.reprint_requested";
const REPRINT_REPORTED = "ticket.reprint_reported";
const REPRINT_WINDOW_MS = 60 * 60_000;

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
        where: {
          ...(input.states && input.states.length > 0 ? { state: { in: input.states } } : {}),
          ...(text
            ? {
                OR: [
                  { id: { startsWith: text } },
                  { partnerTransId: { startsWith: text } },
                  { alipayTransId: { startsWith: text } },
                  { orderId: { startsWith: text } },
                ],
              }
            : {}),
          createdAt: { ...created, ...(before ? { lt: created.lt && created.lt < before ? created.lt : before } : {}) },
          order: {
            ...(input.kioskId ? { kioskId: input.kioskId } : {}),
            ...(input.attractionId ? { attractionId: input.attractionId } : {}),
          },
        },
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
      const payment = await ctx.services.money.payments.cancelNow({ ...input, actor: staffActor(ctx) });
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
      const r = await ctx.services.money.refunds.refundNow({ ...input, actor: staffActor(ctx) });
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
      const p = await ctx.services.money.payments.resolve({ ...input, actor: staffActor(ctx) });
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
      const r = await ctx.services.money.refunds.request({ ...input, actor: staffActor(ctx) });
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
      const d = await ctx.services.money.reconciliation.resolveDifference({ ...input, actor: staffActor(ctx) });
      await audit(
        ctx,
        "reconciliation.resolve_difference",
        { type: "reconciliation_difference", id: d.id },
        input.resolution,
        { runId: d.runId, kind: d.kind, partnerTransId: d.partnerTransId },
      );
      return d;
    }),

  // ------------------------------------------------------------ tickets

  /** Tickets by code, ticket id, order id, payment id or partner transaction id. */
  findTickets: requireRole("cashier")
    .input(z.strictObject({ query: z.string().trim().min(3).max(1000) }))
    .query(async ({ ctx, input }) => {
      const q = input.query.trim();
      const db = ctx.services.db;
      const payment = await db.payment.findFirst({
        where: { OR: [{ id: q }, { partnerTransId: q }, { alipayTransId: q }] },
        select: { orderId: true },
      });
      const ticket = payment
        ? null
        : await db.ticket.findFirst({ where: { OR: [{ code: q }, { id: q }] }, select: { orderId: true, id: true } });
      const orderId =
        payment?.orderId ??
        ticket?.orderId ??
        (await db.order.findUnique({ where: { id: q }, select: { id: true } }))?.id ??
        null;
      if (!orderId) return { orderId: null, kioskId: null, tickets: [], payments: [] };
      const order = await db.order.findUniqueOrThrow({ where: { id: orderId }, select: { kioskId: true } });
      const tickets = await ctx.services.money.tickets.listForOrder(orderId, staffActor(ctx));
      const payments = await db.payment.findMany({
        where: { orderId },
        orderBy: { createdAt: "desc" },
        select: { id: true, state: true, amountMinor: true, currency: true, partnerTransId: true },
      });
      return {
        orderId,
        kioskId: order.kioskId,
        tickets: ticket
          ? tickets.filter((t) => t.id === ticket.id).concat(tickets.filter((t) => t.id !== ticket.id))
          : tickets,
        payments,
      };
    }),

  /** Gate scan, audited: the first scan redeems, every later one answers "already used". */
  redeem: requireRole("cashier")
    .input(z.strictObject({ code: z.string().trim().min(3).max(1000), gate: z.string().max(64).optional() }))
    .mutation(async ({ ctx, input }) => {
      let result;
      if (input.code.split(".").length !== 3) {
        result = { ok: false as const, reason: "invalid" as const, message: "Not a ticket code" };
      } else {
        result = await ctx.services.money.tickets.redeem({
          code: input.code,
          ...(input.gate ? { gate: input.gate } : {}),
          actor: staffActor(ctx),
        });
      }
      const ticketId = "ticket" in result && result.ticket ? result.ticket.id : null;
      await audit(ctx, "ticket.redeem", { type: "ticket", id: ticketId ?? "unknown" }, null, {
        outcome: result.ok ? "redeemed" : result.reason,
        gate: input.gate ?? null,
      });
      return result;
    }),

  /** Asks a kiosk to print a ticket again; the kiosk page picks it up (kioskReprints) and reports back. */
  requestReprint: requireRole("cashier")
    .input(z.strictObject({ ticketId: IdSchema, kioskId: IdSchema, reason: ReasonSchema }))
    .mutation(async ({ ctx, input }) => {
      const db = ctx.services.db;
      const ticket = await db.ticket.findUnique({
        where: { id: input.ticketId },
        include: { order: { select: { attractionId: true } } },
      });
      if (!ticket) throw new KioskError("NOT_FOUND", `Ticket ${input.ticketId} not found`);
      if (ticket.state === "void")
        throw new KioskError("CONFLICT", `Ticket ${ticket.id} is void and cannot be reprinted`);
      const kiosk = await db.kiosk.findUnique({
        where: { id: input.kioskId },
        select: { id: true, attractionId: true },
      });
      if (!kiosk) throw new KioskError("NOT_FOUND", `Kiosk ${input.kioskId} is not registered`);
      if (kiosk.attractionId !== ticket.order.attractionId)
        throw new KioskError("BAD_REQUEST", "That kiosk belongs to another attraction");
      const auditId = await ctx.services.audit.record({
        actor: { type: "staff", id: ctx.staff.id },
        action: REPRINT_REQUESTED,
        target: { type: "kiosk", id: kiosk.id },
        reason: input.reason,
        details: { ticketId: ticket.id },
      });
      ctx.services.events.emit(`kiosk.reprint:${kiosk.id}`, { requestId: String(auditId), ticketId: ticket.id });
      return { requestId: String(auditId), kioskId: kiosk.id, ticketId: ticket.id };
    }),

  /** Reprint requests and their outcome, newest first. */
  reprints: requireRole("cashier")
    .input(z.strictObject({ ticketId: IdSchema.optional() }).optional())
    .query(async ({ ctx, input }) => {
      const db = ctx.services.db;
      const since = new Date(ctx.clock.now().getTime() - 24 * REPRINT_WINDOW_MS);
      const requested = await db.auditLog.findMany({
        where: { action: REPRINT_REQUESTED, createdAt: { gte: since } },
        orderBy: { id: "desc" },
        take: 100,
      });
      const reported = await db.auditLog.findMany({
        where: { action: REPRINT_REPORTED, createdAt: { gte: since } },
        orderBy: { id: "desc" },
        take: 200,
      });
      const outcome = new Map(reported.map((r) => [r.targetId, r]));
      return requested
        .map((r) => {
          const details = JSON.parse(r.details) as { ticketId?: string };
          const rep = outcome.get(String(r.id));
          const repDetails = rep ? (JSON.parse(rep.details) as { outcome?: string; error?: string }) : null;
          return {
            requestId: String(r.id),
            kioskId: r.targetId,
            ticketId: details.ticketId ?? null,
            requestedBy: r.actorId,
            requestedAt: r.createdAt,
            reason: r.reason,
            outcome: repDetails?.outcome ?? "pending",
            error: repDetails?.error ?? null,
            reportedAt: rep?.createdAt ?? null,
          };
        })
        .filter((r) => !input?.ticketId || r.ticketId === input.ticketId);
    }),

  /** Kiosk side: reprint requests for this kiosk from the last hour that it has not reported on. */
  kioskReprints: kioskProcedure.query(async ({ ctx }) => {
    const db = ctx.services.db;
    const since = new Date(ctx.clock.now().getTime() - REPRINT_WINDOW_MS);
    const requested = await db.auditLog.findMany({
      where: { action: REPRINT_REQUESTED, targetType: "kiosk", targetId: ctx.kiosk.id, createdAt: { gte: since } },
      orderBy: { id: "asc" },
    });
    if (requested.length === 0) return [];
    const reported = await db.auditLog.findMany({
      where: { action: REPRINT_REPORTED, targetId: { in: requested.map((r) => String(r.id)) } },
      select: { targetId: true },
    });
    const done = new Set(reported.map((r) => r.targetId));
    const out = [];
    for (const r of requested) {
      if (done.has(String(r.id))) continue;
      const { ticketId } = JSON.parse(r.details) as { ticketId?: string };
      if (!ticketId) continue;
      const ticket = await ctx.services.money.tickets.get(ticketId, { type: "system" });
      out.push({ requestId: String(r.id), ticket });
    }
    return out;
  }),

  /** Kiosk side: the bridge printed the reprint, or could not. */
  kioskReprintReport: kioskProcedure
    .input(
      z.strictObject({
        requestId: z.string().regex(/^\d{1,18}$/),
        outcome: z.enum(["printed", "failed"]),
        error: z.string().max(200).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const req = await ctx.services.db.auditLog.findUnique({ where: { id: Number(input.requestId) } });
      if (!req || req.action !== REPRINT_REQUESTED || req.targetId !== ctx.kiosk.id)
        throw new KioskError("NOT_FOUND", `Reprint request ${input.requestId} not found`);
      await ctx.services.audit.record({
        actor: { type: "kiosk", id: ctx.kiosk.id },
        action: REPRINT_REPORTED,
        target: { type: "reprint_request", id: input.requestId },
        details: { outcome: input.outcome, ...(input.error ? { error: input.error } : {}) },
      });
      return { requestId: input.requestId, outcome: input.outcome };
    }),

  // ------------------------------------------------------------ sales

  /**
   * Sales for a period: completed payments (paid, including later refunded ones) by ticket
   * type, kiosk and hour of day, with refunds completed in the period. Minor units.
   */
  sales: requireRole("viewer")
    .input(SalesQuerySchema)
    .query(async ({ ctx, input }) => {
      const zone = zoneOf(input.zone);
      if (input.toDay < input.fromDay) throw new KioskError("BAD_REQUEST", "The period ends before it starts");
      const range = dayRange(input.fromDay, input.toDay, zone);
      if (range.lt && range.gte && range.lt.getTime() - range.gte.getTime() > 367 * 86_400_000)
        throw new KioskError("BAD_REQUEST", "Choose at most a year");
      const db = ctx.services.db;
      const payments = await db.payment.findMany({
        where: {
          state: { in: PAID_LIKE },
          paidAt: range,
          ...(input.attractionId ? { order: { attractionId: input.attractionId } } : {}),
        },
        select: {
          amountMinor: true,
          currency: true,
          paidAt: true,
          order: {
            select: {
              kioskId: true,
              channel: true,
              lines: {
                select: {
                  ticketTypeId: true,
                  quantity: true,
                  lineTotalMinor: true,
                  ticketType: { select: { name: true, code: true } },
                },
              },
            },
          },
        },
      });
      const refunds = await db.refund.findMany({
        where: {
          state: "succeeded",
          completedAt: range,
          ...(input.attractionId ? { payment: { order: { attractionId: input.attractionId } } } : {}),
        },
        select: { amountMinor: true, payment: { select: { currency: true } } },
      });
      const kiosks = await db.kiosk.findMany({ select: { id: true, name: true } });
      const kioskName = new Map(kiosks.map((k) => [k.id, k.name]));
      const byType = new Map<
        string,
        { ticketTypeId: string; name: string; code: string; tickets: number; amountMinor: number }
      >();
      const byKiosk = new Map<string, { kioskId: string | null; name: string; orders: number; amountMinor: number }>();
      const byHour = Array.from({ length: 24 }, (_, hour) => ({ hour, orders: 0, amountMinor: 0 }));
      const byDay = new Map<string, { day: string; orders: number; amountMinor: number }>();
      const currencies = new Set<string>();
      let totalMinor = 0;
      let tickets = 0;
      for (const p of payments) {
        currencies.add(p.currency);
        totalMinor += p.amountMinor;
        for (const l of p.order.lines) {
          const t = byType.get(l.ticketTypeId) ?? {
            ticketTypeId: l.ticketTypeId,
            name: l.ticketType.name,
            code: l.ticketType.code,
            tickets: 0,
            amountMinor: 0,
          };
          t.tickets += l.quantity;
          t.amountMinor += l.lineTotalMinor;
          tickets += l.quantity;
          byType.set(l.ticketTypeId, t);
        }
        const kKey = p.order.kioskId ?? `channel:${p.order.channel}`;
        const k = byKiosk.get(kKey) ?? {
          kioskId: p.order.kioskId,
          name: p.order.kioskId ? (kioskName.get(p.order.kioskId) ?? p.order.kioskId) : `(${p.order.channel})`,
          orders: 0,
          amountMinor: 0,
        };
        k.orders += 1;
        k.amountMinor += p.amountMinor;
        byKiosk.set(kKey, k);
        if (p.paidAt) {
          const h = byHour[hourInZone(p.paidAt, zone)];
          if (h) {
            h.orders += 1;
            h.amountMinor += p.amountMinor;
          }
          const day = dayInZone(p.paidAt.getTime(), zone);
          const d = byDay.get(day) ?? { day, orders: 0, amountMinor: 0 };
          d.orders += 1;
          d.amountMinor += p.amountMinor;
          byDay.set(day, d);
        }
      }
      const refundedMinor = refunds.reduce((s, r) => s + r.amountMinor, 0);
      return {
        fromDay: input.fromDay,
        toDay: input.toDay,
        zone,
        currency:
          currencies.size === 1
            ? [...currencies][0]!
            : currencies.size === 0
              ? (refunds[0]?.payment.currency ?? "CNY")
              : "MIXED",
        orders: payments.length,
        tickets,
        totalMinor,
        refundedMinor,
        netMinor: totalMinor - refundedMinor,
        byType: [...byType.values()].sort((a, b) => b.amountMinor - a.amountMinor),
        byKiosk: [...byKiosk.values()].sort((a, b) => b.amountMinor - a.amountMinor),
        byHour,
        byDay: [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day)),
      };
    }),

  /** Today's day string in the console's zone (so the browser does not guess). */
  today: requireRole("viewer")
    .input(z.strictObject({ zone: z.string().max(64).optional() }).optional())
    .query(({ ctx, input }) => {
      const zone = zoneOf(input?.zone);
      return { day: dayInZone(ctx.clock.now().getTime(), zone), zone };
    }),
});
