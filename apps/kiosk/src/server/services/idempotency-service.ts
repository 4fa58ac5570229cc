import { createHash } from "node:crypto";
import { isUniqueViolation, type Db } from "@kiosk/db";
import superjson from "superjson";
import type { Clock } from "../clock.ts";
import { KioskError } from "../errors.ts";
import { newId } from "../ids.ts";
import type { Logger } from "../log.ts";

export const IDEMPOTENCY_TTL_HOURS = 24;

export interface IdempotentRun<TResult> {
  /** Who and what: e.g. "api_client:apc_1:booking.create". Keys are unique per scope. */
  scope: string;
  key: string;
  /** The request without the key; hashed (stable JSON) to detect a key reused for another request. */
  request: unknown;
  execute: () => Promise<TResult>;
}

/** JSON with object keys sorted, so equal requests hash equally whatever the key order. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(",")}}`;
}

export function requestHash(request: unknown): string {
  return createHash("sha256").update(stableStringify(request)).digest("hex");
}

/**
 * Exactly-once answers for retried mutations (Stripe-style idempotency keys),
 * stored in IdempotencyRecord so every server instance sees them:
 * - first call: claims (scope, key) with a unique insert, runs, stores the answer;
 * - replay with the same request: returns the stored answer without running again;
 * - same key, different request: CONFLICT;
 * - replay while the first call still runs: CONFLICT (retry later);
 * - the first call failed: the claim is dropped, so a retry runs again.
 */
export class IdempotencyService {
  constructor(private readonly deps: { db: Db; clock: Clock; log: Logger }) {}

  async run<TResult>(opts: IdempotentRun<TResult>): Promise<TResult> {
    const hash = requestHash(opts.request);
    const { db, clock } = this.deps;
    const id = newId("idm");
    for (let attempt = 0; ; attempt++) {
      const now = clock.now();
      try {
        await db.idempotencyRecord.create({
          data: { id, scope: opts.scope, key: opts.key, requestHash: hash, state: "in_progress", createdAt: now, expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_HOURS * 3_600_000) },
        });
        break;
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
      }
      const existing = await db.idempotencyRecord.findUnique({ where: { scope_key: { scope: opts.scope, key: opts.key } } });
      if (!existing) {
        if (attempt < 2) continue;
        throw new KioskError("CONFLICT", `Idempotency key ${opts.key} is contended; retry.`);
      }
      if (existing.expiresAt <= now && attempt < 2) {
        await db.idempotencyRecord.deleteMany({ where: { id: existing.id, expiresAt: { lte: now } } });
        continue;
      }
      if (existing.requestHash !== hash) {
        throw new KioskError("CONFLICT", `Idempotency key ${opts.key} was already used for a different request.`, { details: { idempotencyKey: opts.key } });
      }
      if (existing.state === "completed" && existing.responseJson !== null) {
        this.deps.log.debug("idempotent replay", { scope: opts.scope, idempotencyKey: opts.key });
        return superjson.parse<TResult>(existing.responseJson);
      }
      throw new KioskError("CONFLICT", `A request with idempotency key ${opts.key} is still being processed; retry shortly.`, { details: { idempotencyKey: opts.key, isInProgress: true } });
    }

    let result: TResult;
    try {
      result = await opts.execute();
    } catch (e) {
      await db.idempotencyRecord.deleteMany({ where: { id } }).catch((err: unknown) => this.deps.log.error("idempotency claim release failed", { error: err }));
      throw e;
    }
    await db.idempotencyRecord.update({ where: { id }, data: { state: "completed", responseJson: superjson.stringify(result) } });
    return result;
  }

  /** Deletes expired records; the worker calls this now and then. */
  async purgeExpired(): Promise<number> {
    const r = await this.deps.db.idempotencyRecord.deleteMany({ where: { expiresAt: { lte: this.deps.clock.now() } } });
    return r.count;
  }
}
