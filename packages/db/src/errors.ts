/**
 * True when a Prisma call failed on a unique constraint. Checked by code, not by class:
 * the SQLite and PostgreSQL clients each have their own error classes.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as { code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } };
  // P2002 from a model call; P2010 with the adapter's kind from a raw statement ($executeRaw).
  return (
    e.code === "P2002" ||
    (e.code === "P2010" && e.meta?.driverAdapterError?.cause?.kind === "UniqueConstraintViolation")
  );
}

/** True when an update/delete found no row (P2025). */
export function isRecordNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2025";
}
