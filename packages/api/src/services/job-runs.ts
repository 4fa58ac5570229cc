/**
 * Scheduled work once per period across the fleet: a JobRun row (unique (job, period)) is the
 * claim. The instance whose insert wins runs the job and writes the outcome; the others skip.
 * A claim still `running` after `leaseMs` (its instance died) or an `error` older than `retryMs`
 * is taken over by a conditional update, so at most one instance holds it at a time. The staff
 * console shows each job's last run (`latest()`).
 */
import type { Db } from "@kiosk/db";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";

export type JobOutcome = "running" | "ok" | "error";

export interface JobRunView {
  job: string;
  period: string;
  owner: string;
  startedAt: Date;
  finishedAt: Date | null;
  outcome: JobOutcome;
  details: Record<string, unknown>;
}

export interface JobRunsDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  /** Who claims (host:pid), for the console. */
  owner: string;
  /** A `running` claim this old is dead and taken over. @default 15 minutes */
  leaseMs?: number;
  /** A failed period is tried again after this long. @default 10 minutes */
  retryMs?: number;
}

/** Periods: the UTC hour (`2026-03-01T02`) or day (`2026-03-01`) of a time. */
export const hourPeriod = (d: Date): string => d.toISOString().slice(0, 13);
export const dayPeriod = (d: Date): string => d.toISOString().slice(0, 10);

export function createJobRuns(deps: JobRunsDeps) {
  const { db, clock, log } = deps;
  const leaseMs = deps.leaseMs ?? 15 * 60_000;
  const retryMs = deps.retryMs ?? 10 * 60_000;

  async function claim(job: string, period: string): Promise<boolean> {
    const now = clock.now();
    try {
      await db.jobRun.create({ data: { job, period, owner: deps.owner, startedAt: now, outcome: "running" } });
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code !== "P2002") throw error;
    }
    const taken = await db.jobRun.updateMany({
      where: {
        job,
        period,
        OR: [
          { outcome: "running", startedAt: { lt: new Date(now.getTime() - leaseMs) } },
          { outcome: "error", finishedAt: { lt: new Date(now.getTime() - retryMs) } },
        ],
      },
      data: { owner: deps.owner, startedAt: now, finishedAt: null, outcome: "running", details: "{}" },
    });
    return taken.count === 1;
  }

  /**
   * Runs `fn` if this instance wins (job, period); returns whether it ran and its result.
   * A thrown error is recorded as outcome `error` (and rethrown).
   */
  async function runOnce<T extends Record<string, unknown>>(
    job: string,
    period: string,
    fn: () => Promise<T>,
  ): Promise<{ ran: false } | { ran: true; result: T }> {
    if (!(await claim(job, period))) return { ran: false };
    try {
      const result = await fn();
      await db.jobRun.updateMany({
        where: { job, period, owner: deps.owner },
        data: { outcome: "ok", finishedAt: clock.now(), details: JSON.stringify(result) },
      });
      return { ran: true, result };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await db.jobRun
        .updateMany({
          where: { job, period, owner: deps.owner },
          data: {
            outcome: "error",
            finishedAt: clock.now(),
            details: JSON.stringify({ error: message.slice(0, 500) }),
          },
        })
        .catch((e: unknown) => log.error("job outcome not recorded", { job, period, error: e }));
      throw error;
    }
  }

  /** The last run of each job, newest first. */
  async function latest(): Promise<JobRunView[]> {
    const jobs = await db.jobRun.findMany({ distinct: ["job"], select: { job: true } });
    const rows = await Promise.all(
      jobs.map(({ job }) => db.jobRun.findFirst({ where: { job }, orderBy: { startedAt: "desc" } })),
    );
    return rows
      .filter((r): r is NonNullable<typeof r> => r !== null)
      .map((r) =>
        Object.assign({}, r, {
          outcome: r.outcome as JobOutcome,
          details: JSON.parse(r.details) as Record<string, unknown>,
        }),
      )
      .sort((x, y) => y.startedAt.getTime() - x.startedAt.getTime());
  }

  return { claim, runOnce, latest };
}

export type JobRuns = ReturnType<typeof createJobRuns>;
