/**
 * Issuing and voiding tickets. A paid order gets one ticket per place, each with a code signed
 * by the attraction's Ed25519 key: signed before any transaction (`prepare`), written inside the
 * one that records PAID (`insertPreparedInTx`, `issueInTx`). The transaction that records a
 * refund voids them and gives their places back (`voidInTx`).
 */
import { newId, noopMetrics, type MoneyDeps } from "./money-deps.ts";
import type { Tx } from "./order-service.ts";
import { signTicketCode, type TicketPayload } from "./ticket-code.ts";
import { toTicketView, type TicketView } from "./ticket-view.ts";

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

export function createTicketIssue(deps: Pick<MoneyDeps, "metrics" | "ticketKeys">) {
  const { ticketKeys } = deps;
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
          toTicketView(
            Object.assign({}, row, {
              printedAt: null,
              printFailedAt: null,
              redeemedAt: null,
              voidedAt: null,
              ticketType: line.ticketType,
              slot: line.slot,
            }),
          ),
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

  return { prepare, insertPreparedInTx, countIssued, issueInTx, voidInTx };
}
