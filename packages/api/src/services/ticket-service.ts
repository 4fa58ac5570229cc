/**
 * Tickets after issue: the order's tickets and one ticket for its caller, staff lookup by
 * code, printing, and redemption: once, since Redemption.ticketId is unique, so the second of
 * two simultaneous scans loses in the database, not in a check. Issuing and voiding:
 * ticket-issue.ts; the view: ticket-view.ts.
 */
import { directSqlOf, isUniqueViolation, Prisma } from "@kiosk/db";
import { KioskError } from "../errors.ts";
import { TX_OPTIONS } from "./order-service.ts";
import { assertOrderAccess } from "./order-view.ts";
import { newId, noopMetrics, silentLogger, type Actor, type MoneyDeps } from "./money-deps.ts";
import { verifyTicketCode } from "./ticket-code.ts";
import { createTicketIssue } from "./ticket-issue.ts";
import { ticketInclude, toTicketView, type TicketRow, type TicketView } from "./ticket-view.ts";

export type RedeemResult =
  | { ok: true; ticket: TicketView; redeemedAt: Date }
  | { ok: false; reason: "already_used"; message: string; redeemedAt: Date; ticket: TicketView }
  | {
      ok: false;
      reason: "void" | "invalid" | "not_found" | "wrong_attraction" | "not_valid_now";
      message: string;
      ticket?: TicketView;
    };

/** The joined columns of a direct ticket read (listForOrder). */
type TicketJoin = { ticketTypeCode: string; ticketTypeName: string; startsAt: Date; endsAt: Date };

