/** The `sale.completed` domain event of a paid order, written in the transaction that records it paid. */
import type { Prisma } from "@kiosk/db";
import type { Tx } from "./order-service.ts";
import type { MoneyEventSink } from "./money-deps.ts";
import type { BatchStatement } from "./raw-sql.ts";

export interface SaleFacts {
  orderId: string;
  /** The Alipay payment; null for a booking confirmed by its booking system. */
  paymentId: string | null;
  amountMinor: number;
  currency: string;
  paidAt: Date;
  /** More public facts (e.g. the booking system's payment reference). */
  extra?: Record<string, unknown>;
  /**
   * The order's facts and ticket ids when the caller has them (the instant purchase wrote
   * them in this transaction): the event is written without reading the order back.
   */
  order?: SaleOrderFacts & { attractionId: string; ticketIds: readonly string[] };
  /**
   * The order turned paid in this transaction (from a state it is never in after a sale), so
   * it has no `sale.completed` yet and the sink need not look for one.
   */
  isFirstSale?: boolean;
}

/** The order's public facts a `sale.completed` carries. */
export interface SaleOrderFacts {
  channel: string;
  kioskId: string | null;
  apiClientId: string | null;
  externalRef: string | null;
}

/**
 * Writes `sale.completed` for the order inside `tx` (call it after the tickets are inserted).
 * Does nothing when the sink cannot write in a transaction; the sink stores one per order.
 */
export async function recordSaleInTx(tx: Tx, sink: MoneyEventSink | undefined, sale: SaleFacts): Promise<void> {
  if (!sink?.publishInTx) return;
  const o = sale.order
    ? { id: sale.orderId, ...sale.order, tickets: [...sale.order.ticketIds].sort().map((id) => ({ id })) }
    : await tx.order.findUniqueOrThrow({
        where: { id: sale.orderId },
        select: {
          id: true,
          attractionId: true,
          channel: true,
          kioskId: true,
          apiClientId: true,
          externalRef: true,
          tickets: { select: { id: true }, orderBy: { id: "asc" } },
        },
      });
  await sink.publishInTx(
    tx,
    {
      type: "sale.completed",
      attractionId: o.attractionId,
      subject: { type: "order", id: o.id },
      data: {
        orderId: o.id,
        paymentId: sale.paymentId,
        channel: o.channel,
        kioskId: o.kioskId,
        apiClientId: o.apiClientId,
        externalRef: o.externalRef,
        amountMinor: sale.amountMinor,
        currency: sale.currency,
        ticketIds: o.tickets.map((t) => t.id),
        paidAt: sale.paidAt,
        ...sale.extra,
      },
    },
    sale.isFirstSale ? { isFirstForSubject: true } : undefined,
  );
}

/**
 * `recordSaleInTx` as statements for a batch (raw-sql.ts runBatch), for a sale whose order facts
 * and tickets the caller has (`sale.order`). The sink writes its row through `$executeRaw`
 * (events-service appendInTx): recorded here, written in the batch. A sink that needs more
 * than that fails loudly, before anything is written.
 */
export async function saleEventStatements(
  sink: MoneyEventSink | undefined,
  sale: SaleFacts & { order: NonNullable<SaleFacts["order"]> },
): Promise<BatchStatement[]> {
  const statements: BatchStatement[] = [];
  const recorder = {
    $executeRaw: (sql: Prisma.Sql) => {
      statements.push({ sql });
      return Promise.resolve(1);
    },
  } as unknown as Tx;
  await recordSaleInTx(recorder, sink, sale);
  return statements;
}
