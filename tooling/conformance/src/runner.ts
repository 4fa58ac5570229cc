/**
 * Runs the conformance scenarios against one gateway through the server's own money path:
 * a throwaway SQLite database (migrated, demo seed), the money services exactly as the
 * composition root builds them, and an alipay-core client made from the same configuration
 * as the server's (app-services.ts), whose transport records every exchange and which talks
 * to the gateway through a tampering proxy (idle except in the tampered-response step).
 */
import { randomBytes } from "node:crypto";
import {
  createAlipayClient,
  FetchTransport,
  type AlipayClientConfig,
  type RefundPauseWindow,
} from "@kiosk/alipay-core";
import { scenarioCode } from "@kiosk/alipay-sandbox";
import { seed } from "@kiosk/db";
import { createTestDatabase } from "@kiosk/db/testing";
import { createMoneyServices } from "@kiosk/api/services/index.ts";
import { newId, silentLogger, type Actor, type MoneyLogger } from "@kiosk/api/services/money-deps.ts";
import { defaultRefundPauseWindow, resolveServerPaymentPolicy } from "@kiosk/api/services/payment-policy.ts";
import { memoryTicketKeys } from "@kiosk/api/services/ticket-keys.ts";
import { createExchangeRecorder } from "./recorder.ts";
import {
  ConformanceReportSchema,
  STEP_IDS,
  TERMINAL_STEP_IDS,
  summarise,
  type ConformanceReport,
  type Exchange,
  type StepId,
  type StepResult,
  type Target,
} from "@kiosk/api/conformance/report.ts";
import { ACTIVE_STATES, Checks, StepSkipped, skipReason, STEPS, type StepContext } from "./scenarios.ts";
import { detectOperatorSwitch } from "./operator-switch.ts";
import { PROOF_STEPS } from "./proof-steps.ts";
import { startTamperProxy } from "./tamper-proxy.ts";
import { startTerminalApi, TERMINAL_STEPS, type TerminalApi } from "./terminal-steps.ts";
import { checkQuerySchedule } from "./wire-checks.ts";
import type { ConformanceTimeline } from "./timeline.ts";

export type ConformanceProgress =
  | { type: "started"; runId: string; steps: { id: StepId; title: string }[] }
  | { type: "step_started"; id: StepId }
  | { type: "step_finished"; step: StepResult };

export interface RunConformanceOptions {
  /** The client configuration, as `alipayClientConfig(env)` builds it for the server. */
  gateway: AlipayClientConfig & { gatewayUrl: string };
  targetKind: Target["kind"];
  /**
   * `live`: never our sandbox. `sandbox`: the operator API is probed (`GET /sandbox/faults`);
   * only a gateway that has it is treated as our sandbox (scenario codes, operator switches).
   */
  env: Target["env"];
  /** Operator API base (`http://host:port`) of our sandbox; default: the gateway URL's origin. */
  sandboxUrl?: string;
  timeline: ConformanceTimeline;
  /** Merchant-provided codes per step for a live gateway (or to override a sandbox scenario code). */
  codes?: Partial<Record<StepId, string>>;
  /**
   * The server's one policy setting (`PAYMENT_DEADLINE_SECONDS`); the rest is the production
   * policy as is (`resolveServerPaymentPolicy`: first query 3.5 s after the pay, then every
   * 3.5 s, the production back-offs). @default the production deadline (60 s)
   */
  paymentDeadlineMs?: number;
  /**
   * The server's `ALIPAY_REFUND_PAUSE` (`env.alipay.refundPauseWindow`). @default Alipay's nightly
   * window on a live gateway, none on a sandbox (which refunds at any hour)
   */
  refundPauseWindow?: RefundPauseWindow | null;
  /** Run only these steps (in the standard order). */
  only?: StepId[];
  /** `terminal`: the terminal steps through the partner payment API (issue 18) instead of the kiosk path. */
  via?: "kiosk" | "terminal";
  onProgress?: (event: ConformanceProgress) => void;
  log?: MoneyLogger;
  runId?: string;
}

function merchantIdOf(gateway: AlipayClientConfig): string {
  if (gateway.protocol === "antom") return gateway.clientId;
  return gateway.protocol === "openapi" ? gateway.appId : gateway.partnerId;
}

export function targetOf(options: Pick<RunConformanceOptions, "gateway" | "targetKind" | "env">): Target {
  const g = options.gateway;
  return {
    kind: options.targetKind,
    env: options.env,
    protocol: g.protocol,
    signType: g.protocol === "antom" ? "RSA2" : (g.signType ?? "RSA2"),
    gatewayUrl: g.gatewayUrl,
    merchantId: merchantIdOf(g),
  };
}

