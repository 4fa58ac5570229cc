import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../src/testing.ts";
import { seed } from "../src/seed.ts";
import { isUniqueViolation } from "../src/errors.ts";
import { verifyPassword } from "../src/secrets.ts";
import { zonedTimeToUtc, dayInZone } from "../src/time-zone.ts";
import type { DbProvider } from "../src/client.ts";

const PG_URL = process.env.TEST_DATABASE_URL;
const NOW = new Date("2026-11-27T02:00:00Z");

for (const provider of ["sqlite", "postgresql"] as DbProvider[]) {
  describe.skipIf(provider === "postgresql" && !PG_URL)(`database on ${provider}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(provider, PG_URL);
    });
    afterAll(async () => t?.drop());

    it("seeds two attractions, one priced with cents (SGD) and one without (JPY)", async () => {
      const r = await seed(t.db, { now: NOW, days: 3, adminPassword: "correct horse", kioskPairingCode: "PAIR-1234" });
      expect(Object.keys(r.createdTicketKeys).sort()).toEqual(["attr_museum", "attr_skyline"]);
      const attractions = await t.db.attraction.findMany({ orderBy: { id: "asc" } });
      expect(attractions.map((a) => a.currency)).toEqual(["JPY", "SGD"]);
      // Every demo pay carries the merchant fields Antom documents as mandatory (issue 14).
      expect(attractions.map((a) => [a.secondaryMerchantId, a.storeId])).toEqual([
        ["HARBOUR_MUSEUM", "MUSEUM-MAIN"],
        ["SKYLINE_DECK", "SKY-MAIN"],
      ]);
      const prices = await t.db.ticketType.findMany({ where: { attractionId: "attr_skyline" } });
      expect(prices.every((p) => Number.isInteger(p.priceMinor))).toBe(true);
      expect(prices.find((p) => p.code === "ADULT")?.priceMinor).toBe(3200);
      const admin = await t.db.staffUser.findUniqueOrThrow({ where: { email: "admin@example.com" } });
      expect(await verifyPassword("correct horse", admin.passwordHash)).toBe(true);
      expect(await verifyPassword("wrong", admin.passwordHash)).toBe(false);
      expect(await t.db.kiosk.count()).toBe(1);
    });

    it("creates timed slots at local wall-clock times and is idempotent", async () => {
      const first = await t.db.slot.count();
      const again = await seed(t.db, { now: NOW, days: 3, adminPassword: "x", kioskPairingCode: "y" });
      expect(again.slotsCreated).toBe(0);
      expect(Object.keys(again.createdTicketKeys)).toEqual([]);
      expect(await t.db.slot.count()).toBe(first);
      const today = dayInZone(NOW.getTime(), "Asia/Tokyo");
      const slot = await t.db.slot.findUniqueOrThrow({ where: { id: `slot_museum_${today}_0930` } });
      expect(slot.startsAt.toISOString()).toBe(zonedTimeToUtc(today, "09:30", "Asia/Tokyo").toISOString());
      expect(slot.startsAt.toISOString()).toBe(`${today}T00:30:00.000Z`);
    });

    it("refuses a second redemption of one ticket through the unique constraint", async () => {
      const tt = await t.db.ticketType.findFirstOrThrow({ where: { attractionId: "attr_museum" } });
      const slot = await t.db.slot.findFirstOrThrow({ where: { attractionId: "attr_museum" } });
      await t.db.order.create({
        data: {
          id: "o1",
          attractionId: "attr_museum",
          channel: "kiosk",
          state: "paid",
          currency: "JPY",
          totalMinor: 1800,
          expiresAt: NOW,
        },
      });
      await t.db.orderLine.create({
        data: {
          id: "l1",
          orderId: "o1",
          ticketTypeId: tt.id,
          slotId: slot.id,
          quantity: 1,
          unitPriceMinor: 1800,
          lineTotalMinor: 1800,
        },
      });
      await t.db.ticket.create({
        data: {
          id: "t1",
          orderId: "o1",
          orderLineId: "l1",
          ticketTypeId: tt.id,
          slotId: slot.id,
          code: "code-1",
          state: "valid",
        },
      });
      await t.db.redemption.create({ data: { id: "r1", ticketId: "t1", redeemedAt: NOW, actorType: "staff" } });
      const second = await t.db.redemption
        .create({ data: { id: "r2", ticketId: "t1", redeemedAt: NOW, actorType: "staff" } })
        .catch((e: unknown) => e);
      expect(isUniqueViolation(second)).toBe(true);
      expect(await t.db.redemption.count({ where: { ticketId: "t1" } })).toBe(1);
      // The same violation from a raw statement (the purchase's hot path writes raw).
      const raw = await t.db.$executeRaw`INSERT INTO "Redemption" ("id", "ticketId", "redeemedAt", "actorType")
        VALUES ('r3', 't1', ${NOW}, 'staff')`.catch((e: unknown) => e);
      expect(isUniqueViolation(raw)).toBe(true);
      expect(isUniqueViolation(new Error("P2010"))).toBe(false);
      expect(await t.db.redemption.count({ where: { ticketId: "t1" } })).toBe(1);
    });
  });
}
