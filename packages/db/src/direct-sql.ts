/**
 * A transaction of raw statements written straight to the driver, past the Prisma client
 * (issue 16: on the purchase's hot path the client and its query compiler cost ≈ 0.3–0.5 ms of
 * CPU per statement, more than SQLite itself). Only for writes whose SQL and values our code
 * builds (`Prisma.sql` templates: values are parameters, never text); reads and everything
 * else stay on Prisma.
 *
 * - **SQLite**: the same better-sqlite3 connection Prisma uses. The batch runs synchronously
 *   from BEGIN to COMMIT, so nothing else can slip into it; it waits for any interactive
 *   Prisma transaction on the connection to end (one lock for both: `startTransaction` of
 *   the adapter is wrapped). Prepared statements are cached.
 * - **PostgreSQL**: a connection from the same pool Prisma uses (BEGIN … COMMIT on it).
 *
 * Values are encoded as Prisma's adapters encode them (a `Date`: SQLite text `…+00:00`,
 * PostgreSQL `timestamp(3)` in UTC), so Prisma reads these rows as its own.
 *
 * Each statement may say how many rows it must change (`expect`); when one doesn't, the
 * batch is rolled back and `BatchMiss` thrown (the caller takes its general path).
 *
 * Never call it from inside a Prisma transaction's callback: it is another transaction (on
 * SQLite it would wait for the one it is called from to end, forever).
 */
import { createHash } from "node:crypto";
import type { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import pg from "pg";

const pgTypes = pg.types;
import { Prisma } from "./generated/sqlite/client.ts";

/**
 * One INSERT or UPDATE of a batch (no RETURNING, no CTE of its own). It must not read or
 * change a row another statement of the same batch writes: on PostgreSQL they run as one
 * statement with one snapshot (see pgDirect).
 */
export interface BatchStatement {
  sql: Prisma.Sql;
  /** Rows the statement must change; otherwise nothing of the batch is written. */
  expect?: number;
}

/** A statement of a batch changed another number of rows than it expected; nothing was written. */
export class BatchMiss extends Error {
  override readonly name = "BatchMiss";
  constructor(
    readonly index: number,
    readonly changed: number,
  ) {
    super(`Statement ${index} of the batch changed ${changed} rows`);
  }
}

export interface QueryOptions {
  /** Columns holding instants: `Date` (or null) in the rows answered. */
  dates?: readonly string[];
  /** Integer columns that fit a double (Prisma `Int`): `number` (or null) in the rows answered, on both. */
  ints?: readonly string[];
}

export interface DirectSql {
  /** The database behind it: a caller writing SQL only one of them speaks (data-modifying CTEs) checks. */
  readonly provider: "sqlite" | "postgresql";
  /** Runs the statements in one transaction, in order; returns the rows each changed. */
  batch(statements: readonly BatchStatement[]): Promise<number[]>;
  /**
   * One statement's rows (a SELECT, or a write with RETURNING), as the driver returns them,
   * except the columns named in `dates`, which come back as `Date` (or null) on both, and in
   * `ints`, which come back as `number` (or null) on both. Otherwise
   * SQLite gives integers as bigints and booleans as 0 / 1, PostgreSQL booleans as booleans:
   * the caller normalises what it selects. For the hottest reads of a request (a device's
   * credential, a rate-limit bucket, an order's tickets); the rest reads on Prisma.
   */
  query<T = Record<string, unknown>>(sql: Prisma.Sql, options?: QueryOptions): Promise<T[]>;
  /** Called with each statement sent to the database (BEGIN / COMMIT not included): a bench counts them. */
  onStatement: ((sql: string) => void) | null;
}

type SqlValue = unknown;

/** A small FIFO lock: the SQLite connection's transactions, Prisma's and ours, one at a time. */
class Lock {
  private tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    return ready;
  }
}

interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  all(...params: unknown[]): unknown[];
}
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  inTransaction: boolean;
}

