/**
 * Issue 19, item 3: scheduled work runs once per period across the fleet. Two instances (two
 * platform service sets, as two workers build them) on one database tick at the same moment:
 * retention pruning runs on exactly one per hour; a claim whose instance died is taken over
 * after the lease; a failed period is retried; the console query shows each job's last run.
 * SQLite, and PostgreSQL with TEST_DATABASE_URL. FakeClock; nothing sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, providersFor, type Harness } from "../__tests__/platform-harness.ts";
import { silentLogger } from "../log.ts";
import { createJobRuns, hourPeriod } from "./job-runs.ts";
import { createPlatformServices, type PlatformServices } from "./platform.ts";

const PG_URL = process.env.TEST_DATABASE_URL;

describe.each(providersFor(PG_URL))("scheduled jobs once per period across a fleet on %s", (provider) => {
  let h: Harness;
  let a: PlatformServices;
  let b: PlatformServices;
  beforeAll(async () => {
    h = await createHarness(provider, { pgUrl: PG_URL });
    const make = (instanceId: string) =>
      createPlatformServices({
        db: h.services.db,
        clock: h.clock,
        log: silentLogger,
        sessionTtlMinutes: 60,
        instanceId,
      });
    a = make("server-a:1");
    b = make("server-b:2");
  });
  afterAll(async () => {
    await h?.close();
  });

  it("two instances ticking together prune once per hour, and again the next hour", async () => {
    const first = await Promise.all([
      a.maintenance.scheduledTick(),
      b.maintenance.scheduledTick(),
      a.maintenance.scheduledTick(),
    ]);
    expect(first.filter((r) => r !== null)).toHaveLength(1);
    expect(await a.maintenance.scheduledTick()).toBeNull();
    expect(await h.services.db.jobRun.count({ where: { job: "retention_pruning" } })).toBe(1);
    h.clock.advance(3_600_000);
    const second = await Promise.all([b.maintenance.scheduledTick(), a.maintenance.scheduledTick()]);
    expect(second.filter((r) => r !== null)).toHaveLength(1);
    const rows = await h.services.db.jobRun.findMany({ where: { job: "retention_pruning" } });
    expect(rows.map((r) => r.outcome)).toEqual(["ok", "ok"]);
  });

  it("takes over a claim whose instance died after the lease, and retries a failed period", async () => {
    const jobs = (owner: string) =>
      createJobRuns({ db: h.services.db, clock: h.clock, log: silentLogger, owner, leaseMs: 60_000, retryMs: 120_000 });
    const period = hourPeriod(h.clock.now());
    expect(await jobs("dead:1").claim("stale_hold_sweep", period)).toBe(true); // and never finishes
    const live = jobs("live:2");
    expect(await live.runOnce("stale_hold_sweep", period, async () => ({ swept: 1 }))).toEqual({ ran: false });
    h.clock.advance(60_001);
    expect(await live.runOnce("stale_hold_sweep", period, async () => ({ swept: 2 }))).toEqual({
      ran: true,
      result: { swept: 2 },
    });

    await expect(
      live.runOnce("settlement_download", period, () => Promise.reject(new Error("gateway away"))),
    ).rejects.toThrow("gateway away");
    expect(await live.runOnce("settlement_download", period, async () => ({ files: 1 }))).toEqual({ ran: false });
    h.clock.advance(120_001);
    expect(await jobs("other:3").runOnce("settlement_download", period, async () => ({ files: 1 }))).toMatchObject({
      ran: true,
    });
  });

  it("shows each job's last run and outcome in the staff console", async () => {
    const viewer = await h.staffSession("viewer");
    const jobs = await h.caller({ sessionToken: viewer.token }).fleet.scheduledJobs();
    expect(jobs.find((j) => j.job === "retention_pruning")).toMatchObject({
      outcome: "ok",
      finishedAt: expect.any(Date),
    });
    expect(jobs.find((j) => j.job === "settlement_download")).toMatchObject({ outcome: "ok", owner: "other:3" });
  });

  it("prunes finished job runs past the retention (a sweep each minute must not grow the table forever)", async () => {
    const now = h.clock.now().getTime();
    const at = (daysAgo: number) => new Date(now - daysAgo * 86_400_000);
    await h.services.db.jobRun.createMany({
      data: [
        {
          job: "stale_hold_sweep",
          period: "old-done",
          owner: "x",
          startedAt: at(15),
          finishedAt: at(15),
          outcome: "ok",
        },
        { job: "stale_hold_sweep", period: "recent", owner: "x", startedAt: at(13), finishedAt: at(13), outcome: "ok" },
      ],
    });
    expect(await a.maintenance.tick()).toMatchObject({ jobRunsPruned: 1 });
    expect(await h.services.db.jobRun.count({ where: { period: { in: ["old-done", "recent"] } } })).toBe(1);
  });
});
