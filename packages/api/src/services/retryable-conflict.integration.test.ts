/**
 * A PostgreSQL deadlock victim (40P01) is rolled back whole, so the payment store runs it again
 * (`isRetryableConflict`). Since the purchase's writes are raw statements (issue 16), the
 * driver's code arrives in a P2010 error's `meta`; `proof:load` found payment.start answering
 * 500 on deadlocks the store no longer recognised. Here a real deadlock, on both error paths.
 */
import { createTestDatabase, type TestDatabase } from "@kiosk/db/testing";
import { afterAll, describe, expect, it } from "vitest";
import { isRetryableConflict } from "@kiosk/db";

const PG_URL = process.env.TEST_DATABASE_URL;

describe.skipIf(!PG_URL)("isRetryableConflict on PostgreSQL", () => {
  let t: TestDatabase | undefined;
  afterAll(async () => t?.close());

  /** Two transactions taking rows a and b in opposite orders: one of them is the victim. */
  async function deadlock(write: (tx: TestDatabase["db"], id: string) => Promise<unknown>): Promise<unknown> {
    const db = t!.db;
    let bothHoldFirst!: () => void;
    let held = 0;
    const gate = new Promise<void>((r) => (bothHoldFirst = r));
    const run = (first: string, second: string) =>
      db.$transaction(
        async (tx) => {
          await write(tx as TestDatabase["db"], first);
          if (++held === 2) bothHoldFirst();
          await gate;
          await write(tx as TestDatabase["db"], second);
        },
        { timeout: 20_000 },
      );
    const results = await Promise.allSettled([run("a", "b"), run("b", "a")]);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(rejected).toHaveLength(1);
    return rejected[0]!.reason;
  }

  it("recognises the victim of a raw statement, and nothing else", async () => {
    t = await createTestDatabase("postgresql", PG_URL);
    const db = t.db;
    await db.$executeRawUnsafe(`CREATE TABLE "Lockme" ("id" TEXT PRIMARY KEY, "n" INTEGER NOT NULL)`);
    await db.$executeRawUnsafe(`INSERT INTO "Lockme" VALUES ('a', 0), ('b', 0)`);

    const raw = await deadlock((tx, id) => tx.$executeRaw`UPDATE "Lockme" SET "n" = "n" + 1 WHERE "id" = ${id}`);
    expect((raw as { code?: string }).code).toBe("P2010");
    expect(isRetryableConflict(raw)).toBe(true);

    expect(isRetryableConflict(new Error("deadlock detected"))).toBe(false);
    expect(
      isRetryableConflict({ code: "P2010", meta: { driverAdapterError: { cause: { originalCode: "23505" } } } }),
    ).toBe(false);
  }, 30_000);
});