function sqliteValue(v: SqlValue): unknown {
  if (v instanceof Date) return v.toISOString().replace("Z", "+00:00");
  if (typeof v === "boolean") return v ? 1 : 0;
  return v;
}

function pgValue(v: SqlValue): unknown {
  // timestamp(3) without time zone holds UTC (Prisma's convention); no offset is sent.
  if (v instanceof Date) return v.toISOString().replace("Z", "");
  return v;
}

const STATEMENT_CACHE = 500;

type AdapterFactory = PrismaBetterSQLite3;
type Adapter = Awaited<ReturnType<AdapterFactory["connect"]>>;

/**
 * Wraps the SQLite adapter factory so its connection and its transactions can be shared:
 * returns the factory to give Prisma and the direct executor on the same connection.
 * `connect` is how the executor makes Prisma open the connection if it has not yet.
 */
export function sqliteDirect(
  factory: AdapterFactory,
  connect: () => Promise<void>,
): { factory: AdapterFactory; direct: DirectSql } {
  const lock = new Lock();
  let adapter: Adapter | undefined;
  const wrapped = Object.create(factory) as AdapterFactory;
  wrapped.connect = async () => {
    const inner = await factory.connect();
    adapter = inner;
    return new Proxy(inner, {
      get(target, prop) {
        if (prop === "startTransaction") {
          return async (isolationLevel?: Parameters<Adapter["startTransaction"]>[0]) => {
            const release = await lock.acquire();
            try {
              const tx = await target.startTransaction(isolationLevel);
              const end = (f: () => Promise<void>) => async (): Promise<void> => {
                try {
                  await f();
                } finally {
                  release();
                }
              };
              tx.commit = end(tx.commit.bind(tx));
              tx.rollback = end(tx.rollback.bind(tx));
              return tx;
            } catch (error) {
              release();
              throw error;
            }
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  const cache = new Map<string, SqliteStatement>();
  const statementOf = (conn: SqliteConnection, sql: string): SqliteStatement => {
    let s = cache.get(sql);
    if (!s) {
      s = conn.prepare(sql);
      if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value!);
      cache.set(sql, s);
    }
    return s;
  };
  const direct: DirectSql = {
    provider: "sqlite",
    onStatement: null,
    async batch(statements) {
      if (!adapter) await connect();
      const conn = (adapter as unknown as { client: SqliteConnection }).client;
      const release = await lock.acquire();
      // From here to COMMIT nothing awaits: no other statement can run inside this transaction.
      try {
        statementOf(conn, "BEGIN").run();
        try {
          const changed = statements.map((s, i) => {
            const text = s.sql.sql; // built anew at each reading
            direct.onStatement?.(text);
            const n = statementOf(conn, text).run(...s.sql.values.map(sqliteValue)).changes;
            if (s.expect !== undefined && n !== s.expect) throw new BatchMiss(i, n);
            return n;
          });
          statementOf(conn, "COMMIT").run();
          return changed;
        } catch (error) {
          if (conn.inTransaction) statementOf(conn, "ROLLBACK").run();
          throw error;
        }
      } finally {
        release();
      }
    },
    async query<T>(sql: Prisma.Sql, options?: QueryOptions): Promise<T[]> {
      if (!adapter) await connect();
      const conn = (adapter as unknown as { client: SqliteConnection }).client;
      // Under the lock too: never inside (reading the uncommitted rows of) a Prisma transaction.
      const release = await lock.acquire();
      try {
        const text = sql.sql;
        direct.onStatement?.(text);
        const rows = statementOf(conn, text).all(...sql.values.map(sqliteValue)) as Record<string, unknown>[];
        // Instants are stored as text (Prisma's `…+00:00`), or as ms since the epoch if written so.
        for (const column of options?.dates ?? [])
          for (const row of rows) {
            const v = row[column];
            if (v !== null && v !== undefined)
              row[column] = new Date(typeof v === "bigint" ? Number(v) : (v as string));
          }
        for (const column of options?.ints ?? [])
          for (const row of rows) {
            const v = row[column];
            if (typeof v === "bigint") row[column] = Number(v);
          }
        return rows as T[];
      } finally {
        release();
      }
    },
  };
  return { factory: wrapped, direct };
}

/**
 * The direct executor on a PostgreSQL pool (the one the Prisma adapter was given). A batch is
 * ONE statement, one round trip: each of its statements a data-modifying CTE (`sN AS (… RETURNING
 * 1)`), the main query counting their rows. A single statement is atomic by itself, so no
 * BEGIN / COMMIT; an expectation that fails makes the main query raise (a cast of
 * `kiosk-batch-miss:<index>:<rows>` to int), which rolls back every CTE with it.
 * The statements of one batch see the same snapshot: none may read or change a row another
 * one writes (ours insert rows and change distinct rows; foreign keys are checked at the
 * statement's end, so a row may reference one inserted beside it).
 */
export function pgDirect(pool: pg.Pool): DirectSql {
  // At most as many statements in flight as the pool has connections: the rest wait here, in
  // order, rather than in the pool's queue, whose connect timeout is for a database that does
  // not answer, not for a busy moment (300 orders at once waited past it). Prisma's own
  // transactions wait for a connection up to 20 s (maxWait); so do these.
  const slots = new Semaphore(pool.options.max ?? 10, SLOT_WAIT_MS);
  const run = <R extends pg.QueryResultRow>(config: pg.QueryConfig) => slots.run(() => pool.query<R>(config));
  const direct: DirectSql = {
    provider: "postgresql",
    onStatement: null,
    async batch(statements) {
      const { text, values } = combinedStatement(statements);
      direct.onStatement?.(text);
      try {
        const r = await run<Record<string, number>>(
          Object.assign(preparedName(text), { text, values: values.map(pgValue) }),
        );
        const row = r.rows[0]!;
        return statements.map((_, i) => Number(row[`c${i}`]));
      } catch (error) {
        const m = /kiosk-batch-miss:(\d+):(\d+)/.exec(error instanceof Error ? error.message : "");
        if (m && (error as { code?: unknown }).code === "22P02") throw new BatchMiss(Number(m[1]), Number(m[2]));
        throw error;
      }
    },
    async query<T>(sql: Prisma.Sql): Promise<T[]> {
      const text = sql.text;
      direct.onStatement?.(text);
      // timestamp(3) holds UTC: parsed as such (pg's default reads it as local time).
      const r = await run(
        Object.assign(preparedName(text), { text, values: sql.values.map(pgValue), types: UTC_TIMESTAMPS }),
      );
      return r.rows as T[];
    },
  };
  return direct;
}

/** How long a direct statement waits for a free connection of the pool. */
const SLOT_WAIT_MS = 20_000;

/** Runs at most `size` tasks at once; the others wait in order, each at most `waitMs`. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    private readonly size: number,
    private readonly waitMs: number,
  ) {}

  async run<R>(task: () => Promise<R>): Promise<R> {
    // A finished task hands its slot straight to the next waiter (no one can take it between).
    if (this.active < this.size) this.active += 1;
    else await this.wait();
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }

  private wait(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const go = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(go);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new Error(`No database connection free for ${this.waitMs} ms (pool of ${this.size})`));
      }, this.waitMs);
      this.waiting.push(go);
    });
  }
}

/** pg's type parsers, with `timestamp` (without time zone, OID 1114) read as UTC. */
const TIMESTAMP_OID = 1114;
const UTC_TIMESTAMPS = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === TIMESTAMP_OID
      ? (text: string) => new Date(`${text.replace(" ", "T")}Z`)
      : pgTypes.getTypeParser(oid, format as "text")) as pg.CustomTypesConfig["getTypeParser"],
};

/** Statement texts that get a server-side prepared statement (each connection parses and plans once). */
const PREPARED_TEXTS = 1_000;
const preparedNames = new Map<string, string>();

/**
 * A name for the text, so PostgreSQL parses and plans it once per connection instead of on
 * every call (a batch's CTE is a large statement; our texts are few: they vary only with the
 * number of rows). Past PREPARED_TEXTS distinct texts, new ones run unnamed. A fresh object
 * each call: the caller adds the query's text and values to it (Object.assign, not a literal
 * that starts with a spread: tooling/lint/spread-rule.js).
 */
function preparedName(text: string): { name?: string } {
  let name = preparedNames.get(text);
  if (name === undefined) {
    if (preparedNames.size >= PREPARED_TEXTS) return {};
    name = `kiosk_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    preparedNames.set(text, name);
  }
  return { name };
}

/**
 * The batch as one statement of data-modifying CTEs (see pgDirect): its text and values, the
 * statements' placeholders renumbered in order. Assembled here rather than by nesting Prisma.Sql
 * (each nesting copies every statement's strings and values again: a sixth of what the server
 * allocated per purchase).
 */
export function combinedStatement(statements: readonly BatchStatement[]): { text: string; values: unknown[] } {
  if (statements.length === 0) throw new Error("An empty batch");
  const values: unknown[] = [];
  let text = "WITH ";
  for (const [i, { sql }] of statements.entries()) {
    text += `${i === 0 ? "" : ", "}s${i} AS (${sql.strings[0]}`;
    for (let j = 0; j < sql.values.length; j++) {
      values.push(sql.values[j]);
      text += `$${values.length}${sql.strings[j + 1]}`;
    }
    text += " RETURNING 1)";
  }
  return { text: `${text} SELECT ${countingTail(statements)}`, values };
}

/** The tails by their statements' count and expectations: a few shapes, built once each. */
const tails = new Map<string, string>();
const MAX_TAILS = 1_000;

/**
 * What follows `SELECT` in the combined statement: one aggregate over all the CTEs' rows, each
 * counted by its tag (until the thirteenth session each count was its own sub-select, and each
 * expectation counted its CTE twice more: a batch of eight statements planned and ran some
 * twenty aggregates; this way one, ≈ 0.025 ms less of PostgreSQL's CPU per statement).
 */
function countingTail(statements: readonly BatchStatement[]): string {
  const key = statements.map((s) => s.expect ?? "").join(",");
  let tail = tails.get(key);
  if (tail !== undefined) return tail;
  const tagged = statements.map((_, i) => `SELECT ${i} AS k FROM s${i}`).join(" UNION ALL ");
  const counts = statements.map((_, i) => `count(*) FILTER (WHERE k = ${i})::int AS c${i}`).join(", ");
  const checks = statements.flatMap((s, i) => {
    if (s.expect === undefined) return [];
    if (!Number.isSafeInteger(s.expect) || s.expect < 0) throw new Error(`Not a row count: ${s.expect}`);
    return [`WHEN c${i} <> ${s.expect} THEN CAST('kiosk-batch-miss:${i}:' || c${i} AS int)`];
  });
  const columns = statements.map((_, i) => `c${i}`).join(", ");
  const miss = checks.length > 0 ? `, CASE ${checks.join(" ")} ELSE 0 END AS miss` : "";
  tail = `${columns}${miss} FROM (SELECT ${counts} FROM (${tagged}) AS tagged) AS counted`;
  if (tails.size < MAX_TAILS) tails.set(key, tail);
  return tail;
}

const registry = new WeakMap<object, DirectSql>();

/** Remembers the direct executor of a client (createDb does; a test or bench may wrap one). */
export function setDirectSql(client: object, direct: DirectSql): void {
  registry.set(client, direct);
}

/** The client's direct executor, if it has one (an extended client has none unless set). */
export function directSqlOf(client: object): DirectSql | undefined {
  return registry.get(client);
}
