/**
 * Issue 19: the daily reconciliation and the stale-hold sweep are scheduled jobs that run once
 * per period across the fleet, each run a JobRun row (so the console shows its last run and
 * outcome). Two workers (two money service sets, as two worker processes build them) on one
 * database tick at the same moment. Real HTTP to the sandbox; FakeClock; nothing sleeps.
 * SQLite, and PostgreSQL with TEST_DATABASE_URL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../log.ts";
import {
  ADULT,
  DAY,
  KIOSK,
  PG_URL,
  SLOT_14,
  TEST_PAY_REQUEST_KEY,
  createHarness,
  type Harness,
} from "./__tests__/harness.ts";
import { createMoneyServices, type MoneyServices } from "./index.ts";
import { createJobRuns } from "./job-runs.ts";
import { memoryTicketKeys } from "./ticket-keys.ts";

const providers = PG_URL ? (["sqlite", "postgresql"] as const) : (["sqlite"] as const);
const HOLD_SWEEP_MS = 60_000;

describe.each(providers)("scheduled jobs across two workers on %s", (provider) => {
  let h: Harness;
  let workers: MoneyServices[];
  beforeAll(async () => {
    h = await createHarness(provider);
    workers = ["worker-a:1", "worker-b:2"].map((owner) =>
      createMoneyServices({
        db: h.db.db,
        provider,
        clock: h.clock,
        alipay: h.services.gateway,
        ticketKeys: memoryTicketKeys(h.ticketKeyPems),
        payRequestKey: TEST_PAY_REQUEST_KEY,
        instanceId: owner,
        jobRuns: createJobRuns({ db: h.db.db, clock: h.clock, log: silentLogger, owner }),
        worker: { reconcileAtHour: 10, holdSweepMs: HOLD_SWEEP_MS },
      }),
    );
  });
  afterAll(async () => {
    await h?.close();
  });

  const tickBoth = () => Promise.all(workers.map((w) => w.worker.tick()));
  const hold = () =>
    workers[0]!.orders.create({ actor: KIOSK, lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 1 }] });
  const orderState = async (id: string) => (await h.db.db.order.findUniqueOrThrow({ where: { id } })).state;

  it("sweeps stale holds once per period fleet-wide, each sweep a JobRun", async () => {
    const first = await hold();
    await h.advance(5 * 60_000 + 1);
    const reports = await tickBoth();
    expect(reports.map((r) => r.expiredOrders).sort()).toEqual([0, 1]);
    expect(await orderState(first.id)).toBe("expired");
    const runs = await h.db.db.jobRun.findMany({ where: { job: "stale_hold_sweep" } });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ outcome: "ok" });
    expect(JSON.parse(runs[0]!.details)).toMatchObject({ expiredOrders: 1 });

    // A sweep early in a period; the hold then expires within that period: nobody sweeps it
    // until the next period, when one worker does.
    const second = await hold();
    const expiresMs = (await h.db.db.order.findUniqueOrThrow({ where: { id: second.id } })).expiresAt!.getTime();
    const periodStart = Math.floor(expiresMs / HOLD_SWEEP_MS) * HOLD_SWEEP_MS;
    expect(expiresMs + 1).toBeLessThan(periodStart + HOLD_SWEEP_MS);
    h.clock.set(new Date(periodStart).toISOString());
    expect((await tickBoth()).map((r) => r.expiredOrders)).toEqual([0, 0]);
    h.clock.set(new Date(expiresMs + 1).toISOString());
    expect((await tickBoth()).map((r) => r.expiredOrders)).toEqual([0, 0]);
    expect(await orderState(second.id)).toBe("pending");
    h.clock.set(new Date(periodStart + HOLD_SWEEP_MS).toISOString());
    expect((await tickBoth()).map((r) => r.expiredOrders).sort()).toEqual([0, 1]);
    expect(await orderState(second.id)).toBe("expired");
    expect(await h.db.db.jobRun.count({ where: { job: "stale_hold_sweep", outcome: "ok" } })).toBe(3);
    expect(await h.db.db.capacityHold.count({ where: { state: "active" } })).toBe(0);
  });

  it("reconciles the previous Beijing day once across the fleet, recorded as a JobRun with its outcome", async () => {
    const b = await h.buy({ quantity: 1 });
    expect(await h.settle(b.paymentId)).toBe("PAID");
    const downloadsBefore = h.counts.settlement;
    // 2026-03-02 11:00 in Beijing: the reconcile hour (10) has passed, 2026-03-01 is due.
    h.clock.set("2026-03-02T03:00:00.000Z");
    await tickBoth();
    await tickBoth();
    const runs = await h.db.db.reconciliationRun.findMany({ where: { day: DAY, trigger: "schedule" } });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ state: "completed", matchedCount: 1, differenceCount: 0 });
    expect(h.counts.settlement - downloadsBefore).toBe(1);
    const jobs = await h.db.db.jobRun.findMany({ where: { job: "daily_reconciliation", period: DAY } });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ period: DAY, outcome: "ok" });
    expect(JSON.parse(jobs[0]!.details)).toMatchObject({ runId: runs[0]!.id, state: "completed", differences: 0 });
  });

  it("records a failed reconciliation as the job's error and retries the day after retryMs", async () => {
    let failures = 1;
    const flaky = createMoneyServices({
      db: h.db.db,
      provider,
      clock: h.clock,
      alipay: {
        ...h.services.gateway,
        downloadSettlement: (r, o) =>
          failures-- > 0 ? Promise.reject(new Error("bill not ready")) : h.services.gateway.downloadSettlement(r, o),
      },
      ticketKeys: memoryTicketKeys(h.ticketKeyPems),
      instanceId: "worker-c:3",
      jobRuns: createJobRuns({ db: h.db.db, clock: h.clock, log: silentLogger, owner: "worker-c:3", retryMs: 60_000 }),
      worker: { reconcileAtHour: 10 },
    });
    const day = "2026-03-02";
    h.clock.set("2026-03-03T03:00:00.000Z");
    expect((await flaky.worker.tick()).reconciled).toBeNull();
    expect(
      await h.db.db.jobRun.findUniqueOrThrow({ where: { job_period: { job: "daily_reconciliation", period: day } } }),
    ).toMatchObject({ outcome: "error" });
    expect((await flaky.worker.tick()).reconciled).toBeNull(); // not before retryMs
    h.clock.advance(60_001);
    expect((await flaky.worker.tick()).reconciled).toBe(day);
    const runs = await h.db.db.reconciliationRun.findMany({
      where: { day, trigger: "schedule" },
      orderBy: { startedAt: "asc" },
    });
    expect(runs.map((r) => r.state)).toEqual(["failed", "completed"]);
    expect(
      await h.db.db.jobRun.findUniqueOrThrow({ where: { job_period: { job: "daily_reconciliation", period: day } } }),
    ).toMatchObject({ outcome: "ok" });
  });
});
