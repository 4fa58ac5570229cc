import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { createDb, tuneSqlite, type DbHandle, type DbProvider } from "./client.ts";
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
