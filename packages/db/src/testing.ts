import { createHash, randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { createDb, tuneSqlite, type Db, type DbHandle, type DbProvider } from "./client.ts";
import { migrate } from "./migrate.ts";

export interface TestDatabase extends DbHandle {
  url: string;
  /** Closes the client and deletes the database. */
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: a temporary SQLite file, or a new
 * database on the PostgreSQL server at `serverUrl` (its own name, dropped afterwards).
 */
export async function createTestDatabase(provider: DbProvider, serverUrl?: string): Promise<TestDatabase> {
  const name = `kiosk_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  if (provider === "sqlite") {
    const path = join(tmpdir(), `${name}.db`);
    const url = `file:${path}`;
    const handle = createDb({ url });
    await tuneSqlite(handle);
    await migrate(handle);
    return {
      ...handle,
      url,
      drop: async () => {
        await handle.close();
        for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
      },
    };
  }
  if (!serverUrl) throw new Error("createTestDatabase('postgresql') needs the server URL (TEST_DATABASE_URL)");
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const handle = createDb({ url, poolMax: 20 });
  await migrate(handle);
  return {
    ...handle,
    url,
    drop: async () => {
      await handle.close();
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Every model, by its client delegate name. */
const MODELS = [
  "attraction",
  "ticketType",
  "slot",
  "order",
  "orderLine",
  "capacityHold",
  "payment",
  "paymentEvent",
  "refund",
  "ticket",
  "redemption",
  "kiosk",
  "staffUser",
  "staffSession",
  "apiClient",
  "idempotencyRecord",
  "reconciliationRun",
  "reconciliationDifference",
  "auditLog",
] as const;

/** The tables that hold money, capacity or tickets: their full contents are hashed. */
const MONEY_MODELS = [
  "slot",
  "order",
  "orderLine",
  "capacityHold",
  "payment",
  "paymentEvent",
  "refund",
  "ticket",
  "redemption",
  "idempotencyRecord",
  "reconciliationRun",
  "reconciliationDifference",
] as const;

export interface DbSnapshot {
  /** Row count per model. */
  counts: Record<(typeof MODELS)[number], number>;
  /** sha256 over every row of the money tables, ordered by id. */
  moneyHash: string;
}

/**
 * Row counts of every table and a hash of the money tables, to prove that something
 * (a refused request, a fuzz run) changed nothing.
 */
export async function snapshotDb(db: Db): Promise<DbSnapshot> {
  type Delegate = { count(): Promise<number>; findMany(args: { orderBy: { id: "asc" } }): Promise<unknown[]> };
  const delegate = (name: string): Delegate => (db as unknown as Record<string, Delegate>)[name]!;
  const counts = Object.fromEntries(
    await Promise.all(MODELS.map(async (m) => [m, await delegate(m).count()] as const)),
  ) as DbSnapshot["counts"];
  const hash = createHash("sha256");
  for (const m of MONEY_MODELS)
    hash.update(`${m}:${JSON.stringify(await delegate(m).findMany({ orderBy: { id: "asc" } }))}\n`);
  return { counts, moneyHash: hash.digest("hex") };
}