export async function runConformance(options: RunConformanceOptions): Promise<ConformanceReport> {
  const { timeline } = options;
  const runId = options.runId ?? newId("conf");
  const startedAt = timeline.clock.now();
  const log = options.log ?? silentLogger;
  // The production policy, with the deadline the server would use: the validator must
  // behave as the server does, above all towards a live gateway.
  const policy = resolveServerPaymentPolicy({
    ...(options.paymentDeadlineMs === undefined ? {} : { paymentDeadlineMs: options.paymentDeadlineMs }),
    refundPauseWindow:
      options.refundPauseWindow !== undefined ? options.refundPauseWindow : defaultRefundPauseWindow(options.env),
  });
  const deadlineMs = policy.paymentDeadlineMs;
  const gatewayUrl = new URL(options.gateway.gatewayUrl);
  const sandbox =
    options.env === "sandbox" ? await detectOperatorSwitch(options.sandboxUrl ?? gatewayUrl.origin) : null;
  const isOurSandbox = sandbox !== null;
  const order: readonly StepId[] = [...STEP_IDS, ...TERMINAL_STEP_IDS];
  const steps = (options.via === "terminal" ? TERMINAL_STEPS : [...STEPS, ...PROOF_STEPS])
    .filter((s) => !options.only || options.only.includes(s.id))
    .sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  options.onProgress?.({
    type: "started",
    runId,
    steps: steps.map((s) => ({ id: s.id, title: s.title })),
  });

  const db = await createTestDatabase("sqlite");
  const proxy = await startTamperProxy({ gatewayOrigin: gatewayUrl.origin });
  let terminal: TerminalApi | null = null;
  try {
    const seeded = await seed(db.db, {
      now: startedAt,
      days: 2,
      adminPassword: randomBytes(16).toString("hex"),
      kioskPairingCode: randomBytes(4).toString("hex").toUpperCase(),
    });
    const recorder = createExchangeRecorder({
      inner: new FetchTransport(),
      now: () => timeline.clock.now().getTime(),
      displayUrl: (url) => url.replace(proxy.url, gatewayUrl.origin),
    });
    const proxied = `${proxy.url}${gatewayUrl.pathname}${gatewayUrl.search}`;
    // notify_url goes with every pay, as in production (Antom's spot.pay marks it Required;
    // issue 14). The run still follows its payments by query; the server acknowledges
    // notifications for trades it does not know (notify-service: unknown_trade) and changes nothing.
    const alipay = createAlipayClient({ ...options.gateway, gatewayUrl: proxied } as AlipayClientConfig, {
      transport: recorder.transport,
      hooks: recorder.hooks,
      clock: timeline.coreClock,
    });
    const services = createMoneyServices({
      db: db.db,
      provider: "sqlite",
      clock: timeline.clock,
      alipay,
      log,
      ticketKeys: memoryTicketKeys(seeded.createdTicketKeys),
      policy,
    });
    if (options.via === "terminal") terminal = await startTerminalApi(services);
    const attractionId = "attr_skyline";
    const kiosk: Actor = { type: "kiosk", id: seeded.kioskId, attractionId };
    const staff: Actor = { type: "staff", id: "staff_admin", role: "admin" };
    let stepPayments: string[] = [];
    let stepExchanges: Exchange[] = [];
    const collect = (): Exchange[] => {
      stepExchanges.push(...recorder.drain());
      return stepExchanges;
    };

    /**
     * Real time: the poll step. Simulated time: straight to the next action of an active
     * payment or unfinished refund (one step when one is due already, or none is known), so
     * the long waits of the production policy cost no loops.
     */
    const nextWaitMs = async (until: number): Promise<number> => {
      if (!timeline.isSimulated) return timeline.stepMs;
      const now = timeline.clock.now().getTime();
      const select = { nextActionAt: true } as const;
      const orderBy = { nextActionAt: "asc" } as const;
      const [payment, refund] = await Promise.all([
        db.db.payment.findFirst({
          where: { state: { in: ACTIVE_STATES }, nextActionAt: { not: null } },
          select,
          orderBy,
        }),
        db.db.refund.findFirst({
          where: {
            state: { notIn: ["succeeded", "failed", "needs_attention"] },
            nextActionAt: { not: null },
          },
          select,
          orderBy,
        }),
      ]);
      const next = Math.min(payment?.nextActionAt?.getTime() ?? Infinity, refund?.nextActionAt?.getTime() ?? Infinity);
      if (next === Infinity) return timeline.stepMs;
      return Math.max(timeline.stepMs, Math.min(next, until) - now);
    };

    const ctx: StepContext = {
      db: db.db,
      services,
      timeline,
      kiosk,
      staff,
      proxy,
      sandbox,
      paymentDeadlineMs: deadlineMs,
      protocol: options.gateway.protocol,
      shared: {},
      exchanges: collect,
      track: (id) => stepPayments.push(id),
      terminal,
      codeFor(step, scenario, parameter) {
        const given = options.codes?.[step];
        if (given) return given;
        if (!isOurSandbox) return null;
        return scenarioCode(scenario, {
          serial: randomBytes(4).readUInt32BE() % 100_000_000,
          ...(parameter !== undefined ? { parameter } : {}),
        });
      },
      async buy(code) {
        const now = timeline.clock.now();
        const slot = await db.db.slot.findFirst({
          where: { attractionId, kind: "day", endsAt: { gt: now } },
          orderBy: { startsAt: "asc" },
          select: { id: true },
        });
        if (!slot) throw new Error("The run database has no day slot for today");
        const order = await services.orders.create({
          actor: kiosk,
          lines: [{ ticketTypeId: "tt_skyline_flexi", slotId: slot.id, quantity: 1 }],
        });
        const payment = await services.payments.start({
          orderId: order.id,
          paymentCode: code,
          actor: kiosk,
        });
        return {
          orderId: order.id,
          paymentId: payment.id,
          state: payment.state,
        };
      },
      async settle(paymentId, maxMs = deadlineMs * 3) {
        const until = timeline.clock.now().getTime() + maxMs;
        for (;;) {
          const { state } = await db.db.payment.findUniqueOrThrow({
            where: { id: paymentId },
            select: { state: true },
          });
          if (!ACTIVE_STATES.includes(state) || timeline.clock.now().getTime() >= until) return state;
          await timeline.wait(await nextWaitMs(until));
          await services.worker.tick();
        }
      },
    };

    const results: StepResult[] = [];
    for (const step of steps) {
      options.onProgress?.({ type: "step_started", id: step.id });
      const t0 = timeline.clock.now().getTime();
      const checks = new Checks();
      stepPayments = [];
      stepExchanges = [];
      let status: StepResult["status"];
      let reason: string | undefined;
      const skip = skipReason(step, {
        isOurSandbox,
        hasCode: options.codes?.[step.id] !== undefined,
      });
      if (skip !== null) {
        status = "skipped";
        reason = skip;
      } else {
        try {
          await step.run(ctx, checks);
          checkQuerySchedule(ctx.exchanges(), checks);
          const failed = checks.list.find((c) => !c.ok);
          status = failed ? "failed" : "passed";
          if (failed) reason = `${failed.name}: ${failed.detail}`;
        } catch (error) {
          if (error instanceof StepSkipped) {
            status = "skipped";
            reason = error.message;
          } else {
            status = "failed";
            reason =
              `${error instanceof Error ? error.name : "Error"}: ${error instanceof Error ? error.message : String(error)}`.slice(
                0,
                500,
              );
            checks.add("step ran to the end", false, reason);
          }
        }
      }
      // Leave nothing running into the next step: its exchanges would be counted there.
      for (const id of stepPayments) await ctx.settle(id);
      const payments = await db.db.payment.findMany({
        where: { id: { in: stepPayments } },
        select: { id: true, partnerTransId: true, state: true },
      });
      const result: StepResult = {
        id: step.id,
        title: step.title,
        status,
        ...(reason !== undefined ? { reason } : {}),
        checks: checks.list,
        exchanges: collect(),
        payments,
        durationMs: Math.max(0, timeline.clock.now().getTime() - t0),
      };
      results.push(result);
      log.info("conformance step finished", {
        runId,
        step: step.id,
        status,
        reason,
      });
      options.onProgress?.({ type: "step_finished", step: result });
    }
    await services.worker.stop();
    return ConformanceReportSchema.parse({
      schemaVersion: 1,
      runId,
      startedAt: startedAt.toISOString(),
      finishedAt: timeline.clock.now().toISOString(),
      target: targetOf(options),
      summary: summarise(results),
      steps: results,
    });
  } finally {
    await terminal?.close();
    await proxy.close();
    await db.drop();
  }
}

export { STEP_IDS };
