import type { Clock } from "../clock.ts";
import { KioskError } from "../errors.ts";

export interface BucketPolicy {
  /** Bucket size: how many requests may come at once. */
  capacity: number;
  /** Tokens added per second. */
  refillPerSec: number;
}

export const RATE_LIMIT_POLICIES = {
  /** Pairing codes are short: 5 tries, then one every 2 minutes, per IP. */
  kioskPairing: { capacity: 5, refillPerSec: 1 / 120 },
  /** Staff login: 10 tries, then one every 30 s, per client address (per account: the login back-off in auth-service). */
  staffLogin: { capacity: 10, refillPerSec: 1 / 30 },
  /** Booking API: bursts of 60, 10 per second sustained, per API client. */
  bookingApi: { capacity: 60, refillPerSec: 10 },
  /**
   * Kiosk device credential: bursts of 240, 20 per second sustained, per kiosk. A kiosk makes a
   * few calls per sale and a heartbeat; the load proof drives kiosks at machine speed (2–10 calls/s).
   */
  kioskDevice: { capacity: 240, refillPerSec: 20 },
} as const satisfies Record<string, BucketPolicy>;
export type RateLimitPolicyName = keyof typeof RATE_LIMIT_POLICIES;

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export const DEFAULT_MAX_BUCKETS = 50_000;

/**
 * In-memory token buckets keyed by (policy, key). Per process: behind a load balancer
 * each instance limits on its own, which is fine for abuse protection (not quotas).
 * Bounded: at most `maxBuckets` buckets; beyond that, buckets that refilled are dropped
 * and then the least recently used ones (the Map keeps use order), so a flood of invented
 * keys costs memory up to the bound and never resets a key in active use before older ones.
 * `prune()` (the maintenance job) drops refilled buckets.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly policies: Record<RateLimitPolicyName, BucketPolicy>;
  private readonly maxBuckets: number;

  constructor(
    private readonly deps: {
      clock: Clock;
      policies?: Partial<Record<RateLimitPolicyName, BucketPolicy>>;
      maxBuckets?: number;
    },
  ) {
    this.policies = { ...RATE_LIMIT_POLICIES, ...deps.policies };
    this.maxBuckets = deps.maxBuckets ?? DEFAULT_MAX_BUCKETS;
  }

  /** Buckets held now. */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes `cost` tokens or throws TOO_MANY_REQUESTS with `retryAfterSec` in details. */
  consume(policyName: RateLimitPolicyName, key: string, cost = 1): void {
    const policy = this.policies[policyName];
    const nowMs = this.deps.clock.now().getTime();
    const id = `${policyName}\u0000${key}`;
    const b = this.buckets.get(id) ?? { tokens: policy.capacity, updatedMs: nowMs };
    b.tokens = Math.min(policy.capacity, b.tokens + (Math.max(0, nowMs - b.updatedMs) / 1000) * policy.refillPerSec);
    b.updatedMs = nowMs;
    this.buckets.delete(id);
    if (b.tokens < cost) {
      this.buckets.set(id, b);
      const retryAfterSec = Math.ceil((cost - b.tokens) / policy.refillPerSec);
      throw new KioskError("TOO_MANY_REQUESTS", `Too many requests (${policyName}); retry in ${retryAfterSec} s.`, {
        details: { retryAfterSec },
      });
    }
    b.tokens -= cost;
    this.buckets.set(id, b);
    if (this.buckets.size > this.maxBuckets) this.evict();
  }

  /** Drops buckets that have refilled completely (they carry no state); returns how many. */
  prune(): number {
    const nowMs = this.deps.clock.now().getTime();
    let dropped = 0;
    for (const [id, b] of this.buckets) {
      const policy = this.policies[id.slice(0, id.indexOf("\u0000")) as RateLimitPolicyName];
      if (b.tokens + ((nowMs - b.updatedMs) / 1000) * policy.refillPerSec >= policy.capacity) {
        this.buckets.delete(id);
        dropped += 1;
      }
    }
    return dropped;
  }

  /** Over the bound: refilled buckets first, then the least recently used, down to 90 % of it. */
  private evict(): void {
    this.prune();
    const target = Math.floor(this.maxBuckets * 0.9);
    for (const id of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(id);
    }
  }
}
