/**
 * Rate limits: a PostgreSQL store (table RateLimitBucket, one upsert statement per request) for
 * fleets, so every instance counts into the same budget whichever one answers; in memory
 * (`rate-limiter-flexible`'s `RateLimiterMemory`) for SQLite (one process).
 *
 * The database store was `rate-limiter-flexible`'s `RateLimiterPrisma` until issue 16's load
 * run: it reads and writes the bucket through Prisma model calls in a transaction, 4.4 ms of
 * CPU per request against 0.003 ms in memory — on every kiosk and booking call. The windows are
 * ours (the key names the window), so the store only has to add atomically: `bucketConsume`.
 *
 * A policy allows `capacity` requests per window of `capacity / refillPerSec` seconds (the
 * long-run rate is `refillPerSec`). Windows follow the injected clock: the window index is part
 * of the stored key, so tests move time with a FakeClock and nothing sleeps; the store's own
 * expiry (real time, twice the window plus a minute) only garbage-collects rows.
 *
 * Bounded: in memory at most `maxBuckets` keys (ended windows first, then the least recently
 * used); in the database every row expires and `prune()` (the maintenance job) deletes them.
 */
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { directSqlOf, Prisma, type Db } from "@kiosk/db";
import type { Clock } from "../clock.ts";
import { KioskError } from "../errors.ts";

export interface BucketPolicy {
  /** Requests allowed per window. */
  capacity: number;
  /** Long-run rate: the window is `capacity / refillPerSec` seconds. */
  refillPerSec: number;
}

export const RATE_LIMIT_POLICIES = {
  /** Pairing codes are short: 5 tries per 10 minutes, per IP. */
  kioskPairing: { capacity: 5, refillPerSec: 1 / 120 },
  /** Staff login: 10 tries per 5 minutes, per client address (per account: the login back-off in auth-service). */
  staffLogin: { capacity: 10, refillPerSec: 1 / 30 },
  /** Booking API: 60 per 6 s (10 per second sustained), per API client. */
  bookingApi: { capacity: 60, refillPerSec: 10 },
  /**
   * Kiosk device credential: 240 per 12 s (20 per second), per kiosk. A kiosk makes a few calls
   * per sale and a heartbeat; the load proof drives kiosks at machine speed (2–10 calls/s).
   */
  kioskDevice: { capacity: 240, refillPerSec: 20 },
} as const satisfies Record<string, BucketPolicy>;
export type RateLimitPolicyName = keyof typeof RATE_LIMIT_POLICIES;

export const DEFAULT_MAX_BUCKETS = 50_000;

/** `memory`: this process only (SQLite); `database`: shared by every instance on the database (PostgreSQL). */
export type RateLimitStore = "memory" | "database";

export function windowMsOf(policy: BucketPolicy): number {
  return Math.max(1, Math.round((policy.capacity / policy.refillPerSec) * 1000));
}

/** How long a database bucket row lives after its window's first request (it only garbage-collects). */
function bucketDurationSec(policy: BucketPolicy): number {
  return Math.ceil((2 * windowMsOf(policy)) / 1000) + 60;
}

/**
 * Adds `points` to a bucket in one statement and answers its new total; a bucket past its
 * `expire` starts again. Keys are `${prefix}:${key}` with the expiry `durationSec` after the
 * first request (real time: it only garbage-collects, see `prune`), as `RateLimiterPrisma` had it.
 */
export async function bucketConsume(db: Db, key: string, points: number, durationSec: number): Promise<number> {
  const now = new Date();
  const expire = new Date(now.getTime() + durationSec * 1000);
  const sql = bucketUpsertSql(Prisma.sql`VALUES (${key}, ${points}, ${expire})`, now);
  // Every kiosk and booking call pays this: past the Prisma client where the executor is (issue 16).
  const direct = directSqlOf(db);
  const rows = direct ? await direct.query<{ points: unknown }>(sql) : await db.$queryRaw<{ points: number }[]>(sql);
  return Number(rows[0]!.points);
}

/**
 * The bucket upsert of `bucketConsume` for rows `source` gives as ("key", "points", "expire") (a
 * VALUES list, or a SELECT: auth-service adds to a device's bucket in the statement that finds
 * the device). Answers each bucket's new total as "points".
 */
