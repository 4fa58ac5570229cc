import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Db, ScryptParams } from "@kiosk/db";
import { AuthService } from "../auth/auth-service.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import { createKioskMetrics, type KioskMetrics } from "../metrics.ts";
import { AuditService } from "./audit-service.ts";
import { BridgeTokenService } from "./bridge-tokens.ts";
import { EventsService } from "./events-service.ts";
import { FleetService } from "./fleet-service.ts";
import { IdempotencyService } from "./idempotency-service.ts";
import { createJobRuns, type JobRuns } from "./job-runs.ts";
import { createMaintenance, type Maintenance } from "./maintenance.ts";
import { RateLimiter, type BucketPolicy, type RateLimitPolicyName, type RateLimitStore } from "./rate-limit.ts";

export interface PlatformDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  metrics?: KioskMetrics;
  sessionTtlMinutes: number;
  /** Absolute staff session lifetime. @default 12 */
  sessionMaxHours?: number;
  /** scrypt parameters for new password hashes. @default PASSWORD_HASH_PARAMS (OWASP) */
  passwordParams?: ScryptParams;
  /** Password checks that may wait for a hashing slot (2 run at once). @default 16 */
  passwordQueueLimit?: number;
  /** Audit rows and stored events older than this are pruned. @default 730 */
  auditRetentionDays?: number;
  onlineWindowSec?: number;
  eventsPollIntervalMs?: number;
  rateLimitPolicies?: Partial<Record<RateLimitPolicyName, BucketPolicy>>;
  /** "database" on PostgreSQL (one budget for the whole fleet), "memory" on SQLite. @default "memory" */
  rateLimitStore?: RateLimitStore;
  /** Who claims scheduled jobs (JobRun.owner). @default "<hostname>:<pid>" */
  instanceId?: string;
  /** The server's bridge-token key (bridge-tokens.ts); a random per-process key when absent (tests). */
  bridgeTokenKey?: Buffer;
}

/** The services this platform layer owns; the money services receive all of them. */
export interface PlatformServices {
  db: Db;
  clock: Clock;
  log: Logger;
  metrics: KioskMetrics;
  audit: AuditService;
  auth: AuthService;
  events: EventsService;
  fleet: FleetService;
  idempotency: IdempotencyService;
  rateLimiter: RateLimiter;
  /** Scheduled pruning (idempotency, audit retention, sessions, devices, rate-limit buckets). */
  maintenance: Maintenance;
  /** Scheduled work once per period across the fleet, and its last runs (job-runs.ts). */
  jobRuns: JobRuns;
  bridgeTokens: BridgeTokenService;
}

export function createPlatformServices(deps: PlatformDeps): PlatformServices {
  const { db, clock, log } = deps;
  const metrics = deps.metrics ?? createKioskMetrics();
  const audit = new AuditService({ db, clock, log: log.child({ ns: "audit" }) });
  const auth = new AuthService({
    db,
    clock,
    log: log.child({ ns: "auth" }),
    audit,
    sessionTtlMinutes: deps.sessionTtlMinutes,
    ...(deps.sessionMaxHours === undefined ? {} : { sessionMaxHours: deps.sessionMaxHours }),
    passwords: Object.assign(
      {},
      deps.passwordParams ? { params: deps.passwordParams } : {},
      deps.passwordQueueLimit === undefined ? {} : { queueLimit: deps.passwordQueueLimit },
    ),
  });
  const events = new EventsService({
    db,
    clock,
    log: log.child({ ns: "events" }),
    metrics,
    pollIntervalMs: deps.eventsPollIntervalMs,
  });
  const fleet = new FleetService({
    db,
    clock,
    log: log.child({ ns: "fleet" }),
    audit,
    auth,
    events,
    metrics,
    onlineWindowSec: deps.onlineWindowSec,
  });
  const idempotency = new IdempotencyService({ db, clock, log: log.child({ ns: "idempotency" }) });
  const rateLimiter = new RateLimiter({
    clock,
    policies: deps.rateLimitPolicies,
    store: deps.rateLimitStore ?? "memory",
    db,
  });
  const jobRuns = createJobRuns({
    db,
    clock,
    log: log.child({ ns: "jobs" }),
    owner: deps.instanceId ?? `${hostname()}:${process.pid}`,
  });
  const maintenance = createMaintenance({
    jobRuns,
    db,
    clock,
    log: log.child({ ns: "maintenance" }),
    audit,
    idempotency,
    rateLimiter,
    ...(deps.auditRetentionDays === undefined ? {} : { auditRetentionDays: deps.auditRetentionDays }),
  });
  const bridgeTokens = new BridgeTokenService({ db, clock, audit, key: deps.bridgeTokenKey ?? randomBytes(32) });
  return {
    db,
    clock,
    log,
    metrics,
    audit,
    auth,
    events,
    fleet,
    idempotency,
    rateLimiter,
    maintenance,
    jobRuns,
    bridgeTokens,
  };
}
