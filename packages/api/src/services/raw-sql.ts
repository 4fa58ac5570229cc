/**
 * Statements the purchase's hot path writes without Prisma's query compiler (issue 16: compiling
 * the nested writes took ≈ 23 % of the server's CPU per purchase, the client around it another
 * 18 %). Values travel as parameters with the same encoding as Prisma's own writes (a `Date`
 * goes through the driver adapter exactly as Prisma sends it: SQLite text `…+00:00`, PostgreSQL
 * `timestamp(3)`), so Prisma reads, orders and compares these rows as its own. Table and column
 * names come from our code (typed row keys), never from input, and are checked anyway.
 *
 * What Prisma would add on its own must be given: `createdAt` on inserts and `updatedAt` on
 * updates (SQLite's column default would write another text format).
 */
import { BatchMiss, directSqlOf, Prisma, type BatchStatement, type Db } from "@kiosk/db";

export { BatchMiss, type BatchStatement };

/** Prisma's interactive transaction limits of the money path (re-exported by order-service). */
export const TX_OPTIONS = { maxWait: 20_000, timeout: 30_000 } as const;

/**
 * Runs the statements in one transaction on the client's direct executor (@kiosk/db
 * direct-sql.ts: past the Prisma client, on its connection), or, for a client without one
 * (an extended client in a test), in a Prisma transaction with the same checks. A statement
 * that changes another number of rows than its `expect` rolls the batch back: `BatchMiss`.
 */
export async function runBatch(db: Db, statements: readonly BatchStatement[]): Promise<number[]> {
  const direct = directSqlOf(db);
  if (direct) return direct.batch(statements);
  return db.$transaction((tx) => executeInTx(tx, statements), TX_OPTIONS);
}

/** The statements, in order, inside a Prisma transaction the caller runs, with `runBatch`'s checks. */
export async function executeInTx(
  tx: Prisma.TransactionClient,
  statements: readonly BatchStatement[],
): Promise<number[]> {
  const changed: number[] = [];
  for (const [i, s] of statements.entries()) {
    const n = await tx.$executeRaw(s.sql);
    if (s.expect !== undefined && n !== s.expect) throw new BatchMiss(i, n);
    changed.push(n);
  }
  return changed;
}

export type SqlValue = string | number | Date | null;
type Row = Readonly<Record<string, SqlValue | undefined>>;

/** Quoted names, checked once each: our tables and columns are few (≈ 25 KB of garbage per purchase made afresh). */
const idents = new Map<string, Prisma.Sql>();
const MAX_IDENTS = 1_000;

function ident(name: string): Prisma.Sql {
  let quoted = idents.get(name);
  if (quoted === undefined) {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw new Error(`Not a column or table name: ${name}`);
    quoted = Prisma.raw(`"${name}"`);
    if (idents.size < MAX_IDENTS) idents.set(name, quoted);
  }
  return quoted;
}

/** `INSERT INTO "table" (…) VALUES (…), (…)`: the columns of the first row (every row must have the same). */
export function insertSql(table: string, rows: readonly Row[]): Prisma.Sql {
  const first = rows[0];
  if (!first) throw new Error(`No rows to insert into ${table}`);
  const columns = Object.keys(first).filter((c) => first[c] !== undefined);
  if (columns.length === 0) throw new Error(`No columns to insert into ${table}`);
  const values: SqlValue[] = [];
  for (const r of rows) {
    // A row's defined values must all be columns of the first row: counted, not looked up.
    let defined = 0;
    for (const c in r) if (r[c] !== undefined) defined += 1;
    for (const c of columns) {
      const v = r[c];
      if (v !== undefined) defined -= 1;
      values.push(v ?? null);
    }
    if (defined > 0) {
      const extra = Object.keys(r).filter((c) => r[c] !== undefined && !columns.includes(c));
      throw new Error(`Rows for ${table} differ in their columns (${extra.join(", ")})`);
    }
  }
  return new Prisma.Sql(insertStrings(table, columns, rows.length), values);
}

/**
 * The literal parts of an insert of `rowCount` rows into these columns, made once per shape:
 * until the fourteenth session each insert nested a Prisma.Sql per row and per name, an eighth of
 * what the server allocated per purchase.
 */
const insertShapes = new Map<string, readonly string[]>();
const MAX_INSERT_SHAPES = 1_000;

function insertStrings(table: string, columns: readonly string[], rowCount: number): readonly string[] {
  const key = `${table} ${rowCount} ${columns.join(",")}`;
  let strings = insertShapes.get(key);
  if (strings === undefined) {
    const head = `INSERT INTO ${ident(table).sql} (${columns.map((c) => ident(c).sql).join(",")}) VALUES (`;
    const parts: string[] = [head];
    for (let r = 0; r < rowCount; r++)
      for (let c = 0; c < columns.length; c++) {
        if (c < columns.length - 1) parts.push(",");
        else parts.push(r < rowCount - 1 ? "),(" : ")");
      }
    strings = parts;
    if (insertShapes.size < MAX_INSERT_SHAPES) insertShapes.set(key, strings);
  }
  return strings;
}

/** `"a" = $1, "b" = $2` for the defined values of `set` (undefined: left as is). */
export function setSql(set: Row): Prisma.Sql {
  const entries = Object.entries(set).filter(([, v]) => v !== undefined);
  if (entries.length === 0) throw new Error("Nothing to set");
  return Prisma.join(
    entries.map(([c, v]) => Prisma.sql`${ident(c)} = ${v ?? null}`),
    ", ",
  );
}
