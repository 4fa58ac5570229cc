/**
 * Scheduled pruning, so stored and in-memory data stop growing without bound: expired
 * idempotency records, audit rows and stored events past the retention, staff sessions dead
 * for a month, known devices unused for half a year, rate-limit buckets that refilled, and
 * scheduled-job runs finished two weeks ago.
 * Tick-driven like the payment worker (tests call `tick()` with a fake clock); `start()` runs
 * `scheduledTick()` on a real-time interval in every process that runs a worker: of a fleet,
 * one instance prunes per hour (JobRun "retention_pruning", job-runs.ts).
 */
import type { Db } from "@kiosk/db";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";
import type { AuditService } from "./audit-service.ts";
import type { IdempotencyService } from "./idempotency-service.ts";
import { hourPeriod, type JobRuns } from "./job-runs.ts";
import type { RateLimiter } from "./rate-limit.ts";
import { createTickLoop } from "./tick-loop.ts";

const DAY_MS = 86_400_000;
/** Revoked or expired sessions are kept this long (for the audit trail's session ids), then deleted. */
export const DEAD_SESSION_RETENTION_DAYS = 30;
/** A known device (login back-off bypass) not used for this long is forgotten. */
export const DEVICE_RETENTION_DAYS = 180;
export const DEFAULT_AUDIT_RETENTION_DAYS = 730;
/** Finished scheduled-job runs (JobRun rows; the hold sweep writes one a minute) are kept this long. */
export const JOB_RUN_RETENTION_DAYS = 14;

export interface MaintenanceReport {
  idempotencyPurged: number;
  auditPruned: number;
  sessionsPruned: number;
  devicesPruned: number;
  rateLimitBucketsPruned: number;
  jobRunsPruned: number;
}

export interface MaintenanceDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  audit: AuditService;
  idempotency: IdempotencyService;
  rateLimiter: RateLimiter;
  /** Once per hour across the fleet when given; else every tick. */
  jobRuns?: JobRuns;
  /** @default 730 */
  auditRetentionDays?: number;
  /** Real-time interval of `start()`. @default 10 minutes */
  intervalMs?: number;
}

export function createMaintenance(deps: MaintenanceDeps) {
  const { db, clock, log } = deps;
  const retentionMs = (deps.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS) * DAY_MS;

  async function tick(): Promise<MaintenanceReport> {
    const nowMs = clock.now().getTime();
    const idempotencyPurged = await deps.idempotency.purgeExpired();
    const auditPruned = await deps.audit.pruneOlderThan(new Date(nowMs - retentionMs));
    const deadBefore = new Date(nowMs - DEAD_SESSION_RETENTION_DAYS * DAY_MS);
    const sessions = await db.staffSession.deleteMany({
      where: { OR: [{ expiresAt: { lt: deadBefore } }, { revokedAt: { lt: deadBefore } }] },
    });
    const devices = await db.staffDevice.deleteMany({
      where: { lastUsedAt: { lt: new Date(nowMs - DEVICE_RETENTION_DAYS * DAY_MS) } },
    });
    const rateLimitBucketsPruned = await deps.rateLimiter.prune();
    const jobRuns = await db.jobRun.deleteMany({
      where: { finishedAt: { lt: new Date(nowMs - JOB_RUN_RETENTION_DAYS * DAY_MS) } },
    });
    const report = {
      idempotencyPurged,
      auditPruned,
      sessionsPruned: sessions.count,
      devicesPruned: devices.count,
      rateLimitBucketsPruned,
      jobRunsPruned: jobRuns.count,
    };
    if (Object.values(report).some((n) => n > 0)) log.info("maintenance pruned", { ...report });
    return report;
  }

  /** `tick()` once per UTC hour across the fleet (null: another instance has this hour). */
  async function scheduledTick(): Promise<MaintenanceReport | null> {
    if (!deps.jobRuns) return tick();
    const r = await deps.jobRuns.runOnce("retention_pruning", hourPeriod(clock.now()), async () => ({
      ...(await tick()),
    }));
    return r.ran ? (r.result as unknown as MaintenanceReport) : null;
  }

  /** Runs `scheduledTick()` now and then every `intervalMs` until `signal` aborts or `stop()` is called. */
  const { start, stop } = createTickLoop(scheduledTick, {
    intervalMs: deps.intervalMs ?? 10 * 60_000,
    unref: true,
    onError: (error) => log.error("maintenance tick failed", { error }),
  });

  return { tick, scheduledTick, start, stop };
}

export type Maintenance = ReturnType<typeof createMaintenance>;
