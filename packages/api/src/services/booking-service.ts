/**
 * Bookings of API clients (booking systems): the client holds places with `orders.create`,
 * takes the money on its side, then confirms here. Confirming converts the holds to sold
 * places and issues the tickets in ONE transaction, guarded by a conditional update of the
 * order (pending, unexpired, this client's), so it happens at most once whatever the races.
 * The external payment reference is kept in a `booking.confirmed` AuditLog row and in the
 * `sale.completed` event, both written in the same transaction.
 */
import { isRetryableConflict, isUniqueViolation, Prisma } from "@kiosk/db";
import { KioskError } from "../errors.ts";
import { convertHoldsInTx, convertHoldsStatements, TX_OPTIONS } from "./order-service.ts";
import { assertOrderAccess, toOrderView, type OrderView } from "./order-view.ts";
import { readOrderWithLines } from "./order-reads.ts";
import { noopMetrics, silentLogger, type Actor, type MoneyDeps } from "./money-deps.ts";
import { BatchMiss, executeInTx, insertSql, runBatch, type BatchStatement } from "./raw-sql.ts";
import { recordSaleInTx, saleEventStatements, type SaleOrderFacts } from "./sale-events.ts";
import type { PreparedTickets } from "./ticket-issue.ts";
import type { TicketService } from "./ticket-service.ts";
import type { TicketView } from "./ticket-view.ts";

/** Payment states under which an order already has (or may get) an Alipay payment. */
const LIVE_PAYMENT_STATES = [
  "SENDING",
  "POLLING",
  "CANCELLING",
  "PAID",
  "NEEDS_ATTENTION",
  "REFUNDING",
  "PARTIALLY_REFUNDED",
  "REFUNDED",
];

export const BOOKING_CONFIRMED_ACTION = "booking.confirmed";

export interface ConfirmBookingInput {
  orderId: string;
  /** The booking system's own payment reference (its PSP transaction id, say). */
  externalPaymentRef: string;
  actor: Extract<Actor, { type: "api_client" }>;
}

export interface ConfirmedBooking {
  order: OrderView;
  tickets: TicketView[];
  externalPaymentRef: string;
  paidAt: Date;
}