export function createTicketService(deps: Pick<MoneyDeps, "db" | "clock" | "log" | "metrics" | "ticketKeys">) {
  const { db, clock } = deps;
  const log = deps.log ?? silentLogger;
  const metrics = deps.metrics ?? noopMetrics;

  const issue = createTicketIssue(deps);

  /**
   * The order's tickets, oldest id first. Every kiosk sale reads them (the receipt): two direct
   * statements past the Prisma client where the executor is (issue 16), else Prisma.
   */
  async function listForOrder(orderId: string, actor: Actor): Promise<TicketView[]> {
    const direct = directSqlOf(db);
    if (!direct) {
      const order = await db.order.findUnique({
        where: { id: orderId },
        select: { id: true, kioskId: true, apiClientId: true, attractionId: true },
      });
      if (!order) throw new KioskError("NOT_FOUND", `Order ${orderId} not found`);
      assertOrderAccess(order, actor);
      const rows = await db.ticket.findMany({ where: { orderId }, include: ticketInclude, orderBy: { id: "asc" } });
      return rows.map(toTicketView);
    }
    // One statement: the order's access fields on every row (one row with no ticket when it has none).
    const joined = await direct.query<
      Omit<TicketRow, "ticketType" | "slot" | "id"> &
        TicketJoin & {
          id: string | null;
          o_id: string;
          o_kioskId: string | null;
          o_apiClientId: string | null;
          o_attractionId: string;
        }
    >(
      Prisma.sql`SELECT o."id" AS "o_id", o."kioskId" AS "o_kioskId", o."apiClientId" AS "o_apiClientId",
          o."attractionId" AS "o_attractionId",
          t."id", t."orderId", t."ticketTypeId", t."slotId", t."code", t."state",
          t."printedAt", t."printFailedAt", t."redeemedAt", t."voidedAt",
          tt."code" AS "ticketTypeCode", tt."name" AS "ticketTypeName", s."startsAt", s."endsAt"
        FROM "Order" o
        LEFT JOIN "Ticket" t ON t."orderId" = o."id"
        LEFT JOIN "TicketType" tt ON tt."id" = t."ticketTypeId"
        LEFT JOIN "Slot" s ON s."id" = t."slotId"
        WHERE o."id" = ${orderId}
        ORDER BY t."id"`,
      { dates: ["printedAt", "printFailedAt", "redeemedAt", "voidedAt", "startsAt", "endsAt"] },
    );
    const first = joined[0];
    if (!first) throw new KioskError("NOT_FOUND", `Order ${orderId} not found`);
    assertOrderAccess(
      {
        id: first.o_id,
        kioskId: first.o_kioskId,
        apiClientId: first.o_apiClientId,
        attractionId: first.o_attractionId,
      },
      actor,
    );
    const rows = joined.flatMap(({ id, o_id: _i, o_kioskId: _k, o_apiClientId: _c, o_attractionId: _a, ...t }) =>
      id === null ? [] : [Object.assign({}, t, { id })],
    );
    return rows.map(({ ticketTypeCode, ticketTypeName, startsAt, endsAt, ...t }) =>
      toTicketView(
        Object.assign({}, t, {
          ticketType: { code: ticketTypeCode, name: ticketTypeName },
          slot: { startsAt, endsAt },
        }),
      ),
    );
  }

  async function loadForActor(ticketId: string, actor: Actor) {
    const t = await db.ticket.findUnique({
      where: { id: ticketId },
      include: Object.assign({}, ticketInclude, {
        order: { select: { id: true, kioskId: true, apiClientId: true, attractionId: true } },
      }),
    });
    if (!t) throw new KioskError("NOT_FOUND", `Ticket ${ticketId} not found`);
    assertOrderAccess(t.order, actor);
    return t;
  }

  async function get(ticketId: string, actor: Actor): Promise<TicketView> {
    return toTicketView(await loadForActor(ticketId, actor));
  }

  /** Staff lookup by code (as scanned) or ticket id. */
  async function lookup(codeOrId: string): Promise<TicketView> {
    const t = await db.ticket.findFirst({
      where: { OR: [{ code: codeOrId.trim() }, { id: codeOrId.trim() }] },
      include: ticketInclude,
    });
    if (!t) throw new KioskError("NOT_FOUND", "No ticket with this code");
    return toTicketView(t);
  }

  async function markPrinted(ticketId: string, actor: Actor): Promise<TicketView> {
    await loadForActor(ticketId, actor);
    await db.ticket.update({ where: { id: ticketId }, data: { printedAt: clock.now(), printFailedAt: null } });
    metrics.inc("kiosk_ticket_prints_total", { outcome: "printed" });
    return get(ticketId, actor);
  }

  /** A ticket that did not print stays valid; the page shows its QR code and staff can reprint. */
  async function markPrintFailed(ticketId: string, actor: Actor, reason?: string): Promise<TicketView> {
    await loadForActor(ticketId, actor);
    await db.ticket.update({ where: { id: ticketId }, data: { printFailedAt: clock.now() } });
    metrics.inc("kiosk_ticket_prints_total", { outcome: "failed" });
    log.warn("ticket print failed", { ticketId, reason: reason?.slice(0, 200) });
    return get(ticketId, actor);
  }

  /** Checks a code's signature against the attraction's key and reports its state. */
  async function verify(code: string): Promise<{ valid: boolean; reason?: string; ticket?: TicketView }> {
    const parts = code.trim().split(".");
    const attractions = await db.attraction.findMany({ select: { ticketKeyId: true, ticketPublicKey: true } });
    const keys = Object.fromEntries(attractions.map((a) => [a.ticketKeyId, a.ticketPublicKey]));
    const result = verifyTicketCode(code, keys);
    if (!result.ok || parts.length !== 3) return { valid: false, reason: result.ok ? "malformed" : result.reason };
    const t = await db.ticket.findUnique({ where: { code: code.trim() }, include: ticketInclude });
    if (!t) return { valid: false, reason: "not_found" };
    return { valid: t.state === "valid", reason: t.state === "valid" ? undefined : t.state, ticket: toTicketView(t) };
  }

  async function redeem(input: { code: string; gate?: string; actor: Actor }): Promise<RedeemResult> {
    const code = input.code.trim();
    const t = await db.ticket.findUnique({
      where: { code },
      include: Object.assign({}, ticketInclude, { order: { select: { attractionId: true } }, redemption: true }),
    });
    if (!t) return { ok: false, reason: "not_found", message: "Unknown ticket" };
    const attraction = await db.attraction.findUniqueOrThrow({ where: { id: t.order.attractionId } });
    if (!verifyTicketCode(code, { [attraction.ticketKeyId]: attraction.ticketPublicKey }).ok) {
      return { ok: false, reason: "invalid", message: "Ticket signature does not verify" };
    }
    const { actor } = input;
    if ((actor.type === "kiosk" || actor.type === "api_client") && actor.attractionId !== t.order.attractionId) {
      return { ok: false, reason: "wrong_attraction", message: "Ticket is for another attraction" };
    }
    const view = toTicketView(t);
    if (t.redemption) return alreadyUsed(view, t.redemption.redeemedAt);
    if (t.state === "void") return { ok: false, reason: "void", message: "Ticket was voided", ticket: view };
    const now = clock.now();
    if (now.getTime() >= t.slot.endsAt.getTime())
      return {
        ok: false,
        reason: "not_valid_now",
        message: `Ticket was valid until ${t.slot.endsAt.toISOString()}`,
        ticket: view,
      };
    try {
      await db.$transaction(async (tx) => {
        await tx.redemption.create({
          data: {
            id: newId("rdm"),
            ticketId: t.id,
            redeemedAt: now,
            gate: input.gate ?? null,
            actorType: actor.type,
            actorId: actor.id ?? null,
          },
        });
        const { count } = await tx.ticket.updateMany({
          where: { id: t.id, state: "valid" },
          data: { state: "redeemed", redeemedAt: now },
        });
        if (count !== 1) throw new KioskError("CONFLICT", `Ticket ${t.id} was voided meanwhile`);
      }, TX_OPTIONS);
    } catch (error) {
      if (isUniqueViolation(error)) {
        const r = await db.redemption.findUniqueOrThrow({ where: { ticketId: t.id } });
        return alreadyUsed(view, r.redeemedAt);
      }
      if (error instanceof KioskError) return { ok: false, reason: "void", message: "Ticket was voided", ticket: view };
      throw error;
    }
    metrics.inc("kiosk_redemptions_total", { outcome: "redeemed" });
    return { ok: true, ticket: Object.assign({}, view, { state: "redeemed", redeemedAt: now }), redeemedAt: now };
  }

  function alreadyUsed(ticket: TicketView, redeemedAt: Date): RedeemResult {
    metrics.inc("kiosk_redemptions_total", { outcome: "already_used" });
    return {
      ok: false,
      reason: "already_used",
      message: `Ticket already used at ${redeemedAt.toISOString()}`,
      redeemedAt,
      ticket,
    };
  }

  return Object.assign({}, issue, { listForOrder, get, lookup, markPrinted, markPrintFailed, verify, redeem });
}

export type TicketService = ReturnType<typeof createTicketService>;
