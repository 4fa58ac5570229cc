/**
 * The protocol scenarios, each driven through the server's money services (order → payment →
 * worker → tickets / refund / reconciliation) and judged by checks on what the server ended
 * with and on what went over the wire.
 */
import { scenarioCode, type ScenarioId } from "@kiosk/alipay-sandbox";
import { dayInZone, addDays, type Db } from "@kiosk/db";
import type { MoneyServices } from "@kiosk/api/services/index.ts";
import type { Actor } from "@kiosk/api/services/money-deps.ts";
import { SETTLEMENT_ZONE } from "@kiosk/api/services/reconciliation-service.ts";
import type { Check, Exchange, StepId } from "@kiosk/api/conformance/report.ts";
import type { ConformanceTimeline } from "./timeline.ts";
import type { SandboxControl } from "./operator-switch.ts";
import type { TamperProxy } from "./tamper-proxy.ts";
import type { TerminalApi } from "./terminal-steps.ts";
import { checkPayResends, isSystemErrorAnswer } from "./wire-checks.ts";

export const ACTIVE_STATES = ["SENDING", "POLLING", "CANCELLING", "REFUNDING"];

export interface StepContext {
  db: Db;
  services: MoneyServices;
  timeline: ConformanceTimeline;
  kiosk: Actor;
  staff: Actor;
  proxy: TamperProxy;
  /** Present when the gateway is our sandbox (own or configured): it has the operator switch. */
  sandbox: SandboxControl | null;
  /** The payment code for a step: a scenario code on a sandbox, a merchant's live test code, or null. */
  codeFor(step: StepId, scenario: ScenarioId, parameter?: number): string | null;
  /** Creates an order (one day pass) and starts its payment with `code`. */
  buy(code: string): Promise<{ orderId: string; paymentId: string; state: string }>;
  /** Drives the worker until the payment leaves the active states or `maxMs` passed. */
  settle(paymentId: string, maxMs?: number): Promise<string>;
  /** Exchanges recorded so far in this step. */
  exchanges(): Exchange[];
  paymentDeadlineMs: number;
  /** The gateway's protocol. */
  protocol: "mapi" | "openapi" | "antom";
  /** Shared between steps: the paid payment the refund steps use. */
  shared: { refundablePaymentId?: string; firstPaidAt?: Date };
  track(paymentId: string): void;
  /** The partner payment API as a terminal calls it (`--via terminal`, terminal-steps.ts); null otherwise. */
  terminal: TerminalApi | null;
}

export class Checks {
  readonly list: Check[] = [];
  add(name: string, ok: boolean, detail: string): boolean {
    this.list.push({ name, ok, detail });
    return ok;
  }
  equal(name: string, actual: unknown, expected: unknown): boolean {
    return this.add(name, actual === expected, `expected ${String(expected)}, got ${String(actual)}`);
  }
}

export class StepSkipped extends Error {
  override readonly name = "StepSkipped";
}

export interface StepDefinition {
  id: StepId;
  title: string;
  /**
   * `scenario`: needs behaviour only our sandbox's scenario codes give (UNKNOW, SYSTEM_ERROR),
   * or a merchant's code for it. `operator`: needs our sandbox's operator switch, whatever code.
   */
  needs?: "scenario" | "operator";
  run(ctx: StepContext, checks: Checks): Promise<void>;
}

/** Why the step cannot run against this gateway, or null when it can. */
export function skipReason(step: StepDefinition, gateway: { isOurSandbox: boolean; hasCode: boolean }): string | null {
  if (gateway.isOurSandbox) return null;
  if (step.needs === "operator")
    return "needs the sandbox: its operator switch (PUT /sandbox/faults) is not on this gateway";
  if (step.needs === "scenario" && !gateway.hasCode)
    return `needs the sandbox's scenario codes, or a test code for this gateway (--code ${step.id}=<code>)`;
  return null;
}