export function createBookingService(
  deps: Pick<MoneyDeps, "db" | "clock" | "log" | "metrics" | "events"> & { tickets: TicketService },
) {
  const { db, clock, tickets } = deps;
  const log = deps.log ?? silentLogger;
  const metrics = deps.metrics ?? noopMetrics;

  /** Why `order` cannot be confirmed now, as the error to throw; null when it can. */
  function refusal(order: { id: string; state: string; expiresAt: Date }, now: Date): KioskError | null {
    if (order.state === "paid")
      return new KioskError("CONFLICT", `Booking ${order.id} is already confirmed`, {
        details: { orderId: order.id, state: order.state },
      });
    if (order.state === "expired" || (order.state === "pending" && order.expiresAt.getTime() <= now.getTime())) {
      return new KioskError("PRECONDITION_FAILED", `Booking ${order.id} has expired; its places were given back`, {
        details: { orderId: order.id, state: "expired" },
      });
    }
    if (order.state !== "pending")
      return new KioskError("CONFLICT", `Booking ${order.id} is ${order.state} and cannot be confirmed`, {
        details: { orderId: order.id, state: order.state },
      });
    return null;
  }

  /**
   * Confirms a pending, unexpired booking of this API client: order → paid, holds → sold,
   * one signed ticket per place, all in one transaction. A second confirm is a CONFLICT
   * ("already confirmed") and changes nothing; an expired booking is PRECONDITION_FAILED,
   * a cancelled one CONFLICT; another client's booking is NOT_FOUND.
   */
  /**
   * The usual confirmation as one batch of raw statements (raw-sql.ts runBatch): the order set
   * paid if it is still this client's, pending, unexpired and has no live payment; its tickets,
   * the `booking.confirmed` audit row and the sale event inserted; its holds converted. Null
   * when any of that was not as expected (nothing written): the caller takes the transaction.
   */
  async function confirmInOneBatch(
    order: SaleOrderFacts & { id: string; attractionId: string; totalMinor: number; currency: string },
    prepared: PreparedTickets,
    lines: readonly { slotId: string; quantity: number }[],
    apiClientId: string,
    auditDetails: string,
    externalPaymentRef: string,
    now: Date,
    also: readonly BatchStatement[],
  ): Promise<TicketView[] | null> {
    if (prepared.rows.length === 0) return null;
    const statements = [
      {
        sql: Prisma.sql`UPDATE "Order" SET "state" = 'paid', "updatedAt" = ${now}
          WHERE "id" = ${order.id} AND "apiClientId" = ${apiClientId} AND "state" = 'pending' AND "expiresAt" > ${now}
            AND NOT EXISTS (SELECT 1 FROM "Payment" p WHERE p."orderId" = ${order.id}
              AND p."state" IN (${Prisma.join(LIVE_PAYMENT_STATES)}))`,
        expect: 1,
      },
      { sql: insertSql("Ticket", prepared.rows), expect: prepared.rows.length },
      {
        sql: insertSql("AuditLog", [
          {
            actorType: "api_client",
            actorId: apiClientId,
            action: BOOKING_CONFIRMED_ACTION,
            targetType: "order",
            targetId: order.id,
            details: auditDetails,
            createdAt: now,
          },
        ]),
      },
      ...(await saleEventStatements(deps.events, {
        orderId: order.id,
        paymentId: null,
        amountMinor: order.totalMinor,
        currency: order.currency,
        paidAt: now,
        extra: { externalPaymentRef },
        order: {
          channel: order.channel,
          kioskId: order.kioskId,
          apiClientId: order.apiClientId,
          externalRef: order.externalRef,
          attractionId: order.attractionId,
          ticketIds: prepared.rows.map((t) => t.id),
        },
        // Pending until this batch: an order is never pending again after a sale.
        isFirstSale: true,
      })),
      ...convertHoldsStatements(order.id, now, lines),
      ...also,
    ];
    try {
      await runBatch(db, statements);
    } catch (error) {
      if (error instanceof BatchMiss || isUniqueViolation(error) || isRetryableConflict(error)) return null;
      throw error;
    }
    return tickets.countIssued(prepared);
  }

  /**
   * `alsoWrite(answer)`: a statement written in the confirmation's own transaction, given the
   * answer this call will return (the booking API's idempotency record: idempotency-service.ts
   * `runInTransaction`).
   */
  async function confirm(
    input: ConfirmBookingInput,
    options: { alsoWrite?: (answer: ConfirmedBooking) => BatchStatement } = {},
  ): Promise<ConfirmedBooking> {
    const { actor, orderId } = input;
    const externalPaymentRef = input.externalPaymentRef.trim();
    if (externalPaymentRef.length === 0) throw new KioskError("BAD_REQUEST", "externalPaymentRef is required");
    const order = await readOrderWithLines(db, orderId);
    if (!order) throw new KioskError("NOT_FOUND", `Order ${orderId} not found`);
    assertOrderAccess(order, actor);
    const early = refusal(order, clock.now());
    if (early) throw early;

    // Sign outside the transaction (as the payment path does); insert inside it.
    const now = clock.now();
    const prepared = await tickets.prepare(
      { id: order.id, attractionId: order.attractionId, ticketKeyId: order.ticketKeyId, lines: order.lines },
      now,
    );
    const lines = order.lines.map((l) => ({ slotId: l.slotId, quantity: l.quantity }));
    const { ticketKeyId: _ticketKeyId, ...row } = order;
    // The answer, known before anything is written (the tickets were signed above).
    const answer: ConfirmedBooking = {
      order: toOrderView(Object.assign({}, row, { state: "paid" })),
      tickets: prepared.views,
      externalPaymentRef,
      paidAt: now,
    };
    const also = options.alsoWrite ? [options.alsoWrite(answer)] : [];
    const auditDetails = JSON.stringify({
      externalPaymentRef,
      channel: "booking",
      amountMinor: order.totalMinor,
      currency: order.currency,
      ticketCount: prepared.rows.length,
    });
    // The general path: precise refusals when the batch missed (a payment, a changed or expired
    // order, a hold no longer active), and the over-capacity report of a late conversion.
    const confirmInTransaction = (): Promise<TicketView[]> =>
      db.$transaction(async (tx) => {
        const live = await tx.payment.count({ where: { orderId, state: { in: LIVE_PAYMENT_STATES } } });
        if (live > 0)
          throw new KioskError(
            "CONFLICT",
            `Order ${orderId} has an Alipay payment; it cannot be confirmed as a booking`,
            { details: { orderId } },
          );
        const { count } = await tx.order.updateMany({
          where: { id: orderId, apiClientId: actor.id, state: "pending", expiresAt: { gt: now } },
          data: { state: "paid" },
        });
        if (count !== 1) {
          const current = await tx.order.findUniqueOrThrow({
            where: { id: orderId },
            select: { id: true, state: true, expiresAt: true },
          });
          throw refusal(current, now) ?? new KioskError("CONFLICT", `Booking ${orderId} changed meanwhile; retry`);
        }
        const views = await tickets.insertPreparedInTx(tx, prepared);
        if (views.length !== prepared.rows.length)
          throw new KioskError("CONFLICT", `Booking ${orderId} already has tickets`);
        await tx.auditLog.create({
          data: {
            actorType: "api_client",
            actorId: actor.id,
            action: BOOKING_CONFIRMED_ACTION,
            targetType: "order",
            targetId: orderId,
            details: auditDetails,
            createdAt: now,
          },
          select: { id: true },
        });
        // The durable sale event commits with the confirmation (when the sink can write in a transaction).
        await recordSaleInTx(tx, deps.events, {
          orderId,
          paymentId: null,
          amountMinor: order.totalMinor,
          currency: order.currency,
          paidAt: now,
          extra: { externalPaymentRef },
        });
        await executeInTx(tx, also);
        // The shared Slot rows last, so their locks are held only until commit.
        const overCapacity = await convertHoldsInTx(tx, orderId, now, lines);
        if (overCapacity.length > 0)
          log.warn("confirmed booking went over slot capacity", { orderId, slots: overCapacity });
        return views;
      }, TX_OPTIONS);
    const issued =
      (await confirmInOneBatch(order, prepared, lines, actor.id, auditDetails, externalPaymentRef, now, also)) ??
      (await confirmInTransaction());

    metrics.inc("kiosk_orders_total", { outcome: "booking_confirmed" });
    log.info("booking confirmed", { orderId, apiClientId: actor.id, tickets: issued.length });
    // A sink that cannot write in a transaction gets the event after the commit, like a plain topic.
    if (!deps.events?.publishInTx)
      deps.events?.publish("sale.completed", {
        attractionId: order.attractionId,
        orderId,
        paymentId: null,
        channel: "booking",
        kioskId: null,
        apiClientId: actor.id,
        externalRef: order.externalRef,
        externalPaymentRef,
        amountMinor: order.totalMinor,
        currency: order.currency,
        ticketIds: issued.map((t) => t.id),
        paidAt: now,
      });
    return Object.assign({}, answer, { tickets: issued });
  }

  return { confirm };
}

export type BookingService = ReturnType<typeof createBookingService>;
