import { createHash } from "node:crypto";
import { isUniqueViolation, type Db } from "@kiosk/db";
import superjson from "superjson";
import type { Clock } from "../clock.ts";
import { KioskError } from "../errors.ts";
import { newId } from "../ids.ts";
import type { Logger } from "../log.ts";
import { insertSql, type BatchStatement } from "./raw-sql.ts";

export const IDEMPOTENCY_TTL_HOURS = 24;
/**
 * A claim is `in_progress` with this lease (its expiresAt) until the answer is stored. A
 * process that crashed inside the handler leaves the claim behind; once the lease ends, a
 * retry takes the key over and runs again instead of getting CONFLICT for a day. Handlers
 * wrapped by `idempotent` finish in seconds; this is far above that.
 */
export const IDEMPOTENCY_IN_PROGRESS_LEASE_MS = 5 * 60_000;

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
 * - the first call failed: the claim is dropped, so a retry runs again;
 * - the first call's process died: its claim's lease ends after IDEMPOTENCY_IN_PROGRESS_LEASE_MS
 *   and a retry runs again.
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
          data: {
            id,
            scope: opts.scope,
            key: opts.key,
            requestHash: hash,
            state: "in_progress",
            createdAt: now,
            expiresAt: new Date(now.getTime() + IDEMPOTENCY_IN_PROGRESS_LEASE_MS),
          },
        });
        break;
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
      }
      const stored = await this.storedAnswer<TResult>(opts, hash, now, attempt);
      if (stored.kind === "replay") return stored.answer;
      if (stored.kind === "gone") continue;
      throw stored.refusal ?? new KioskError("CONFLICT", `Idempotency key ${opts.key} is contended; retry.`);
    }

    let result: TResult;
    try {
      result = await opts.execute();
    } catch (e) {
      await db.idempotencyRecord
        .deleteMany({ where: { id } })
        .catch((err: unknown) => this.deps.log.error("idempotency claim release failed", { error: err }));
      throw e;
    }
    const done = clock.now();
    const stored = await db.idempotencyRecord.updateMany({
      where: { id },
      data: {
        state: "completed",
        responseJson: superjson.stringify(result),
        expiresAt: new Date(done.getTime() + IDEMPOTENCY_TTL_HOURS * 3_600_000),
      },
    });
    if (stored.count !== 1)
      this.deps.log.warn("idempotency claim was taken over before the answer was stored", {
        scope: opts.scope,
        idempotencyKey: opts.key,
      });
    return result;
  }

  /**
   * The same guarantees for a handler that writes in ONE transaction and knows its answer before
   * it commits (booking create and confirm): `execute` gets `record(answer)`, the statement
   * storing the completed answer under the key, and must write it in that transaction. No claim
   * before and no answer after (two round trips fewer), and no moment at which the work is done
   * but the key not yet answered: a crash leaves either both or neither. A replay or a concurrent
   * duplicate fails that transaction on the key's unique index (or earlier, on its own checks:
   * "already confirmed") and gets the stored answer; a key reused for another request is a
   * CONFLICT; an error with no record under the key is the handler's own and is thrown as is.
   */
  async runInTransaction<TResult>(
    opts: Omit<IdempotentRun<TResult>, "execute"> & {
      /** `record(answer)` must be given the answer `execute` returns (it is what a replay gets). */
      execute: (record: (answer: unknown) => BatchStatement) => Promise<TResult>;
    },
  ): Promise<TResult> {
    const hash = requestHash(opts.request);
    for (let attempt = 0; ; attempt++) {
      const record = (answer: unknown): BatchStatement => {
        const now = this.deps.clock.now();
        return {
          sql: insertSql("IdempotencyRecord", [
            {
              id: newId("idm"),
              scope: opts.scope,
              key: opts.key,
              requestHash: hash,
              state: "completed",
              responseJson: superjson.stringify(answer),
              createdAt: now,
              expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_HOURS * 3_600_000),
            },
          ]),
          expect: 1,
        };
      };
      try {
        return await opts.execute(record);
      } catch (error) {
        const stored = await this.storedAnswer<TResult>(opts, hash, this.deps.clock.now(), attempt);
        if (stored.kind === "replay") return stored.answer;
        if (stored.kind === "gone" && stored.wasStale) continue;
        throw stored.kind === "refused" && stored.refusal ? stored.refusal : error;
      }
    }
  }

  /**
   * What the record under the key says to a request with `hash`: its stored answer (`replay`);
   * `gone` (none, or an expired answer or a claim whose lease ended, deleted now: `wasStale`;
   * the caller may run again, up to twice); or `refused` with the CONFLICT to throw (another
   * request's key, a claim still in progress; none after three attempts).
   */
  private async storedAnswer<TResult>(
    opts: Pick<IdempotentRun<TResult>, "scope" | "key">,
    hash: string,
    now: Date,
    attempt: number,
  ): Promise<
    | { kind: "replay"; answer: TResult }
    | { kind: "gone"; wasStale: boolean }
    | { kind: "refused"; refusal: KioskError | null }
  > {
    const { db } = this.deps;
    const existing = await db.idempotencyRecord.findUnique({
      where: { scope_key: { scope: opts.scope, key: opts.key } },
    });
    if (!existing) return attempt < 2 ? { kind: "gone", wasStale: false } : { kind: "refused", refusal: null };
    // Expired, or a claim whose lease ended (also claims written before leases, with a 24-hour expiry).
    const staleBefore = new Date(now.getTime() - IDEMPOTENCY_IN_PROGRESS_LEASE_MS);
    const isStaleClaim = existing.state === "in_progress" && existing.createdAt <= staleBefore;
    if ((existing.expiresAt <= now || isStaleClaim) && attempt < 2) {
      await db.idempotencyRecord.deleteMany({
        where: {
          id: existing.id,
          OR: [{ expiresAt: { lte: now } }, { state: "in_progress", createdAt: { lte: staleBefore } }],
        },
      });
      if (isStaleClaim)
        this.deps.log.warn("idempotency claim left in progress taken over", {
          scope: opts.scope,
          idempotencyKey: opts.key,
          claimedAt: existing.createdAt,
        });
      return { kind: "gone", wasStale: true };
    }
    if (existing.requestHash !== hash) {
      return {
        kind: "refused",
        refusal: new KioskError("CONFLICT", `Idempotency key ${opts.key} was already used for a different request.`, {
          details: { idempotencyKey: opts.key },
        }),
      };
    }
    if (existing.state === "completed" && existing.responseJson !== null) {
      this.deps.log.debug("idempotent replay", { scope: opts.scope, idempotencyKey: opts.key });
      return { kind: "replay", answer: superjson.parse<TResult>(existing.responseJson) };
    }
    const retryAfterSec = Math.max(
      1,
      Math.ceil(
        (Math.min(existing.expiresAt.getTime(), existing.createdAt.getTime() + IDEMPOTENCY_IN_PROGRESS_LEASE_MS) -
          now.getTime()) /
          1000,
      ),
    );
    return {
      kind: "refused",
      refusal: new KioskError(
        "CONFLICT",
        `A request with idempotency key ${opts.key} is still being processed; retry shortly.`,
        { details: { idempotencyKey: opts.key, isInProgress: true, retryAfterSec } },
      ),
    };
  }

  /** Deletes expired records; the worker calls this now and then. */
  async purgeExpired(): Promise<number> {
    const r = await this.deps.db.idempotencyRecord.deleteMany({ where: { expiresAt: { lte: this.deps.clock.now() } } });
    return r.count;
  }
}
