/**
 * The direct executor (direct-sql.ts) writes past the Prisma client on Prisma's own
 * connection: Prisma must read its rows as its own, a miss or an error must leave nothing,
 * and on SQLite it must never run inside (or interleave with) an interactive Prisma
 * transaction on the shared connection.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbProvider } from "../src/client.ts";
import { BatchMiss, directSqlOf, type DirectSql } from "../src/direct-sql.ts";
import { isUniqueViolation } from "../src/errors.ts";
import { Prisma } from "../src/generated/sqlite/client.ts";
import { createTestDatabase, type TestDatabase } from "../src/testing.ts";

const PG_URL = process.env.TEST_DATABASE_URL;

const audit = (id: number, action: string, createdAt: Date) =>
  Prisma.sql`INSERT INTO "AuditLog" ("id", "actorType", "action", "details", "createdAt") VALUES (${id}, 'system', ${action}, '{}', ${createdAt})`;

for (const provider of ["sqlite", "postgresql"] as DbProvider[]) {
  describe.skipIf(provider === "postgresql" && !PG_URL)(`direct batches on ${provider}`, () => {
    let t: TestDatabase;
    let direct: DirectSql;
    beforeAll(async () => {
      t = await createTestDatabase(provider, PG_URL);
      direct = directSqlOf(t.db)!;
    });
    afterAll(async () => t?.drop());

    it("is set on the client createDb makes, not on an extended one", () => {
      expect(direct).toBeDefined();
      expect(directSqlOf(t.db.$extends({}))).toBeUndefined();
    });

    it("writes instants Prisma reads back equal and finds by an equal-instant filter", async () => {
      const at = new Date("2026-12-05T21:34:56.789Z");
      expect(await direct.batch([{ sql: audit(1001, "direct.date", at) }])).toEqual([1]);
      const row = await t.db.auditLog.findUniqueOrThrow({ where: { id: 1001 } });
      expect(row.createdAt.getTime()).toBe(at.getTime());
      expect(await t.db.auditLog.count({ where: { createdAt: at } })).toBe(1);
      expect(await t.db.auditLog.count({ where: { createdAt: { gt: new Date(at.getTime() - 1) } } })).toBe(1);
    });

    it("returns the rows each statement changed, in order", async () => {
      const at = new Date();
      expect(
        await direct.batch([{ sql: audit(1101, "direct.count", at) }, { sql: audit(1102, "direct.count", at) }]),
      ).toEqual([1, 1]);
      // A batch's statements must not touch each other's rows (on PostgreSQL they share one
      // snapshot); rows of an earlier batch are fine.
      const changed = await direct.batch([
        { sql: audit(1103, "direct.other", at) },
        { sql: Prisma.sql`UPDATE "AuditLog" SET "reason" = 'r' WHERE "action" = 'direct.count'`, expect: 2 },
        { sql: Prisma.sql`UPDATE "AuditLog" SET "reason" = 'r' WHERE "action" = 'direct.none'` },
      ]);
      expect(changed).toEqual([1, 2, 0]);
      expect(await t.db.auditLog.count({ where: { reason: "r" } })).toBe(2);
    });

    it("a statement that changes another number of rows than expected leaves nothing written", async () => {
      const at = new Date();
      const miss = await direct
        .batch([
          { sql: audit(1201, "direct.miss", at) },
          { sql: Prisma.sql`UPDATE "AuditLog" SET "reason" = 'x' WHERE "id" = ${-1}`, expect: 1 },
        ])
        .catch((e: unknown) => e);
      expect(miss).toBeInstanceOf(BatchMiss);
      expect(miss).toMatchObject({ index: 1, changed: 0 });
      expect(await t.db.auditLog.count({ where: { action: "direct.miss" } })).toBe(0);
      // The connection is usable afterwards (no transaction left open).
      expect(await direct.batch([{ sql: audit(1202, "direct.after", at) }])).toEqual([1]);
      expect(await t.db.auditLog.count({ where: { action: "direct.after" } })).toBe(1);
    });

    it("a unique violation is recognised as one and rolls the batch back", async () => {
      const at = new Date();
      const error = await direct
        .batch([{ sql: audit(1301, "direct.unique", at) }, { sql: audit(1301, "direct.unique", at) }])
        .catch((e: unknown) => e);
      expect(isUniqueViolation(error)).toBe(true);
      expect(await t.db.auditLog.count({ where: { action: "direct.unique" } })).toBe(0);
    });

    it("query answers a statement's rows, a write with RETURNING included", async () => {
      await direct.batch([{ sql: audit(1501, "direct.query", new Date()) }]);
      const rows = await direct.query<{ id: unknown; action: string }>(
        Prisma.sql`SELECT "id", "action" FROM "AuditLog" WHERE "action" = ${"direct.query"}`,
      );
      // As the driver answers: SQLite's integers are bigints (Prisma's connection asks for safe integers).
      expect(rows.map((r) => ({ ...r, id: Number(r.id) }))).toEqual([{ id: 1501, action: "direct.query" }]);
      const returned = await direct.query<{ reason: string }>(
        Prisma.sql`UPDATE "AuditLog" SET "reason" = ${"q"} WHERE "id" = ${1501} RETURNING "reason"`,
      );
      expect(returned).toEqual([{ reason: "q" }]);
      expect((await t.db.auditLog.findUniqueOrThrow({ where: { id: 1501 } })).reason).toBe("q");
      expect(await direct.query(Prisma.sql`SELECT "id" FROM "AuditLog" WHERE "id" = ${-5}`)).toEqual([]);
    });

    it("waits for an interactive Prisma transaction and is not rolled back with it", async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let isInside!: () => void;
      const inside = new Promise<void>((r) => (isInside = r));
      const prismaTx = t.db
        .$transaction(async (tx) => {
          await tx.auditLog.create({ data: { id: 1401, actorType: "system", action: "direct.itx" } });
          isInside();
          await gate;
          throw new Error("rolled back on purpose");
        })
        .catch((e: unknown) => e);
      await inside;
      const order: string[] = [];
      const batch = direct.batch([{ sql: audit(1402, "direct.beside", new Date()) }]).then(() => order.push("batch"));
      // Give the batch every chance to run inside the open transaction.
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      order.push("released");
      release();
      await Promise.all([prismaTx, batch]);
      if (provider === "sqlite") expect(order).toEqual(["released", "batch"]);
      expect(await t.db.auditLog.count({ where: { action: "direct.itx" } })).toBe(0);
      expect(await t.db.auditLog.count({ where: { action: "direct.beside" } })).toBe(1);
    });
  });
}
