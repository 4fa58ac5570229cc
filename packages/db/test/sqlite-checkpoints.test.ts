/**
 * SQLite's WAL checkpoints run on a thread of their own, not inside the serving connection's
 * COMMIT (which runs on the event loop: one commit in ≈ 17 purchases took ≈ 12 ms before).
 * What is in the database file itself (a copy without its -wal) shows who copied the pages.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createDb, sqlitePath, tuneSqlite, type DbHandle } from "../src/client.ts";
import { FALLBACK_AUTOCHECKPOINT_PAGES, sqliteCheckpoints } from "../src/sqlite-checkpoints.ts";

type Sqlite = {
  prepare(sql: string): { get(): Record<string, unknown> | undefined };
  close(): void;
};
const SqliteDatabase = createRequire(import.meta.url)("better-sqlite3") as new (
  path: string,
  options?: { readonly?: boolean },
) => Sqlite;

const dirs: string[] = [];
const handles: DbHandle[] = [];
afterEach(async () => {
  for (const h of handles.splice(0)) await h.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function tunedDb() {
  const dir = mkdtempSync(join(tmpdir(), "kiosk-ckpt-"));
  dirs.push(dir);
  const handle = createDb({ url: `file:${join(dir, "kiosk.db")}` });
  handles.push(handle);
  await tuneSqlite(handle);
  await handle.db.$executeRawUnsafe("CREATE TABLE scratch (id INTEGER PRIMARY KEY, v BLOB NOT NULL)");
  return { handle, dir, path: sqlitePath(handle.connectionString) };
}

/** ≈ 1,500 pages of rows in one commit: past SQLite's default automatic checkpoint (1,000). */
const writeRows = (handle: DbHandle) =>
  handle.db.$executeRawUnsafe(
    `INSERT INTO scratch (v) SELECT randomblob(2000) FROM
       (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000) SELECT x FROM c)`,
  );

/** Rows of `scratch` in the database file alone (copied without its WAL); -1 if the table is not there. */
function rowsInFile(path: string, dir: string): number {
  const copy = join(dir, `copy-${Math.random().toString(36).slice(2)}.db`);
  copyFileSync(path, copy);
  const db = new SqliteDatabase(copy);
  try {
    const table = db.prepare("SELECT 1 AS x FROM sqlite_master WHERE name = 'scratch'").get();
    return table ? Number(db.prepare("SELECT count(*) AS n FROM scratch").get()!.n) : -1;
  } finally {
    db.close();
  }
}

describe("SQLite checkpoints off the serving connection", () => {
  it("a large commit is not copied into the file by the serving connection; the thread copies it", async () => {
    const { handle, dir, path } = await tunedDb();
    // The handle's own thread checkpoints every 100 ms; stop it, and drive one that waits for us.
    await handle.checkpoints!.stop();
    const checkpoints = sqliteCheckpoints(path, { intervalMs: 3_600_000 });
    try {
      await writeRows(handle);
      expect(rowsInFile(path, dir)).toBeLessThan(3000); // the COMMIT left the pages in the WAL
      const result = await checkpoints.runNow();
      expect(result.busy).toBe(0);
      expect(result.log).toBeGreaterThan(1000);
      expect(result.checkpointed).toBe(result.log);
      expect(rowsInFile(path, dir)).toBe(3000);
      // The serving connection still reads and writes as before.
      await writeRows(handle);
      const [count] = await handle.db.$queryRawUnsafe<{ n: bigint }[]>("SELECT count(*) AS n FROM scratch");
      expect(Number(count!.n)).toBe(6000);
    } finally {
      await checkpoints.stop();
    }
  });

  it("tuneSqlite keeps the serving connection's own checkpoint only as a backstop and starts the thread", async () => {
    const { handle, dir, path } = await tunedDb();
    const [row] = await handle.db.$queryRawUnsafe<{ wal_autocheckpoint: bigint }[]>("PRAGMA wal_autocheckpoint");
    expect(Number(row!.wal_autocheckpoint)).toBe(FALLBACK_AUTOCHECKPOINT_PAGES);
    await writeRows(handle);
    const result = await handle.checkpoints!.runNow(); // the handle's own, started thread
    expect(result.checkpointed).toBe(result.log);
    expect(rowsInFile(path, dir)).toBe(3000);
  });

  it("close() stops the thread; stopping again is a no-op", async () => {
    const { handle } = await tunedDb();
    const checkpoints = handle.checkpoints!;
    await handle.close();
    handles.splice(handles.indexOf(handle), 1);
    await expect(checkpoints.stop()).resolves.toBeUndefined(); // already stopped: nothing to do
  });
});
