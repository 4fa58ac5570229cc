/**
 * True when a Prisma call failed on a unique constraint. Checked by code, not by class:
 * the SQLite and PostgreSQL clients each have their own error classes.
 */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

/** True when an update/delete found no row (P2025). */
export function isRecordNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2025";
}
