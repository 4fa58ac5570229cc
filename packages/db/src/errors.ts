/** A Prisma error as these checks read it; a raw statement's (P2010) carries the driver's cause in `meta`. */
type PrismaErrorShape = {
  code?: unknown;
  cause?: { originalCode?: unknown; code?: unknown };
  meta?: { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } };
};

function shapeOf(error: unknown): PrismaErrorShape | null {
  return typeof error === "object" && error !== null ? (error as PrismaErrorShape) : null;
}

/**
 * True when a Prisma call failed on a unique constraint. Checked by code, not by class:
 * the SQLite and PostgreSQL clients each have their own error classes.
 */
export function isUniqueViolation(error: unknown): boolean {
  const e = shapeOf(error);
  // P2002 from a model call; P2010 with the adapter's kind from a raw statement ($executeRaw).
  // The driver's own code from a direct batch (direct-sql.ts): PostgreSQL 23505, SQLite's.
  return (
    e?.code === "P2002" ||
    (e?.code === "P2010" && e.meta?.driverAdapterError?.cause?.kind === "UniqueConstraintViolation") ||
    e?.code === "23505" ||
    e?.code === "SQLITE_CONSTRAINT_UNIQUE" ||
    e?.code === "SQLITE_CONSTRAINT_PRIMARYKEY"
  );
}

/**
 * PostgreSQL chose this transaction as a deadlock victim (40P01) or could not serialize it
 * (40001): it was rolled back whole, so running it again is safe.
 */
export function isRetryableConflict(error: unknown): boolean {
  const e = shapeOf(error);
  const codes = [e?.code, e?.cause?.originalCode, e?.cause?.code, e?.meta?.driverAdapterError?.cause?.originalCode];
  return codes.includes("40P01") || codes.includes("40001");
}

/** True when an update/delete found no row (P2025). */
export function isRecordNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2025";
}
