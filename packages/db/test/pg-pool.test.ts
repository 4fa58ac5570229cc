/**
 * A statement the database refuses (a duplicate key, a sold-out batch's miss, a deadlock
 * victim) leaves its connection usable, so the pool keeps it. pg-pool's `query` drops the
 * connection on any error; under `proof:load` that opened ≈ 120 new PostgreSQL sessions in
 * 24 s (a fork and a SCRAM handshake each, and every prepared statement lost). A connection
 * that did break is still dropped, and the next statement gets a new one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "../src/client.ts";
import { BatchMiss, directSqlOf, type DirectSql } from "../src/direct-sql.ts";
import { isUniqueViolation } from "../src/errors.ts";
import { Prisma } from "../src/generated/sqlite/client.ts";
import { createTestDatabase, type TestDatabase } from "../src/testing.ts";

const PG_URL = process.env.TEST_DATABASE_URL;

describe.skipIf(!PG_URL)("the PostgreSQL pool after a refused statement", () => {
  let t: TestDatabase;
  let one: DbHandle;
  let direct: DirectSql;
  beforeAll(async () => {
    t = await createTestDatabase("postgresql", PG_URL);
    // One connection only: a statement that replaced it shows as a new backend pid.
    one = createDb({ url: t.url, poolMax: 1 });
    direct = directSqlOf(one.db)!;
  });
  afterAll(async () => {
    await one?.close();
    await t?.drop();
  });

  const backend = async () => (await one.db.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`)[0]!.pid;
  const audit = (id: number) =>
    Prisma.sql`INSERT INTO "AuditLog" ("id", "actorType", "action", "details", "createdAt") VALUES (${id}, 'system', 'pool.test', '{}', ${new Date()})`;

  it("keeps the connection after Prisma's, the direct executor's and a batch's refusals", async () => {
    const pid = await backend();

    await one.db.$executeRaw(audit(1));
    const duplicate = await one.db.$executeRaw(audit(1)).catch((e: unknown) => e);
    expect(isUniqueViolation(duplicate)).toBe(true);
    expect(await backend()).toBe(pid);

    await expect(direct.query(Prisma.sql`SELECT 1 / ${0}::int AS x`)).rejects.toMatchObject({ code: "22012" });
    expect(await backend()).toBe(pid);

    await expect(
      direct.batch([{ sql: Prisma.sql`UPDATE "AuditLog" SET "action" = 'x' WHERE "id" = ${-1}`, expect: 1 }]),
    ).rejects.toBeInstanceOf(BatchMiss);
    expect(await backend()).toBe(pid);

    // The connection still works as before: no transaction left open, the row written once.
    expect(await one.db.auditLog.count({ where: { action: "pool.test" } })).toBe(1);
  });

  it("drops a connection that broke, and the next statement runs on a new one", async () => {
    const pid = await backend();
    await t.db.$queryRaw`SELECT pg_terminate_backend(${pid}::int)`;
    // The first statement after the kill may fail (the socket closes under it) or not: either way
    // the pool must not hand the dead connection out again.
    await backend().catch(() => undefined);
    const next = await backend();
    expect(next).not.toBe(pid);
    expect(await one.db.auditLog.count({ where: { action: "pool.test" } })).toBe(1);
  });

  it("opens its connections when warmed, and later statements run on them", async () => {
    const three = createDb({ url: t.url, poolMax: 3 });
    try {
      const backends = async () =>
        (
          await t.db.$queryRaw<{ pid: number }[]>`
            SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`
        ).map((r) => r.pid);
      const before = new Set(await backends());
      await three.warm!();
      const opened = (await backends()).filter((pid) => !before.has(pid));
      expect(opened).toHaveLength(3);
      // Six statements at once need no fourth connection, and none of the three was closed.
      const pids = await Promise.all(
        Array.from(
          { length: 6 },
          async () => (await three.db.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`)[0]!.pid,
        ),
      );
      expect(pids.every((pid) => opened.includes(pid))).toBe(true);
      expect((await backends()).filter((pid) => !before.has(pid)).sort()).toEqual([...opened].sort());
    } finally {
      await three.close();
    }
  });
});
