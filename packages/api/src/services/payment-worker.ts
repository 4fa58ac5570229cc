/**
 * Drives every unfinished payment to an end: claims due payments with a lease (a conditional
 * UPDATE; on PostgreSQL the candidates are picked with FOR UPDATE SKIP LOCKED inside the same
 * statement), so N instances never act on one payment at once; expires unpaid holds; runs the
 * daily reconciliation (scheduled-jobs.ts: once per period across the fleet when given JobRuns).
 * Tick-driven: tests call `tick()` with a fake clock instead of sleeping.
 */
import type { DbProvider } from "@kiosk/db";
import { detectProvider, noopMetrics, silentLogger, type MoneyDeps } from "./money-deps.ts";
import type { OrderService } from "./order-service.ts";
import type { PaymentService } from "./payment-service.ts";
import type { ReconciliationService } from "./reconciliation-service.ts";
import { createScheduledJobs, type ScheduledJobOptions, type ScheduledJobs } from "./scheduled-jobs.ts";
import { createTickLoop } from "./tick-loop.ts";

export interface WorkerOptions extends ScheduledJobOptions {
  /** Most payments claimed per tick. @default 200 */
  batchSize?: number;
  /** Payments driven at once. @default 32 */
  concurrency?: number;
  /** Real-time interval of the loop started by `start()`. @default 500 */
  intervalMs?: number;
}

export interface TickReport {
  claimed: number;
  driven: number;
  errors: number;
  expiredOrders: number;
  reconciled: string | null;
}

export function createPaymentWorker(
  deps: Pick<MoneyDeps, "db" | "clock" | "log" | "metrics" | "provider"> & {
    payments: PaymentService;
    orders: OrderService;
    reconciliation?: ReconciliationService;
    /** The stale-hold sweep and daily reconciliation (built from `orders`/`reconciliation`, every tick, when absent). */
    scheduled?: ScheduledJobs;
    options?: WorkerOptions;
    /** Extra steps run at the end of every tick (the partner API's webhook outbox, issue 18). */
    afterTick?: () => Promise<unknown>;
  },
) {
  const { db, clock, payments, orders } = deps;
  const log = deps.log ?? silentLogger;
  const metrics = deps.metrics ?? noopMetrics;
  const options = deps.options ?? {};
  const batchSize = options.batchSize ?? 200;
  const concurrency = options.concurrency ?? 32;
  const owner = `${payments.instanceId}:worker`;
  const scheduled =
    deps.scheduled ??
    createScheduledJobs({
      clock,
      orders,
      ...(deps.reconciliation ? { reconciliation: deps.reconciliation } : {}),
      options,
    });
  let provider: DbProvider | undefined = deps.provider;
  let hasResumed = false;

  async function claimDue(): Promise<string[]> {
    provider ??= await detectProvider(db);
    const now = clock.now();
    const until = new Date(now.getTime() + payments.policy.leaseMs);
    return payments.store.claimDue(provider, owner, { now, until, limit: batchSize });
  }

  /**
   * Called once before the first tick: leases held by an earlier run of this same instance id
   * are from a process that is gone (it crashed mid-payment), so they are freed now instead of
   * waiting for them to time out. Returns the unfinished payments, SENDING rows included.
   */
  async function resume(): Promise<{ unfinished: number; sending: number; reclaimed: number }> {
    hasResumed = true;
    const prefix = `${payments.instanceId}:`;
    const reclaimed = await payments.store.releaseLeasesOf(prefix);
    const unfinished = await payments.store.countActive();
    const count = (state: string) => unfinished.get(state) ?? 0;
    const total = [...unfinished.values()].reduce((sum, n) => sum + n, 0);
    // A SENDING row without a live sender gets queried at once: the pay may or may not have
    // reached Alipay. The machine's `resume` says so (POLLING, query due now), written like any
    // transition, so the state JSON and its columns never part.
    const orphans = await payments.store.orphanedSending(clock.now());
    for (const id of orphans) await payments.apply(id, { type: "resume" }, { actor: { type: "system", id: owner } });
    log.info("payment worker resumed", { unfinished: total, sending: count("SENDING"), reclaimed });
    return { unfinished: total, sending: count("SENDING"), reclaimed };
  }

  async function tick(): Promise<TickReport> {
    if (!hasResumed) await resume();
    const ids = await claimDue();
    let driven = 0;
    let errors = 0;
    let next = 0;
    const lanes = Array.from({ length: Math.min(concurrency, ids.length) }, async () => {
      while (next < ids.length) {
        const id = ids[next++] as string;
        try {
          await payments.drive(id, owner);
          driven += 1;
        } catch (error) {
          errors += 1;
          log.error("payment step failed", {
            paymentId: id,
            error: error instanceof Error ? error.message : String(error),
          });
          await payments.store.releaseLease(id, owner).catch(() => undefined);
        }
      }
    });
    await Promise.all(lanes);
    const expiredOrders = await scheduled.sweepHolds();
    let reconciled: string | null = null;
    try {
      reconciled = await scheduled.reconcileDaily();
    } catch (error) {
      log.error("scheduled reconciliation failed", { error: error instanceof Error ? error.message : String(error) });
    }
    if (deps.afterTick)
      await deps
        .afterTick()
        .catch((error: unknown) =>
          log.error("worker after-tick step failed", { error: error instanceof Error ? error.message : String(error) }),
        );
    metrics.inc("kiosk_worker_ticks_total");
    if (ids.length > 0) metrics.inc("kiosk_worker_payments_driven_total", {}, driven);
    return { claimed: ids.length, driven, errors, expiredOrders, reconciled };
  }

  /** Runs `tick()` on a real-time interval until `signal` aborts or `stop()` is called. */
  const { start, stop } = createTickLoop(tick, {
    intervalMs: options.intervalMs ?? 500,
    onError: (error) => log.error("worker tick failed; backing off until a tick succeeds", { error }),
    onRecover: (info) => log.info("worker ticks succeed again", info),
  });

  return { tick, start, stop, resume, owner };
}

export type PaymentWorker = ReturnType<typeof createPaymentWorker>;
