/**
 * Tickets: issued inside the transaction that records PAID, one per place, each with a code
 * signed by the attraction's Ed25519 key; redeemed once (Redemption.ticketId is unique, so
 * the second of two simultaneous scans loses in the database, not in a check).
 */
import { directSqlOf, isUniqueViolation, Prisma, type TicketState } from "@kiosk/db";
import { KioskError } from "../errors.ts";
import { type Tx, TX_OPTIONS } from "./order-service.ts";
import { assertOrderAccess } from "./order-view.ts";
import { newId, noopMetrics, silentLogger, type Actor, type MoneyDeps } from "./money-deps.ts";
import { signTicketCode, verifyTicketCode, type TicketPayload } from "./ticket-code.ts";

export interface TicketView {
  id: string;
  orderId: string;
  ticketTypeId: string;
  ticketTypeCode: string;
  ticketTypeName: string;
  slotId: string;
  validFrom: Date;
  validUntil: Date;
  code: string;
  state: TicketState;
  printedAt: Date | null;
  printFailedAt: Date | null;
  redeemedAt: Date | null;
  voidedAt: Date | null;
}

export type RedeemResult =
  | { ok: true; ticket: TicketView; redeemedAt: Date }
  | { ok: false; reason: "already_used"; message: string; redeemedAt: Date; ticket: TicketView }
  | {
      ok: false;
      reason: "void" | "invalid" | "not_found" | "wrong_attraction" | "not_valid_now";
      message: string;
      ticket?: TicketView;
    };

const ticketInclude = { ticketType: true, slot: true } as const;

/** What issuing needs to know about a paid order (loaded once, with the payment's start). */
export interface IssueContext {
  id: string;
  attractionId: string;
  ticketKeyId: string;
  lines: {
    id: string;
    ticketTypeId: string;
    slotId: string;
    quantity: number;
    ticketType: { code: string; name: string };
    slot: { startsAt: Date; endsAt: Date };
  }[];
}

/** Signed tickets ready to insert. */
export interface PreparedTickets {
  orderId: string;
  attractionId: string;
  rows: {
    id: string;
    orderId: string;
    orderLineId: string;
    ticketTypeId: string;
    slotId: string;
    code: string;
    state: string;
    createdAt: Date;
  }[];
  views: TicketView[];
}

type TicketRow = {
  id: string;
  orderId: string;
  ticketTypeId: string;
  slotId: string;
  code: string;
  state: string;
  printedAt: Date | null;
  printFailedAt: Date | null;
  redeemedAt: Date | null;
  voidedAt: Date | null;
  ticketType: { code: string; name: string };
  slot: { startsAt: Date; endsAt: Date };
};

/** The joined columns of a direct ticket read (listForOrder). */
type TicketJoin = { ticketTypeCode: string; ticketTypeName: string; startsAt: Date; endsAt: Date };

function toView(t: TicketRow): TicketView {
  return {
    id: t.id,
    orderId: t.orderId,
    ticketTypeId: t.ticketTypeId,
    ticketTypeCode: t.ticketType.code,
    ticketTypeName: t.ticketType.name,
    slotId: t.slotId,
    validFrom: t.slot.startsAt,
    validUntil: t.slot.endsAt,
    code: t.code,
    state: t.state as TicketState,
    printedAt: t.printedAt,
    printFailedAt: t.printFailedAt,
    redeemedAt: t.redeemedAt,
    voidedAt: t.voidedAt,
  };
}