export function requireCode(ctx: StepContext, step: StepId, scenario: ScenarioId, parameter?: number): string {
  const code = ctx.codeFor(step, scenario, parameter);
  if (code === null) throw new StepSkipped(`needs a live test code for "${step}" (--code ${step}=<code>)`);
  return code;
}

function signatures(exchanges: Exchange[]): {
  verified: number;
  failed: number;
} {
  return {
    verified: exchanges.filter((e) => e.signature === "verified").length,
    failed: exchanges.filter((e) => e.signature === "failed").length,
  };
}

/** Every signed answer of the step verified, and none rejected. */
function checkSignatures(ctx: StepContext, checks: Checks): void {
  const s = signatures(ctx.exchanges());
  checks.add(
    "response signatures verified",
    s.failed === 0 && s.verified > 0,
    `${s.verified} verified, ${s.failed} rejected`,
  );
}

/** The latest time the server scheduled for the payment or its unfinished refunds (now at least). */
export async function scheduledUntil(ctx: StepContext, paymentId: string): Promise<number> {
  const now = ctx.timeline.clock.now().getTime();
  const [payment, refunds] = await Promise.all([
    ctx.db.payment.findUniqueOrThrow({
      where: { id: paymentId },
      select: { nextActionAt: true },
    }),
    ctx.db.refund.findMany({
      where: {
        paymentId,
        state: { notIn: ["succeeded", "failed", "needs_attention"] },
      },
      select: { nextActionAt: true },
    }),
  ]);
  return Math.max(now, ...[payment, ...refunds].map((r) => r.nextActionAt?.getTime() ?? now));
}

/**
 * Drives a payment with a refund until it settles, waiting also for whatever the server
 * scheduled for it: a refund held for a while (e.g. Alipay's night window) is production
 * behaviour, not a hang.
 */
export async function settleRefund(ctx: StepContext, paymentId: string): Promise<string> {
  const heldMs = (await scheduledUntil(ctx, paymentId)) - ctx.timeline.clock.now().getTime();
  return ctx.settle(paymentId, heldMs + ctx.paymentDeadlineMs * 3);
}

export async function ticketCount(ctx: StepContext, orderId: string): Promise<number> {
  return ctx.db.ticket.count({ where: { orderId, state: "valid" } });
}

async function paidFlow(
  ctx: StepContext,
  checks: Checks,
  input: {
    step: StepId;
    scenario: ScenarioId;
    parameter?: number;
    expectFirst?: string;
    /** The pay may be resent (SYSTEM_ERROR, no trade): judged by checkPayResends instead. */
    mayResend?: boolean;
  },
): Promise<string> {
  const code = requireCode(ctx, input.step, input.scenario, input.parameter);
  const { orderId, paymentId, state } = await ctx.buy(code);
  ctx.track(paymentId);
  if (input.expectFirst) checks.equal("state after the pay answer", state, input.expectFirst);
  const end = await ctx.settle(paymentId);
  checks.equal("payment state", end, "PAID");
  checks.add(
    "tickets issued once",
    (await ticketCount(ctx, orderId)) === 1,
    `${await ticketCount(ctx, orderId)} valid ticket(s) for a one-ticket order`,
  );
  const ops = ctx.exchanges();
  if (input.mayResend) checkPayResends(ops, checks);
  else checks.equal("pay requests sent", ops.filter((e) => e.operation === "pay").length, 1);
  if (end === "PAID") ctx.shared.firstPaidAt ??= ctx.timeline.clock.now();
  return paymentId;
}

/** The payment pay_success left PAID; the refund steps are skipped when pay_success had no code to run with. */
/** The payment pay_success left PAID, recorded as a check; undefined (check failed) when there is none. */
function refundablePayment(ctx: StepContext, checks: Checks): string | undefined {
  const id = ctx.shared.refundablePaymentId;
  if (id === undefined && ctx.codeFor("pay_success", "success") === null)
    throw new StepSkipped("needs a paid payment from pay_success, which had no live test code");
  checks.add("a paid payment to refund", id !== undefined, id ?? "pay_success did not end PAID");
  return id;
}

