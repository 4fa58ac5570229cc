/**
 * Staff console ticket procedures (spread into `consoleRouter`, so their paths stay `console.<name>`):
 * ticket search, audited gate redeem, and reprints through a kiosk's printer.
 */
import { z } from "zod";
import { KioskError } from "../../errors.ts";
import { kioskProcedure, requireRole } from "../init.ts";
import { audit, IdSchema, ReasonSchema } from "./console-shared.ts";
import { staffActor } from "./money-actors.ts";

/** Reprint requests live in the audit log: "ticket.reprint_requested" (target kiosk) until a matching "ticket.reprint_reported". */
const REPRINT_REQUESTED = "ticket.reprint_requested";
const REPRINT_REPORTED = "ticket.reprint_reported";
const REPRINT_WINDOW_MS = 60 * 60_000;

export const consoleTicketProcedures = {
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
};
