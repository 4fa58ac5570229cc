import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, resolve } from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { pgDirect, setDirectSql, sqliteDirect } from "./direct-sql.ts";
import { PrismaClient as PgPrismaClient } from "./generated/pg/client.ts";
import { keepConnectionsOnStatementErrors } from "./pg-pool.ts";
import { PrismaClient as SqlitePrismaClient } from "./generated/sqlite/client.ts";
import { FALLBACK_AUTOCHECKPOINT_PAGES, sqliteCheckpoints, type SqliteCheckpoints } from "./sqlite-checkpoints.ts";

/**
 * The Prisma client type the rest of the system programs against. Both generated
 * clients come from the same models (prisma/models.prisma), so their APIs match;
 * the SQLite one names the type.
 */
export type Db = SqlitePrismaClient;
export type DbProvider = "sqlite" | "postgresql";

export interface DbHandle {
  db: Db;
  provider: DbProvider;
  /** Human-readable target without credentials, for logs. */
  target: string;
  /**
   * What the migration runner opens its own connection with (migrate.ts): `file:<absolute path>`
   * or the PostgreSQL URL with its credentials. Never log it (use `target`).
   */
  connectionString: string;
  close(): Promise<void>;
  /**
   * Opens the pool's connections now (PostgreSQL), so the first requests after a start do not
   * each wait for one. Rejects when the database cannot be reached.
   */
  warm?(): Promise<void>;
  /** SQLite: WAL checkpoints on a thread of their own, started by {@link tuneSqlite}. */
  checkpoints?: SqliteCheckpoints;
}

export function providerOf(url: string): DbProvider {
  if (url.startsWith("file:")) return "sqlite";
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) return "postgresql";
  throw new Error(
    `Unsupported database URL scheme in "${redactUrl(url)}": use file:<path> for SQLite or postgresql://… for PostgreSQL`,
  );
}

/** Absolute file path of a `file:` URL; relative paths resolve against `baseDir`. */
export function sqlitePath(url: string, baseDir: string = process.cwd()): string {
  const p = url.slice("file:".length);
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, "//$1:***@");
}

/** The PostgreSQL URL with `password` put in (percent-encoded), e.g. from a Docker secret file. */
export function withDatabasePassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  return u.toString();
}

/**
 * PostgreSQL time limits, so a database that stops answering fails requests within seconds
 * instead of hanging until TCP gives up. All in milliseconds; 0 turns one off.
 */
export interface DbTimeouts {
  /** Opening a connection, or waiting for a free one in the pool. @default 5000 */
  connectMs?: number;
  /** Server-side `statement_timeout`; the client gives up 1 s after it (a silent server). @default 30000 */
  statementMs?: number;
  /** Server-side `idle_in_transaction_session_timeout`. @default 60000 */
  idleInTransactionMs?: number;
}

export const DEFAULT_DB_TIMEOUTS = { connectMs: 5_000, statementMs: 30_000, idleInTransactionMs: 60_000 } as const;

/** The pg pool settings for `timeouts` (exported for the tests and the docs). */
export function pgTimeoutConfig(timeouts: DbTimeouts = {}) {
  const t = Object.assign({}, DEFAULT_DB_TIMEOUTS, timeouts);
  return {
    connectionTimeoutMillis: t.connectMs,
    statement_timeout: t.statementMs,
    // Client side: the server may be the thing that stopped answering.
    query_timeout: t.statementMs > 0 ? t.statementMs + 1_000 : 0,
    idle_in_transaction_session_timeout: t.idleInTransactionMs,
    keepAlive: true,
  };
}

export interface CreateDbOptions {
  url: string;
  /** Base folder for relative SQLite paths. */
  baseDir?: string;
  /** PostgreSQL pool size per process. */
  poolMax?: number;
  /** PostgreSQL time limits (DEFAULT_DB_TIMEOUTS). */
  timeouts?: DbTimeouts;
}

export function createDb(options: CreateDbOptions): DbHandle {
  const provider = providerOf(options.url);
  if (provider === "sqlite") {
    const path = sqlitePath(options.url, options.baseDir);
    mkdirSync(dirname(path), { recursive: true });
    // busy timeout: a second writer waits instead of failing with SQLITE_BUSY.
    // The direct executor (direct-sql.ts) shares the connection Prisma opens.
    const shared = sqliteDirect(new PrismaBetterSQLite3({ url: `file:${path}`, timeout: 10_000 }), () => db.$connect());
    const db: Db = new SqlitePrismaClient({ adapter: shared.factory });
    setDirectSql(db, shared.direct);
    const checkpoints = sqliteCheckpoints(path);
    return {
      db,
      provider,
      target: `sqlite:${path}`,
      connectionString: `file:${path}`,
      checkpoints,
      close: async () => {
        await checkpoints.stop();
        await db.$disconnect();
      },
    };
  }
  // The whole URL goes to the driver (pg parses it), so its TLS parameters count: sslmode
  // (require / verify-ca / verify-full), sslrootcert, sslcert, sslkey (files, read by pg).
  // One pool for Prisma and the direct executor (direct-sql.ts); Prisma ends it on disconnect.
  const max = options.poolMax ?? 10;
  const pool = keepConnectionsOnStatementErrors(
    new pg.Pool({
      connectionString: options.url,
      max,
      // Connections stay open while idle: a new one is a backend fork and a SCRAM handshake, and
      // kiosk traffic comes in bursts (pg-pool closed idle ones after 10 s, to open them again).
      min: max,
      ...pgTimeoutConfig(options.timeouts),
    }),
  );
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  const db = new PgPrismaClient({ adapter }) as unknown as Db;
  setDirectSql(db, pgDirect(pool));
  return {
    db,
    provider,
    target: redactUrl(options.url),
    connectionString: options.url,
    close: () => db.$disconnect(),
    async warm() {
      const clients = await Promise.all(Array.from({ length: max }, () => pool.connect()));
      for (const c of clients) c.release();
    },
  };
}

/**
 * Per-connection settings that make SQLite behave under concurrent writers, and WAL checkpoints
 * moved off the serving connection (sqlite-checkpoints.ts: its own automatic checkpoint stays
 * only as a backstop).
 */
export async function tuneSqlite(handle: DbHandle): Promise<void> {
  if (handle.provider !== "sqlite") return;
  await handle.db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  await handle.db.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
  await handle.db.$queryRawUnsafe("PRAGMA foreign_keys = ON");
  await handle.db.$queryRawUnsafe(`PRAGMA wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
  handle.checkpoints?.start();
}

/**
 * An online, consistent copy of a SQLite database (better-sqlite3's backup API) while the server
 * keeps selling: pages are copied in steps, writers are never blocked for long. `destPath` must
 * not be the live file. Returns the pages copied.
 */
type SqliteBackupSource = {
  backup(destPath: string): Promise<{ totalPages: number; remainingPages: number }>;
  close(): void;
};
// better-sqlite3 (the driver under the Prisma adapter) ships no types of its own.
const SqliteDatabase = createRequire(import.meta.url)("better-sqlite3") as new (
  path: string,
  options?: { fileMustExist?: boolean },
) => SqliteBackupSource;

export async function backupSqlite(url: string, destPath: string, baseDir?: string): Promise<number> {
  const source = new SqliteDatabase(sqlitePath(url, baseDir), { fileMustExist: true });
  try {
    const r = await source.backup(destPath);
    return r.totalPages;
  } finally {
    source.close();
  }
}