export const STEPS: StepDefinition[] = [
  {
    id: "pay_success",
    title: "Pay, instant success",
    async run(ctx, checks) {
      const paymentId = await paidFlow(ctx, checks, {
        step: "pay_success",
        scenario: "success",
        expectFirst: "PAID",
      });
      checkSignatures(ctx, checks);
      ctx.shared.refundablePaymentId = paymentId;
    },
  },
  {
    id: "pin_wait",
    title: "PIN wait, buyer confirms, worker queries until paid",
    async run(ctx, checks) {
      await paidFlow(ctx, checks, {
        step: "pin_wait",
        scenario: "pin_wait_confirm",
        // Confirmed between the first query (3.5 s) and the second (7 s).
        parameter: 5,
        expectFirst: "POLLING",
      });
      const queries = ctx.exchanges().filter((e) => e.operation === "query");
      checks.add(
        "queried while the buyer entered the PIN",
        queries.some((e) => e.outcome === "waiting_buyer") && queries.some((e) => e.outcome === "paid"),
        queries.map((e) => e.outcome).join(", ") || "no queries",
      );
      checkSignatures(ctx, checks);
    },
  },
  {
    id: "unknown_then_query",
    title: "UNKNOW on pay, then query finds it paid",
    needs: "scenario",
    async run(ctx, checks) {
      await paidFlow(ctx, checks, {
        step: "unknown_then_query",
        scenario: "unknown_paid",
        expectFirst: "POLLING",
      });
      const ex = ctx.exchanges();
      checks.add(
        "pay answered UNKNOW",
        ex.some((e) => e.operation === "pay" && e.outcome === "unknown"),
        ex
          .filter((e) => e.operation === "pay")
          .map((e) => e.outcome)
          .join(", "),
      );
      checks.add(
        "a query resolved it",
        ex.some((e) => e.operation === "query" && e.outcome === "paid"),
        `${ex.filter((e) => e.operation === "query").length} queries`,
      );
      checkSignatures(ctx, checks);
    },
  },
  {
    id: "system_error_retries",
    title: "SYSTEM_ERROR on pay: queried, the identical pay resent only where no trade exists",
    needs: "scenario",
    async run(ctx, checks) {
      // Our sandbox keeps the trade (one pay, then queries); a gateway that kept none is
      // answered by resending the identical pay: both are correct (checkPayResends).
      const paymentId = await paidFlow(ctx, checks, {
        step: "system_error_retries",
        scenario: "system_error",
        parameter: 2,
        mayResend: true,
      });
      const ex = ctx.exchanges();
      const systemErrors = ex.filter(isSystemErrorAnswer);
      checks.add(
        "SYSTEM_ERROR answers retried",
        systemErrors.length >= 2,
        `${systemErrors.length} SYSTEM_ERROR answer(s)`,
      );
      const payment = await ctx.db.payment.findUniqueOrThrow({
        where: { id: paymentId },
        select: { partnerTransId: true },
      });
      const ids = new Set(ex.map((e) => e.partnerTransId).filter((id) => id !== undefined));
      checks.add(
        "one partner_trans_id throughout",
        ids.size === 1 && ids.has(payment.partnerTransId),
        [...ids].join(", "),
      );
    },
  },
  {
    id: "timeout_then_cancel",
    title: "Buyer never confirms: deadline, then cancel",
    async run(ctx, checks) {
      const code = requireCode(ctx, "timeout_then_cancel", "pin_wait_never");
      const { orderId, paymentId, state } = await ctx.buy(code);
      ctx.track(paymentId);
      checks.equal("state after the pay answer", state, "POLLING");
      const end = await ctx.settle(paymentId, ctx.paymentDeadlineMs * 4);
      checks.equal("payment state", end, "CANCELLED");
      checks.equal("tickets issued", await ticketCount(ctx, orderId), 0);
      const order = await ctx.db.order.findUniqueOrThrow({
        where: { id: orderId },
        select: { state: true },
      });
      checks.equal("order state", order.state, "cancelled");
      const cancels = ctx.exchanges().filter((e) => e.operation === "cancel");
      checks.add(
        "cancel accepted",
        cancels.at(-1)?.outcome === "cancelled" || cancels.at(-1)?.outcome === "closed",
        cancels.map((e) => e.outcome).join(", ") || "no cancel sent",
      );
      checkSignatures(ctx, checks);
    },
  },
  {
    id: "cancel_retries",
    title: "Visitor cancels; cancel answers SYSTEM_ERROR twice, retried until accepted",
    needs: "operator",
    async run(ctx, checks) {
      const code = requireCode(ctx, "cancel_retries", "pin_wait_never");
      // Making cancels fail takes the sandbox's operator switch, whatever code a merchant gave.
      const sandbox = ctx.sandbox;
      if (!sandbox) throw new StepSkipped("needs the sandbox's operator switch");
      const { orderId, paymentId } = await ctx.buy(code);
      ctx.track(paymentId);
      await sandbox.setFaults({ cancelSystemErrorNext: 2 });
      try {
        await ctx.services.payments.cancel(paymentId, ctx.kiosk);
        const end = await ctx.settle(paymentId);
        checks.equal("payment state", end, "CANCELLED");
      } finally {
        await sandbox.setFaults({ cancelSystemErrorNext: 0 });
      }
      checks.equal("tickets issued", await ticketCount(ctx, orderId), 0);
      const cancels = ctx.exchanges().filter((e) => e.operation === "cancel");
      checks.add(
        "cancel retried after SYSTEM_ERROR",
        cancels.length >= 3 && cancels.slice(0, 2).every((e) => e.outcome === "error" || e.outcome === "retry"),
        cancels.map((e) => `${e.outcome}${e.reason ? ` ${e.reason}` : ""}`).join(", ") || "no cancel sent",
      );
      const ids = new Set(cancels.map((e) => e.partnerTransId));
      checks.equal("cancels name one trade", ids.size, 1);
    },
  },
  {
    id: "refund_partial",
    title: "Partial refund of a paid payment",
    async run(ctx, checks) {
      const paymentId = refundablePayment(ctx, checks);
      if (!paymentId) return;
      const before = await ctx.db.payment.findUniqueOrThrow({
        where: { id: paymentId },
        select: { amountMinor: true },
      });
      const amount = Math.max(1, Math.floor(before.amountMinor / 4));
      await ctx.services.refunds.request({
        paymentId,
        amountMinor: amount,
        reason: "conformance: partial refund",
        actor: ctx.staff,
      });
      const end = await settleRefund(ctx, paymentId);
      checks.equal("payment state", end, "PARTIALLY_REFUNDED");
      const refunds = await ctx.db.refund.findMany({
        where: { paymentId },
        select: { state: true, amountMinor: true },
      });
      checks.add(
        "refund succeeded for the amount asked",
        refunds.length === 1 && refunds[0]?.state === "succeeded" && refunds[0].amountMinor === amount,
        JSON.stringify(refunds),
      );
      checkSignatures(ctx, checks);
    },
  },
  {
    id: "refund_full",
    title: "Refund of the remaining amount",
    async run(ctx, checks) {
      const paymentId = refundablePayment(ctx, checks);
      if (!paymentId) return;
      await ctx.services.refunds.request({
        paymentId,
        reason: "conformance: full refund",
        actor: ctx.staff,
      });
      const end = await settleRefund(ctx, paymentId);
      checks.equal("payment state", end, "REFUNDED");
      const payment = await ctx.db.payment.findUniqueOrThrow({
        where: { id: paymentId },
        select: { amountMinor: true, orderId: true },
      });
      const refunded = await ctx.db.refund.aggregate({
        where: { paymentId, state: "succeeded" },
        _sum: { amountMinor: true },
      });
      checks.equal("refunded total equals the payment", refunded._sum.amountMinor ?? 0, payment.amountMinor);
      checks.equal("valid tickets left", await ticketCount(ctx, payment.orderId), 0);
      checkSignatures(ctx, checks);
    },
  },
  {
    id: "tampered_response",
    title: "Tampered pay answer rejected as a signature error, then recovered by query",
    async run(ctx, checks) {
      const code = requireCode(ctx, "tampered_response", "success");
      ctx.proxy.arm(1);
      const { orderId, paymentId, state } = await ctx.buy(code);
      ctx.track(paymentId);
      const first = ctx.exchanges().find((e) => e.operation === "pay");
      checks.add(
        "tampered answer rejected as a signature error",
        first?.signature === "failed" && first.errorName === "AlipaySignatureError",
        `signature ${first?.signature ?? "none"}, ${first?.errorName ?? first?.outcome ?? "no pay"}`,
      );
      checks.add("payment unresolved, not paid", state !== "PAID" && ACTIVE_STATES.includes(state), `state ${state}`);
      checks.equal("no tickets before recovery", await ticketCount(ctx, orderId), 0);
      const end = await ctx.settle(paymentId);
      checks.equal("recovered by query", end, "PAID");
      checks.equal("tickets issued once", await ticketCount(ctx, orderId), 1);
      checks.equal("pay requests sent", ctx.exchanges().filter((e) => e.operation === "pay").length, 1);
    },
  },
  {
    id: "settlement_download",
    title: "Settlement file download and reconciliation with the ledger",
    async run(ctx, checks) {
      let day: string;
      if (ctx.timeline.isSimulated) {
        // The run's own sandbox: move to the next Beijing day, then settle the day of the run.
        day = dayInZone((ctx.shared.firstPaidAt ?? ctx.timeline.clock.now()).getTime(), SETTLEMENT_ZONE);
        const nextDayStart = new Date(`${addDays(day, 1)}T00:30:00+08:00`).getTime();
        await ctx.timeline.wait(Math.max(0, nextDayStart - ctx.timeline.clock.now().getTime()));
      } else {
        day = addDays(dayInZone(ctx.timeline.clock.now().getTime(), SETTLEMENT_ZONE), -1);
      }
      const run = await ctx.services.reconciliation.run({
        day,
        trigger: "manual",
        actor: ctx.staff,
      });
      checks.add(
        "settlement downloaded and compared",
        run.state === "completed",
        `run ${run.state}${run.error ? `: ${run.error}` : ""} for ${day}`,
      );
      if (ctx.timeline.isSimulated) {
        const paid = await ctx.db.payment.count({
          where: { paidAt: { not: null } },
        });
        checks.add(
          "every payment of the day matched",
          run.differenceCount === 0 && run.matchedCount >= paid,
          `${run.matchedCount} matched, ${run.differenceCount} difference(s), ${paid} paid here`,
        );
      } else {
        checks.add(
          "differences listed (informational against a shared gateway)",
          true,
          `${run.matchedCount} matched, ${run.differenceCount} difference(s)`,
        );
      }
      if (ctx.protocol === "antom") {
        // Antom has no settlement API: the report is a file on its SFTP server (no HTTP exchange).
        checks.add(
          "settlement report read over SFTP",
          run.state === "completed" && run.matchedCount > 0,
          `${run.matchedCount} record(s) matched from the SFTP report`,
        );
        return;
      }
      const downloads = ctx.exchanges().filter((e) => e.operation === "settlement");
      checks.add(
        "settlement request answered",
        downloads.length > 0 && downloads.every((e) => e.response !== null && e.response.status === 200),
        downloads.map((e) => `HTTP ${e.response?.status ?? "none"}`).join(", ") || "no request",
      );
    },
  },
];
