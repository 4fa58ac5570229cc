/**
 * The worker's scheduled jobs: the stale-hold sweep (unpaid orders past their hold give their
 * places back) and the daily reconciliation of the previous gateway day. With `jobRuns` (every
 * app process has it) each runs once per period across the fleet as a JobRun row, so the
 * console shows its last run and outcome, and a period whose run failed is retried by whichever
 * worker ticks after `retryMs` (job-runs.ts). Without it (unit harnesses) both run every tick.
 */
import { addDays, dayInZone } from "@kiosk/db";
import type { Clock } from "../clock.ts";
import type { JobRuns } from "./job-runs.ts";
import type { OrderService } from "./order-service.ts";
import type { ReconciliationService } from "./reconciliation-service.ts";

export const HOLD_SWEEP_JOB = "stale_hold_sweep";
export const RECONCILIATION_JOB = "daily_reconciliation";
/** @default period of the stale-hold sweep */
export const DEFAULT_HOLD_SWEEP_MS = 10_000;

export interface ScheduledJobOptions {
  /** Daily reconciliation of the previous gateway day, at this hour in `reconcileZone`; off when absent. */
  reconcileAtHour?: number;
  /** @default "Asia/Shanghai" (Alipay's settlement day) */
  reconcileZone?: string;
  /** One stale-hold sweep per this period across the fleet (with `jobRuns`). @default 60 000 */
  holdSweepMs?: number;
}

/** The UTC start of the `periodMs`-long period holding `d` (`2026-03-01T02:10:00.000Z`). */
export const periodOf = (d: Date, periodMs: number): string =>
  new Date(Math.floor(d.getTime() / periodMs) * periodMs).toISOString();

export function createScheduledJobs(deps: {
  clock: Clock;
  orders: Pick<OrderService, "expireDue">;
  reconciliation?: Pick<ReconciliationService, "runScheduled">;
  jobRuns?: JobRuns;
  options?: ScheduledJobOptions;
}) {
  const { clock, orders, jobRuns } = deps;
  const options = deps.options ?? {};
  const holdSweepMs = options.holdSweepMs ?? DEFAULT_HOLD_SWEEP_MS;
  if (!Number.isInteger(holdSweepMs) || holdSweepMs < 1_000)
    throw new RangeError(`holdSweepMs must be a whole number of milliseconds ≥ 1000, got ${holdSweepMs}`);

  /** Expires unpaid orders past their hold; returns how many (0 when another worker has this period). */
  async function sweepHolds(): Promise<number> {
    if (!jobRuns) return orders.expireDue();
    const r = await jobRuns.runOnce(HOLD_SWEEP_JOB, periodOf(clock.now(), holdSweepMs), async () => ({
      expiredOrders: await orders.expireDue(),
    }));
    return r.ran ? r.result.expiredOrders : 0;
  }

  /**
   * Reconciles yesterday (in `reconcileZone`) once the reconcile hour has come; returns the day
   * when this call ran it. A run that failed is recorded as the job's `error` (and retried).
   */
  async function reconcileDaily(): Promise<string | null> {
    const { reconciliation } = deps;
    if (!reconciliation || options.reconcileAtHour === undefined) return null;
    const zone = options.reconcileZone ?? "Asia/Shanghai";
    const nowMs = clock.now().getTime();
    const hour = Number(
      new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", hourCycle: "h23" }).format(nowMs),
    );
    if (hour < options.reconcileAtHour) return null;
    const day = addDays(dayInZone(nowMs, zone), -1);
    const reconcile = async () => {
      const run = await reconciliation.runScheduled(day);
      if (!run) return null;
      if (run.state !== "completed") throw new Error(`reconciliation ${run.id} ${run.state}: ${run.error ?? ""}`);
      return { runId: run.id, state: run.state, matched: run.matchedCount, differences: run.differenceCount };
    };
    if (!jobRuns) return (await reconcile()) ? day : null;
    const r = await jobRuns.runOnce(RECONCILIATION_JOB, day, async () => (await reconcile()) ?? { runId: null });
    return r.ran && r.result.runId ? day : null;
  }

  return { sweepHolds, reconcileDaily, holdSweepMs };
}

export type ScheduledJobs = ReturnType<typeof createScheduledJobs>;
