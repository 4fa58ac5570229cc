/**
 * Order reads past the Prisma client where the database has a direct executor (issue 16), with
 * Prisma's read as the fallback; raw-sql.integration.test.ts compares the two.
 */
import { directSqlOf, Prisma, type Db } from "@kiosk/db";

/** An order with what its view and its tickets use of each line's ticket type and slot. */
export type OrderWithLines = Prisma.OrderGetPayload<object> & {
  lines: (Prisma.OrderLineGetPayload<object> & {
    ticketType: { code: string; name: string };
    slot: { startsAt: Date; endsAt: Date };
  })[];
};

/** The joined columns of `readOrderWithLines`'s direct statement, one row per line. */
type OrderLineJoin = Prisma.OrderGetPayload<object> & {
  a_ticketKeyId: string;
  l_id: string | null;
  l_ticketTypeId: string;
  l_slotId: string;
  l_quantity: number;
  l_unitPriceMinor: number;
  l_lineTotalMinor: number;
  tt_code: string;
  tt_name: string;
  s_startsAt: Date;
  s_endsAt: Date;
};

/**
 * An order with its lines (oldest id first; each with its ticket type's code and name and its
 * slot's times) and its attraction's current ticket key: what a booking's confirm signs
 * tickets from. One direct statement where the executor is (Prisma's include is five), else Prisma.
 */
export async function readOrderWithLines(
  db: Db,
  orderId: string,
): Promise<(OrderWithLines & { ticketKeyId: string }) | null> {
  const direct = directSqlOf(db);
  if (!direct) {
    const order = await db.order.findUnique({
      where: { id: orderId },
      include: {
        lines: {
          include: {
            ticketType: { select: { code: true, name: true } },
            slot: { select: { startsAt: true, endsAt: true } },
          },
          orderBy: { id: "asc" },
        },
        attraction: { select: { ticketKeyId: true } },
      },
    });
    if (!order) return null;
    const { attraction, ...rest } = order;
    return Object.assign({}, rest, { ticketKeyId: attraction.ticketKeyId });
  }
  const rows = await direct.query<OrderLineJoin>(
    Prisma.sql`SELECT o."id", o."attractionId", o."channel", o."kioskId", o."apiClientId", o."staffUserId",
        o."shiftId", o."externalRef", o."state", o."currency", o."totalMinor", o."refundedMinor", o."locale",
        o."expiresAt", o."createdAt", o."updatedAt", a."ticketKeyId" AS "a_ticketKeyId",
        l."id" AS "l_id", l."ticketTypeId" AS "l_ticketTypeId", l."slotId" AS "l_slotId",
        l."quantity" AS "l_quantity", l."unitPriceMinor" AS "l_unitPriceMinor",
        l."lineTotalMinor" AS "l_lineTotalMinor", tt."code" AS "tt_code", tt."name" AS "tt_name",
        s."startsAt" AS "s_startsAt", s."endsAt" AS "s_endsAt"
      FROM "Order" o
      JOIN "Attraction" a ON a."id" = o."attractionId"
      LEFT JOIN "OrderLine" l ON l."orderId" = o."id"
      LEFT JOIN "TicketType" tt ON tt."id" = l."ticketTypeId"
      LEFT JOIN "Slot" s ON s."id" = l."slotId"
      WHERE o."id" = ${orderId}
      ORDER BY l."id"`,
    {
      dates: ["expiresAt", "createdAt", "updatedAt", "s_startsAt", "s_endsAt"],
      ints: ["totalMinor", "refundedMinor", "l_quantity", "l_unitPriceMinor", "l_lineTotalMinor"],
    },
  );
  const first = rows[0];
  if (!first) return null;
  const {
    a_ticketKeyId,
    l_id: _l,
    l_ticketTypeId: _t,
    l_slotId: _s,
    l_quantity: _q,
    l_unitPriceMinor: _u,
    l_lineTotalMinor: _lt,
    tt_code: _c,
    tt_name: _n,
    s_startsAt: _sa,
    s_endsAt: _se,
    ...order
  } = first;
  return Object.assign({}, order, {
    ticketKeyId: a_ticketKeyId,
    lines: rows.flatMap((r) =>
      r.l_id === null
        ? []
        : [
            {
              id: r.l_id,
              orderId: order.id,
              ticketTypeId: r.l_ticketTypeId,
              slotId: r.l_slotId,
              quantity: r.l_quantity,
              unitPriceMinor: r.l_unitPriceMinor,
              lineTotalMinor: r.l_lineTotalMinor,
              ticketType: { code: r.tt_code, name: r.tt_name },
              slot: { startsAt: r.s_startsAt, endsAt: r.s_endsAt },
            },
          ],
    ),
  });
}