export function bucketUpsertSql(source: Prisma.Sql, now: Date): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO "RateLimitBucket" ("key", "points", "expire") ${source}
    ON CONFLICT ("key") DO UPDATE SET
      "points" = CASE WHEN "RateLimitBucket"."expire" <= ${now} THEN EXCLUDED."points"
                 ELSE "RateLimitBucket"."points" + EXCLUDED."points" END,
      "expire" = CASE WHEN "RateLimitBucket"."expire" <= ${now} THEN EXCLUDED."expire"
                 ELSE "RateLimitBucket"."expire" END
    RETURNING "points"`;
}

/**
 * One request's place in a policy's shared (database) bucket, for a caller whose own statement
 * names the bucket's key (`keyPrefix` + its id + `keySuffix`) and adds `points` with
 * `bucketUpsertSql`; `isOver(total)` and `refusal()` then decide as `consume` does.
 */
export interface SharedBucket {
  keyPrefix: string;
  keySuffix: string;
  points: number;
  now: Date;
  expire: Date;
  isOver(total: number): boolean;
  refusal(): KioskError;
}

/** The two calls `RateLimiter` makes of a limiter: rejecting with a `RateLimiterRes` when over. */
interface Limiter {
  consume(key: string, cost: number): Promise<unknown>;
  delete(key: string): Promise<unknown>;
}

function databaseLimiter(db: Db, opts: { keyPrefix: string; points: number; duration: number }): Limiter {
  return {
    async consume(key: string, cost: number) {
      const consumed = await bucketConsume(db, `${opts.keyPrefix}:${key}`, cost, opts.duration);
      if (consumed > opts.points) throw new RateLimiterRes(0, 0, consumed);
    },
    async delete(key: string) {
      await db.rateLimitBucket.deleteMany({ where: { key: `${opts.keyPrefix}:${key}` } });
    },
  };
}

export class RateLimiter {
  private readonly policies: Record<RateLimitPolicyName, BucketPolicy>;
  private readonly limiters = new Map<RateLimitPolicyName, Limiter>();
  private readonly maxBuckets: number;
  /** Memory store only: stored key → end of its window (clock ms), in use order. */
  private readonly memoryKeys = new Map<string, number>();

  constructor(
    private readonly deps: {
      clock: Clock;
      policies?: Partial<Record<RateLimitPolicyName, BucketPolicy>>;
      maxBuckets?: number;
      /** @default "memory" */
      store?: RateLimitStore;
      /** Required with store "database". */
      db?: Db;
    },
  ) {
    this.policies = Object.assign({}, RATE_LIMIT_POLICIES, deps.policies);
    this.maxBuckets = deps.maxBuckets ?? DEFAULT_MAX_BUCKETS;
    if (deps.store === "database" && !deps.db) throw new Error("RateLimiter: the database store needs `db`");
    for (const name of Object.keys(this.policies) as RateLimitPolicyName[]) {
      const policy = this.policies[name];
      const opts = {
        keyPrefix: name,
        points: policy.capacity,
        duration: bucketDurationSec(policy),
      };
      this.limiters.set(
        name,
        deps.store === "database" ? databaseLimiter(deps.db!, opts) : new RateLimiterMemory(opts),
      );
    }
  }

  get store(): RateLimitStore {
    return this.deps.store ?? "memory";
  }

  /** Keys held in memory now (0 with the database store: see `prune()`). */
  get size(): number {
    return this.memoryKeys.size;
  }

  /** Takes `cost` requests from the key's budget or throws TOO_MANY_REQUESTS with `retryAfterSec` in details. */
  async consume(policyName: RateLimitPolicyName, key: string, cost = 1): Promise<void> {
    const limiter = this.limiters.get(policyName)!;
    const { window, windowEndMs, nowMs } = this.windowOf(policyName);
    const storedKey = `${key}@${window}`;
    if (this.store === "memory") this.remember(`${policyName}:${storedKey}`, windowEndMs);
    try {
      await limiter.consume(storedKey, cost);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      throw tooMany(policyName, windowEndMs, nowMs);
    }
  }

  /**
   * With the database store on PostgreSQL's direct executor, this request's place in the
   * policy's bucket for a caller that adds to it in its own statement (a data-modifying CTE: one
   * round trip instead of two); undefined otherwise (then: `consume`). The key is the one
   * `consume(policyName, id, cost)` would use.
   */
  sharedBucket(policyName: RateLimitPolicyName, cost = 1): SharedBucket | undefined {
    if (this.store !== "database" || directSqlOf(this.deps.db!)?.provider !== "postgresql") return undefined;
    const { window, windowEndMs, nowMs } = this.windowOf(policyName);
    const now = new Date();
    const capacity = this.policies[policyName].capacity;
    return {
      keyPrefix: `${policyName}:`,
      keySuffix: `@${window}`,
      points: cost,
      now,
      expire: new Date(now.getTime() + bucketDurationSec(this.policies[policyName]) * 1000),
      isOver: (total) => total > capacity,
      refusal: () => tooMany(policyName, windowEndMs, nowMs),
    };
  }

  private windowOf(policyName: RateLimitPolicyName): { window: number; windowEndMs: number; nowMs: number } {
    const windowMs = windowMsOf(this.policies[policyName]);
    const nowMs = this.deps.clock.now().getTime();
    const window = Math.floor(nowMs / windowMs);
    return { window, windowEndMs: (window + 1) * windowMs, nowMs };
  }

  /** Drops what carries no state any more (ended windows; expired rows in the database); returns how many. */
  async prune(): Promise<number> {
    if (this.store === "database") {
      const r = await this.deps.db!.rateLimitBucket.deleteMany({ where: { expire: { lt: new Date() } } });
      return r.count;
    }
    const nowMs = this.deps.clock.now().getTime();
    let dropped = 0;
    for (const [id, endMs] of this.memoryKeys) {
      if (endMs <= nowMs) {
        this.forget(id);
        dropped += 1;
      }
    }
    return dropped;
  }

  private remember(id: string, windowEndMs: number): void {
    this.memoryKeys.delete(id);
    this.memoryKeys.set(id, windowEndMs);
    if (this.memoryKeys.size <= this.maxBuckets) return;
    // Over the bound: ended windows first, then the least recently used, down to 90 % of it.
    const nowMs = this.deps.clock.now().getTime();
    for (const [k, endMs] of this.memoryKeys) if (endMs <= nowMs) this.forget(k);
    const target = Math.floor(this.maxBuckets * 0.9);
    for (const k of this.memoryKeys.keys()) {
      if (this.memoryKeys.size <= target) break;
      if (k !== id) this.forget(k);
    }
  }

  private forget(id: string): void {
    this.memoryKeys.delete(id);
    const sep = id.indexOf(":");
    void this.limiters.get(id.slice(0, sep) as RateLimitPolicyName)?.delete(id.slice(sep + 1));
  }
}

function tooMany(policyName: RateLimitPolicyName, windowEndMs: number, nowMs: number): KioskError {
  const retryAfterSec = Math.max(1, Math.ceil((windowEndMs - nowMs) / 1000));
  return new KioskError("TOO_MANY_REQUESTS", `Too many requests (${policyName}); retry in ${retryAfterSec} s.`, {
    details: { retryAfterSec },
  });
}
