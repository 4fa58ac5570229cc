/**
 * Prisma 6's query compiler wraps `updateMany` and `createMany` in an internal transaction
 * although each is one statement (prisma/orm#29748, fixed upstream in Prisma 7, which does not
 * run here): BEGIN, the statement, COMMIT, three round trips on a connection of its own. Under
 * `proof:load` that was every idempotency answer, lease and job-run update. The patch
 * (patches/@prisma__client@6.19.3.patch) runs a plan with at most one statement directly;
 * a write of several statements keeps its transaction.
 *
 * Observed at the driver: the statements the pg client sends.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../src/testing.ts";

const PG_URL = process.env.TEST_DATABASE_URL;

describe.skipIf(!PG_URL)("single-statement writes on PostgreSQL", () => {
  let t: TestDatabase;
  const sent: string[] = [];
  const query = pg.Client.prototype.query;
  beforeAll(async () => {
    t = await createTestDatabase("postgresql", PG_URL);
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const config = args[0];
      sent.push(typeof config === "string" ? config : String((config as { text?: unknown })?.text ?? ""));
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
  });
  afterAll(async () => {
    pg.Client.prototype.query = query;
    await t?.drop();
  });

  async function statementsOf(write: () => Promise<unknown>): Promise<string[]> {
    sent.length = 0;
    await write();
    return sent.map((s) => s.trim().split(/\s+/)[0]!.toUpperCase());
  }

  const record = (id: string) => ({
    id,
    scope: "test",
    key: id,
    requestHash: "h",
    state: "in_progress",
    createdAt: new Date(),
    expiresAt: new Date(Date.now() + 60_000),
  });

  it("runs updateMany and createMany as one statement, without BEGIN and COMMIT", async () => {
    expect(await statementsOf(() => t.db.idempotencyRecord.createMany({ data: [record("a"), record("b")] }))).toEqual([
      "INSERT",
    ]);
    const update = () => t.db.idempotencyRecord.updateMany({ where: { id: "a" }, data: { state: "completed" } });
    expect(await statementsOf(update)).toEqual(["UPDATE"]);
    expect(await t.db.idempotencyRecord.count({ where: { state: "completed" } })).toBe(1);
  });

  it("still refuses what it refused, and leaves nothing", async () => {
    await expect(t.db.idempotencyRecord.createMany({ data: [record("c"), record("a")] })).rejects.toMatchObject({
      code: "P2002",
    });
    expect(await t.db.idempotencyRecord.count({ where: { id: "c" } })).toBe(0);
  });

  it("keeps the transaction of a write of several statements", async () => {
    // A user with a session: two INSERTs, one transaction.
    const nested = await statementsOf(() =>
      t.db.staffUser.create({
        data: {
          id: "u1",
          email: "u1@example.test",
          name: "U",
          passwordHash: "x",
          role: "viewer",
          sessions: { create: { id: "s1", tokenHash: "t1", expiresAt: new Date(Date.now() + 60_000) } },
        },
        select: { id: true },
      }),
    );
    expect(nested[0]).toBe("BEGIN");
    expect(nested.at(-1)).toBe("COMMIT");
    expect(nested.filter((s) => s === "INSERT")).toHaveLength(2);
    // Inside an interactive transaction a single statement runs on it, as before.
    await t.db.$transaction(async (tx) => {
      expect(await statementsOf(() => tx.idempotencyRecord.updateMany({ data: { requestHash: "x" } }))).toEqual([
        "UPDATE",
      ]);
    });
  });
});
