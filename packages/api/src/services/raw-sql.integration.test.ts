/**
 * The purchase writes its rows with raw statements (raw-sql.ts). Prisma must read, order and
 * compare them as its own: the same date encoding (an equal instant compares equal, on SQLite
 * a text comparison), no column left to a database default Prisma would have filled.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { DbProvider } from "@kiosk/db";
import {
  ADULT,
  CHILD,
  code,
  createHarness,
  KIOSK,
  OTHER_KIOSK,
  PG_URL,
  SLOT_14,
  type Harness,
} from "./__tests__/harness.ts";
import { readOrderWithLines } from "./order-reads.ts";
import { insertSql, setSql } from "./raw-sql.ts";

/** Runs `fn` with the process in time zone `zone` (TZ), then puts the zone back. */
async function inZone<T>(zone: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env.TZ;
  process.env.TZ = zone;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  }
}

const providers: { provider: DbProvider; skip: boolean }[] = [
  { provider: "sqlite", skip: false },
  { provider: "postgresql", skip: !PG_URL },
];

describe("raw-sql", () => {
  it("refuses names that are not plain identifiers, rows that differ and an empty SET", () => {
    expect(() => insertSql('Order"; DROP TABLE "Order', [{ id: "x" }])).toThrow(/Not a column or table name/);
    expect(() => insertSql("Order", [{ ["id = 1; --"]: "x" }])).toThrow(/Not a column or table name/);
    expect(() => insertSql("Ticket", [{ id: "a" }, { id: "b", code: "c" }])).toThrow(/differ in their columns/);
    expect(() => insertSql("Ticket", [])).toThrow(/No rows/);
    expect(() => setSql({ state: undefined })).toThrow(/Nothing to set/);
    const sql = insertSql("Ticket", [
      { id: "a", state: "valid", printedAt: null },
      { id: "b", state: "valid", printedAt: null },
    ]);
    expect(sql.sql).toBe('INSERT INTO "Ticket" ("id","state","printedAt") VALUES (?,?,?),(?,?,?)');
    expect(sql.values).toEqual(["a", "valid", null, "b", "valid", null]);
  });
});

