/**
 * The migration runner (Prisma's `migrate deploy` needs its engines, which this repository
 * does not ship). It keeps Prisma's `_prisma_migrations` table, so the CLI and this runner can
 * be used on the same database, and adds what a fleet of servers starting at once needs:
 *
 * - one runner at a time: a PostgreSQL advisory lock (session-level, on a connection of its
 *   own), or SQLite's write lock (`BEGIN IMMEDIATE`, waited for with a busy timeout);
 * - a checksum check: an applied migration whose file changed since is refused
 *   (MigrationChecksumError), before anything else is applied;
 * - each migration file runs whole, through the driver (PostgreSQL's simple query protocol,
 *   better-sqlite3's `exec`), in one transaction with its record — never split on `;`.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import type { DbHandle, DbProvider } from "./client.ts";

const PRISMA_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "prisma");
/** pg_advisory_lock key of the migration runner ("kiosk_mi" as a 64-bit integer). */
export const MIGRATION_LOCK_KEY = 0x6b696f736b5f6d69n;
const SQLITE_BUSY_TIMEOUT_MS = 60_000;

export interface Migration {
  name: string;
  sql: string;
  /** sha256 of the file, hex (what `prisma migrate deploy` records). */
  checksum: string;
}

export interface MigrateOptions {
  /** Folder of `<name>/migration.sql` folders. @default the committed migrations of the handle's provider */
  dir?: string;
}

/** An applied migration's file differs from what was applied: the runner refuses to go on. */
export class MigrationChecksumError extends Error {
  override readonly name = "MigrationChecksumError";
  constructor(readonly migrations: readonly string[]) {
    super(
      `Applied migration${migrations.length > 1 ? "s" : ""} changed since applied: ${migrations.join(", ")}. ` +
        "Restore the committed file(s); a change to the schema is a new migration.",
    );
  }
}

export function migrationsDir(provider: DbProvider): string {
  return join(PRISMA_DIR, provider === "sqlite" ? "sqlite" : "pg", "migrations");
}

export function checksumOf(sql: string): string {
  return createHash("sha256").update(sql).digest("hex");
}

/** The migrations of a folder (default: the committed ones of `provider`), in order. */
export function listMigrations(provider: DbProvider, dir: string = migrationsDir(provider)): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: checksumOf(sql) };
    });
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
}

/** Names of applied migrations whose file no longer has the recorded checksum. */
function changedSinceApplied(files: readonly Migration[], applied: readonly AppliedRow[]): string[] {
  const byName = new Map(files.map((m) => [m.name, m]));
  return applied
    .filter((row) => byName.has(row.migration_name) && byName.get(row.migration_name)!.checksum !== row.checksum)
    .map((row) => row.migration_name);
}

function pending(files: readonly Migration[], applied: readonly AppliedRow[]): Migration[] {
  const done = new Set(applied.map((r) => r.migration_name));
  return files.filter((m) => !done.has(m.name));
}

const APPLIED_SQL = `SELECT "migration_name", "checksum" FROM "_prisma_migrations" WHERE "finished_at" IS NOT NULL AND "rolled_back_at" IS NULL`;

async function migratePg(connectionString: string, files: readonly Migration[]): Promise<string[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY.toString()]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS "_prisma_migrations" ("id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`,
      );
      const applied = (await client.query<AppliedRow>(APPLIED_SQL)).rows;
      const changed = changedSinceApplied(files, applied);
      if (changed.length > 0) throw new MigrationChecksumError(changed);
      const ran: string[] = [];
      for (const m of pending(files, applied)) {
        await client.query("BEGIN");
        try {
          await client.query(m.sql); // no parameters: the simple protocol runs the whole file
          await client.query(
            `INSERT INTO "_prisma_migrations" ("id","checksum","finished_at","migration_name","applied_steps_count") VALUES ($1,$2,now(),$3,1)`,
            [randomUUID(), m.checksum, m.name],
          );
          await client.query("COMMIT");
        } catch (e) {
          await client.query("ROLLBACK");
          throw e;
        }
        ran.push(m.name);
      }
      return ran;
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY.toString()]);
    }
  } finally {
    await client.end();
  }
}

function migrateSqlite(path: string, files: readonly Migration[]): string[] {
  const db = new Database(path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  try {
    // The write lock for the whole run: a second runner waits here, then finds the work done.
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(
        `CREATE TABLE IF NOT EXISTS "_prisma_migrations" ("id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME, "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME, "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`,
      );
      const applied = db.prepare(APPLIED_SQL).all() as AppliedRow[];
      const changed = changedSinceApplied(files, applied);
      if (changed.length > 0) throw new MigrationChecksumError(changed);
      const record = db.prepare(
        `INSERT INTO "_prisma_migrations" ("id","checksum","finished_at","migration_name","applied_steps_count") VALUES (?,?,current_timestamp,?,1)`,
      );
      const ran: string[] = [];
      for (const m of pending(files, applied)) {
        db.exec(m.sql);
        record.run(randomUUID(), m.checksum, m.name);
        ran.push(m.name);
      }
      db.exec("COMMIT");
      return ran;
    } catch (e) {
      if (db.inTransaction) db.exec("ROLLBACK");
      throw e;
    }
  } finally {
    db.close();
  }
}

/**
 * Applies the pending migrations (all of them on an empty database) and returns their names;
 * refuses (MigrationChecksumError, nothing applied) when an applied migration's file changed.
 * Safe to run from several processes at once. Used by `npm start`, the migrate entry and tests.
 */
export async function migrate(handle: DbHandle, options: MigrateOptions = {}): Promise<string[]> {
  const files = listMigrations(handle.provider, options.dir);
  if (handle.provider === "postgresql") return migratePg(handle.connectionString, files);
  return migrateSqlite(handle.connectionString.slice("file:".length), files);
}