export function createTicketService(deps: Pick<MoneyDeps, "db" | "clock" | "log" | "metrics" | "ticketKeys">) {
  const { db, clock, ticketKeys } = deps;
  const log = deps.log ?? silentLogger;
  const metrics = deps.metrics ?? noopMetrics;

  /**
   * Signs the tickets of a paid order (one per place) outside any transaction; returns the
   * rows to insert and their views. Insert them with `insertPreparedInTx`.
   */
  async function prepare(order: IssueContext, now: Date): Promise<PreparedTickets> {
    const key = await ticketKeys.privateKeyFor(order.attractionId);
    const rows: PreparedTickets["rows"] = [];
    const views: TicketView[] = [];
    for (const line of order.lines) {
      for (let i = 0; i < line.quantity; i++) {
        const id = newId("tkt");
        const payload: TicketPayload = {
          i: id,
          a: order.attractionId,
          k: order.ticketKeyId,
          t: line.ticketType.code,
          f: Math.floor(line.slot.startsAt.getTime() / 1000),
          u: Math.floor(line.slot.endsAt.getTime() / 1000),
        };
        const row = {
          id,
          orderId: order.id,
          orderLineId: line.id,
          ticketTypeId: line.ticketTypeId,
          slotId: line.slotId,
          code: signTicketCode(payload, key),
          state: "valid",
          createdAt: now,
        };
        rows.push(row);
        views.push(
          toView({
            ...row,
            printedAt: null,
            printFailedAt: null,
            redeemedAt: null,
            voidedAt: null,
            ticketType: line.ticketType,
            slot: line.slot,
          }),
        );
      }
    }
    return { orderId: order.id, attractionId: order.attractionId, rows, views };
  }

  /**
   * Inserts prepared tickets in the PAID transaction. `isKnownEmpty` skips the "already
   * issued?" check when the caller knows the order had none (its payment just left SENDING).
   */
  async function insertPreparedInTx(
    tx: Tx,
    prepared: PreparedTickets,
    options: { isKnownEmpty?: boolean } = {},
  ): Promise<TicketView[]> {
    if (!options.isKnownEmpty && (await tx.ticket.count({ where: { orderId: prepared.orderId } })) > 0) return [];
    await tx.ticket.createMany({ data: prepared.rows });
    return countIssued(prepared);
  }

  /** Counts prepared tickets as issued (their rows are written); returns their views. */
  function countIssued(prepared: PreparedTickets): TicketView[] {
    metrics.inc("kiosk_tickets_issued_total", { attraction: prepared.attractionId }, prepared.rows.length);
    return prepared.views;
  }

  /** Issues the order's tickets unless it already has some; call only inside the PAID transaction. */
  async function issueInTx(tx: Tx, orderId: string, now: Date): Promise<number> {
    const existing = await tx.ticket.count({ where: { orderId } });
    if (existing > 0) return 0;
    const order = await tx.order.findUniqueOrThrow({
      where: { id: orderId },
      include: { attraction: { select: { ticketKeyId: true } }, lines: { include: { ticketType: true, slot: true } } },
    });
    const prepared = await prepare(
      { id: order.id, attractionId: order.attractionId, ticketKeyId: order.attraction.ticketKeyId, lines: order.lines },
      now,
    );
    return (await insertPreparedInTx(tx, prepared, { isKnownEmpty: true })).length;
  }

  /** Voids valid tickets (all of the order's, or the listed ones) and gives their places back. */
  async function voidInTx(tx: Tx, input: { orderId: string; ticketIds?: string[]; now: Date }): Promise<number> {
    const tickets = await tx.ticket.findMany({
      where: { orderId: input.orderId, state: "valid", ...(input.ticketIds ? { id: { in: input.ticketIds } } : {}) },
      select: { id: true, slotId: true },
    });
    let voided = 0;
    for (const t of tickets) {
      const { count } = await tx.ticket.updateMany({
        where: { id: t.id, state: "valid" },
        data: { state: "void", voidedAt: input.now },
      });
      if (count === 1) {
        await tx.slot.update({ where: { id: t.slotId }, data: { sold: { decrement: 1 } } });
        voided += 1;
      }
    }
    return voided;
  }

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
      return rows.map(toView);
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
      id === null ? [] : [{ ...t, id }],
    );
    return rows.map(({ ticketTypeCode, ticketTypeName, startsAt, endsAt, ...t }) =>
      toView({ ...t, ticketType: { code: ticketTypeCode, name: ticketTypeName }, slot: { startsAt, endsAt } }),
    );
  }

  async function loadForActor(ticketId: string, actor: Actor) {
    const t = await db.ticket.findUnique({
      where: { id: ticketId },
      include: {
        ...ticketInclude,
        order: { select: { id: true, kioskId: true, apiClientId: true, attractionId: true } },
      },
    });
    if (!t) throw new KioskError("NOT_FOUND", `Ticket ${ticketId} not found`);
    assertOrderAccess(t.order, actor);
    return t;
  }

  async function get(ticketId: string, actor: Actor): Promise<TicketView> {
    return toView(await loadForActor(ticketId, actor));
  }

  /** Staff lookup by code (as scanned) or ticket id. */
  async function lookup(codeOrId: string): Promise<TicketView> {
    const t = await db.ticket.findFirst({
      where: { OR: [{ code: codeOrId.trim() }, { id: codeOrId.trim() }] },
      include: ticketInclude,
    });
    if (!t) throw new KioskError("NOT_FOUND", "No ticket with this code");
    return toView(t);
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
    return { valid: t.state === "valid", reason: t.state === "valid" ? undefined : t.state, ticket: toView(t) };
  }

  async function redeem(input: { code: string; gate?: string; actor: Actor }): Promise<RedeemResult> {
    const code = input.code.trim();
    const t = await db.ticket.findUnique({
      where: { code },
      include: { ...ticketInclude, order: { select: { attractionId: true } }, redemption: true },
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
    const view = toView(t);
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
    return { ok: true, ticket: { ...view, state: "redeemed", redeemedAt: now }, redeemedAt: now };
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

  return {
    prepare,
    insertPreparedInTx,
    countIssued,
    issueInTx,
    voidInTx,
    listForOrder,
    get,
    lookup,
    markPrinted,
    markPrintFailed,
    verify,
    redeem,
  };
}

export type TicketService = ReturnType<typeof createTicketService>;
