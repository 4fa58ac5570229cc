import pg from "pg";

/**
 * A pg error is the connection's (closed, refused, timed out client side, the server shutting
 * the session: SQLSTATE classes 08 and 57P) unless the server reported it against the statement
 * with a SQLSTATE, after which the session is ready for the next one.
 */
export function isConnectionLevel(error: unknown): boolean {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code !== "string" || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return code.startsWith("08") || code.startsWith("57P");
}

/**
 * Makes `pool.query` (what Prisma's adapter and the direct executor run their statements with,
 * outside transactions) give the connection back to the pool after a statement the database
 * refused. pg-pool's own `query` drops the connection on any error, and ours refuse statements
 * as part of their work: a duplicate idempotency key, a sold-out batch's miss, a deadlock
 * victim. Each drop cost a new session (a backend fork, a SCRAM handshake, the prepared
 * statements lost): ≈ 120 in a 24-second `proof:load`. A connection-level error still drops it.
 */
export function keepConnectionsOnStatementErrors(pool: pg.Pool): pg.Pool {
  const original = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  async function onClient(config: unknown, values: unknown): Promise<pg.QueryResult> {
    const client = await pool.connect();
    let broken: Error | undefined;
    // A checked-out client has no listener of the pool's: a connection lost meanwhile would be an
    // uncaught 'error' event (pg-pool's query listens the same way). The query rejects as well.
    const onError = (error: Error) => (broken = error);
    client.on("error", onError);
    try {
      return await client.query(config as pg.QueryConfig, values as unknown[] | undefined);
    } catch (error) {
      if (isConnectionLevel(error)) broken ??= error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      client.removeListener("error", onError);
      client.release(broken);
    }
  }
  pool.query = ((config: unknown, values?: unknown, callback?: unknown) => {
    // The callback and Submittable forms keep pg-pool's own code (nothing of ours uses them).
    const isSubmittable = typeof (config as { submit?: unknown } | null)?.submit === "function";
    if (typeof values === "function" || typeof callback === "function" || isSubmittable)
      return original(config, values, callback);
    return onClient(config, values);
  }) as typeof pool.query;
  return pool;
}