for (const { provider, skip } of providers) {
  describe.skipIf(skip)(`rows written raw on ${provider}`, () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it("read back through Prisma equal to the instants written, found by equal-instant filters", async () => {
      h = await createHarness(provider);
      const now = h.clock.now();
      const { orderId, paymentId } = await h.buy({ quantity: 2, code: code("success") });
      expect(await h.settle(paymentId)).toBe("PAID");
      const db = h.db.db;
      const order = await db.order.findUniqueOrThrow({
        where: { id: orderId },
        include: { lines: true, holds: true, tickets: true, payments: { include: { events: true } } },
      });
      expect(order.state).toBe("paid");
      expect(order.createdAt.getTime()).toBe(now.getTime());
      expect(order.updatedAt.getTime()).toBeGreaterThanOrEqual(now.getTime());
      expect(order.lines).toHaveLength(1);
      expect(order.holds.map((x) => x.state)).toEqual(["converted"]);
      expect(order.tickets.map((t) => [t.state, t.createdAt.getTime()])).toEqual([
        ["valid", order.payments[0]!.paidAt!.getTime()],
        ["valid", order.payments[0]!.paidAt!.getTime()],
      ]);
      const payment = order.payments[0]!;
      expect(payment.id).toBe(paymentId);
      expect(payment.version).toBe(payment.events.length);
      expect(payment.events.map((e) => e.seq)).toEqual(payment.events.map((_, i) => i + 1));
      // An equal instant matches lte/gte/equals (a different text form of the same instant would not on SQLite).
      for (const [column, at] of [
        ["expiresAt", order.expiresAt],
        ["createdAt", order.createdAt],
      ] as const) {
        expect(await db.order.count({ where: { id: orderId, [column]: { lte: at, gte: at } } }), column).toBe(1);
        expect(await db.order.count({ where: { id: orderId, [column]: at } }), column).toBe(1);
      }
      expect(await db.payment.count({ where: { id: paymentId, deadlineAt: payment.deadlineAt } })).toBe(1);
      expect(await db.payment.count({ where: { id: paymentId, createdAt: { gte: now, lte: now } } })).toBe(1);
      expect(await db.capacityHold.count({ where: { orderId, expiresAt: order.holds[0]!.expiresAt } })).toBe(1);
      // Nothing left to a column default Prisma would have filled differently.
      expect(order.locale).toBe("en");
      expect(payment.machineState).not.toBe("{}");
    });

    it("an order's tickets read past Prisma equal Prisma's own read, printed and voided ones included", async () => {
      h = await createHarness(provider);
      const { orderId, paymentId } = await h.buy({ quantity: 3, code: code("success") });
      expect(await h.settle(paymentId)).toBe("PAID");
      const db = h.db.db;
      const ids = (await db.ticket.findMany({ where: { orderId }, orderBy: { id: "asc" } })).map((t) => t.id);
      // Instants with milliseconds, a null left beside them.
      await db.ticket.update({ where: { id: ids[0]! }, data: { printedAt: new Date("2026-12-05T21:34:56.789Z") } });
      await db.ticket.update({
        where: { id: ids[1]! },
        data: { state: "void", voidedAt: new Date("2026-12-05T22:00:00.001Z") },
      });
      const prisma = await db.ticket.findMany({
        where: { orderId },
        include: { ticketType: true, slot: true },
        orderBy: { id: "asc" },
      });
      // Read in a time zone other than UTC: a timestamp column holds UTC whatever the process's zone
      // (pg's default parser would read it as local time).
      const listed = await inZone("Asia/Singapore", () =>
        h!.services.tickets.listForOrder(orderId, { type: "system" }),
      );
      expect(listed).toEqual(
        prisma.map((t) => ({
          id: t.id,
          orderId: t.orderId,
          ticketTypeId: t.ticketTypeId,
          ticketTypeCode: t.ticketType.code,
          ticketTypeName: t.ticketType.name,
          slotId: t.slotId,
          validFrom: t.slot.startsAt,
          validUntil: t.slot.endsAt,
          code: t.code,
          state: t.state,
          printedAt: t.printedAt,
          printFailedAt: t.printFailedAt,
          redeemedAt: t.redeemedAt,
          voidedAt: t.voidedAt,
        })),
      );
      expect(listed.map((t) => [t.state, t.printedAt?.toISOString() ?? null])).toEqual([
        ["valid", "2026-12-05T21:34:56.789Z"],
        ["void", null],
        ["valid", null],
      ]);
      await expect(h.services.tickets.listForOrder("ord_missing", { type: "system" })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      // The order's own kiosk reads them; another kiosk is told there is no such order; an order
      // without tickets (not paid yet) has an empty list.
      expect(await h.services.tickets.listForOrder(orderId, KIOSK)).toHaveLength(3);
      await expect(h.services.tickets.listForOrder(orderId, OTHER_KIOSK)).rejects.toMatchObject({ code: "NOT_FOUND" });
      const pending = await h.services.orders.create({
        actor: KIOSK,
        lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 1 }],
      });
      expect(await h.services.tickets.listForOrder(pending.id, KIOSK)).toEqual([]);
      await expect(h.services.tickets.listForOrder(pending.id, OTHER_KIOSK)).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
    });

    it("an order with its lines read past Prisma equals Prisma's own read, line order and instants included", async () => {
      h = await createHarness(provider);
      const db = h.db.db;
      const created = await h.services.orders.create({
        actor: KIOSK,
        lines: [
          { ticketTypeId: ADULT, slotId: SLOT_14, quantity: 2 },
          { ticketTypeId: CHILD, slotId: SLOT_14, quantity: 1 },
        ],
      });
      await db.order.update({ where: { id: created.id }, data: { refundedMinor: 1, externalRef: "ext-1" } });
      const prismaRead = async () => {
        const o = await db.order.findUniqueOrThrow({
          where: { id: created.id },
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
        const { attraction, ...rest } = o;
        return { ...rest, ticketKeyId: attraction.ticketKeyId };
      };
      await inZone("Asia/Singapore", async () => {
        const expected = await prismaRead();
        expect(expected.lines).toHaveLength(2);
        expect(await readOrderWithLines(db, created.id)).toEqual(expected);
        // A client without the direct executor reads through Prisma, the same.
        expect(await readOrderWithLines(db.$extends({}) as unknown as typeof db, created.id)).toEqual(expected);
      });
      expect(await readOrderWithLines(db, "ord_missing")).toBeNull();
    });

    it("a payment read past Prisma equals Prisma's own read, every column, nulls and instants with milliseconds", async () => {
      h = await createHarness(provider);
      const { paymentId } = await h.buy({ quantity: 2, code: code("success") });
      expect(await h.settle(paymentId)).toBe("PAID");
      const db = h.db.db;
      // Columns a paid instant purchase leaves null get values; instants get milliseconds.
      await db.payment.update({
        where: { id: paymentId },
        data: {
          leaseOwner: "worker-7",
          leaseUntil: new Date("2026-12-05T21:34:56.789Z"),
          nextActionAt: new Date("2026-12-05T21:35:00.001Z"),
          failureReason: "none, a test value",
          exchangeRate: "7.12345678",
          walletName: "GCash",
          queryCount: 3,
          amountMinor: 2_000_000_000,
        },
      });
      const store = h.services.payments.store;
      await inZone("Asia/Singapore", async () => {
        const prisma = await db.payment.findUniqueOrThrow({ where: { id: paymentId } });
        expect(await store.byId(paymentId)).toEqual(prisma);
        expect(await store.byPartnerTransId(prisma.partnerTransId)).toEqual(prisma);
        const withOrder = await db.payment.findUnique({
          where: { id: paymentId },
          include: { order: { select: { id: true, kioskId: true, apiClientId: true, attractionId: true } } },
        });
        expect(withOrder?.order.kioskId).toBeTruthy();
        expect(await store.withOrder(paymentId)).toEqual(withOrder);
        expect(typeof (await store.byId(paymentId)).amountMinor).toBe("number");
      });
      expect(await store.byPartnerTransId("K-missing")).toBeNull();
      expect(await store.withOrder("pay_missing")).toBeNull();
      await expect(store.byId("pay_missing")).rejects.toMatchObject({ code: "NOT_FOUND" });
    });
  });
}
