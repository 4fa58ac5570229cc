/**
 * The conformance steps through the partner payment API (issue 18, `--via terminal`): the run's
 * money services behind the partner API's own REST handler on 127.0.0.1, a registered terminal,
 * and every call a vendor's terminal makes over HTTP with its key (create with an
 * Idempotency-Key, get, cancel, refunds, receipt). The worker and the gateway exchanges are the
 * run's own, so each step is judged as the kiosk steps are: on what the server ended with and on
 * what went over the wire.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { MoneyServices } from "@kiosk/api/services/index.ts";
import { toNodeListener } from "@kiosk/api/node-http.ts";
import { partnerRequestHandler } from "@kiosk/api/partner/http.ts";
import type { TerminalPaymentView } from "@kiosk/api/partner/payments.ts";
import { Checks, requireCode, settleRefund, type StepContext, type StepDefinition } from "./scenarios.ts";

const ATTRACTION = "attr_skyline";
const AMOUNT = 1250;

interface Answer<T = TerminalPaymentView> {
  status: number;
  body: T;
  headers: Headers;
}

/** The partner API of the run, as a terminal sees it. */
export interface TerminalApi {
  call<T = TerminalPaymentView>(
    method: string,
    path: string,
    opts?: { body?: unknown; idem?: string },
  ): Promise<Answer<T>>;
  /** A create body for the run's terminal. */
  sale(paymentCode: string, amount?: number): Record<string, unknown>;
  /** Shared between steps: the instant payment and its request (replay and refund steps). */
  paid?: { id: string; request: Record<string, unknown>; idem: string };
  close(): Promise<void>;
}

export async function startTerminalApi(services: MoneyServices): Promise<TerminalApi> {
  const { key } = await services.partner.terminals.create({
    attractionId: ATTRACTION,
    storeId: "CONFORMANCE",
    terminalCode: "ECR-1",
    name: "Conformance terminal",
  });
  const origin = (): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const server: Server = createServer(
    toNodeListener(
      partnerRequestHandler(async () => services.partner),
      origin,
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  let serial = 0;
  return {
    async call(method, path, opts = {}) {
      const res = await fetch(`${origin()}/api/partner/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(opts.idem ? { "idempotency-key": opts.idem } : {}),
          ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as never, headers: res.headers };
    },
    sale: (paymentCode, amount = AMOUNT) => ({
      amount,
      currency: "SGD",
      paymentCode,
      reference: `CONF-${++serial}`,
      subject: "Conformance: terminal sale",
      storeId: "CONFORMANCE",
      terminalId: "ECR-1",
    }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function apiOf(ctx: StepContext): TerminalApi {
  if (!ctx.terminal) throw new Error("the terminal API is not running (--via terminal)");
  return ctx.terminal;
}

/** Creates a payment over the API and tracks its Alipay payment for the run's report. */
async function create(
  ctx: StepContext,
  checks: Checks,
  input: { code: string; idem: string; expectStatus: string },
): Promise<{ view: TerminalPaymentView; request: Record<string, unknown> }> {
  const api = apiOf(ctx);
  const request = api.sale(input.code);
  const answer = await api.call("POST", "/payments", { body: request, idem: input.idem });
  checks.equal("HTTP status of the create", answer.status, 201);
  checks.equal("status in the create's answer", answer.body.status, input.expectStatus);
  if (answer.body.paymentId) ctx.track(answer.body.paymentId);
  return { view: answer.body, request };
}

/** Drives the worker until the payment settles, then reads it as the terminal would. */
async function settled(ctx: StepContext, view: TerminalPaymentView): Promise<TerminalPaymentView> {
  if (view.paymentId) await ctx.settle(view.paymentId);
  return (await apiOf(ctx).call("GET", `/payments/${view.id}`)).body;
}

function signaturesVerified(ctx: StepContext, checks: Checks): void {
  const ex = ctx.exchanges();
  const verified = ex.filter((e) => e.signature === "verified").length;
  const failed = ex.filter((e) => e.signature === "failed").length;
  checks.add("response signatures verified", failed === 0 && verified > 0, `${verified} verified, ${failed} rejected`);
}

function operations(ctx: StepContext, operation: string): number {
  return ctx.exchanges().filter((e) => e.operation === operation).length;
}

export const TERMINAL_STEPS: StepDefinition[] = [
  {
    id: "terminal_pay",
    title: "Terminal: instant payment, succeeded in the create's answer, receipt data",
    async run(ctx, checks) {
      const code = requireCode(ctx, "terminal_pay", "success");
      const { view, request } = await create(ctx, checks, { code, idem: "conf-pay", expectStatus: "succeeded" });
      checks.equal("pay requests sent", operations(ctx, "pay"), 1);
      checks.add(
        "receipt with the Alipay trade number",
        view.receipt !== null && view.receipt.alipayTransId === view.alipayTransId && view.alipayTransId !== null,
        view.receipt ? `trade ${view.receipt.alipayTransId ?? "-"}` : "no receipt",
      );
      signaturesVerified(ctx, checks);
      if (view.status === "succeeded") apiOf(ctx).paid = { id: view.id, request, idem: "conf-pay" };
    },
  },
  {
    id: "terminal_replay",
    title: "Terminal: a lost answer retried with the same Idempotency-Key; another body refused",
    async run(ctx, checks) {
      const api = apiOf(ctx);
      const paid = api.paid;
      checks.add("a paid payment to replay", paid !== undefined, paid?.id ?? "terminal_pay did not succeed");
      if (!paid) return;
      const again = await api.call("POST", "/payments", { body: paid.request, idem: paid.idem });
      checks.equal("HTTP status of the replay", again.status, 200);
      checks.equal("Idempotent-Replayed header", again.headers.get("idempotent-replayed"), "true");
      checks.equal("the same payment", again.body.id, paid.id);
      const other = await api.call<{ error?: { code: string } }>("POST", "/payments", {
        body: { ...paid.request, amount: AMOUNT + 1 },
        idem: paid.idem,
      });
      checks.equal("another body with the key", other.status, 409);
      checks.equal("error code", other.body.error?.code, "idempotency_conflict");
      checks.equal("requests sent to Alipay", ctx.exchanges().length, 0);
    },
  },
  {
    id: "terminal_pin_confirm",
    title: "Terminal: PIN wait, processing at once, succeeded once the buyer confirms",
    async run(ctx, checks) {
      const code = requireCode(ctx, "terminal_pin_confirm", "pin_wait_confirm", 5);
      const { view } = await create(ctx, checks, { code, idem: "conf-pin", expectStatus: "processing" });
      const end = await settled(ctx, view);
      checks.equal("final status", end.status, "succeeded");
      const queries = ctx.exchanges().filter((e) => e.operation === "query");
      checks.add(
        "queried while the buyer entered the PIN",
        queries.some((e) => e.outcome === "waiting_buyer") && queries.some((e) => e.outcome === "paid"),
        queries.map((e) => e.outcome).join(", ") || "no queries",
      );
      signaturesVerified(ctx, checks);
    },
  },
  {
    id: "terminal_pin_never",
    title: "Terminal: the buyer walks away during the PIN wait; the terminal cancels",
    async run(ctx, checks) {
      const code = requireCode(ctx, "terminal_pin_never", "pin_wait_never");
      const { view } = await create(ctx, checks, { code, idem: "conf-walk", expectStatus: "processing" });
      const cancel = await apiOf(ctx).call("POST", `/payments/${view.id}/cancel`);
      checks.equal("HTTP status of the cancel", cancel.status, 200);
      const end = await settled(ctx, view);
      checks.equal("final status", end.status, "cancelled");
      checks.add(
        "cancelled at Alipay",
        operations(ctx, "cancel") > 0,
        `${operations(ctx, "cancel")} cancel request(s)`,
      );
      const twice = await apiOf(ctx).call("POST", `/payments/${view.id}/cancel`);
      checks.equal("a second cancel answers the same", twice.body.status, "cancelled");
    },
  },
  {
    id: "terminal_pin_reject",
    title: "Terminal: PIN wait, the buyer rejects: failed",
    async run(ctx, checks) {
      const code = requireCode(ctx, "terminal_pin_reject", "pin_wait_reject", 5);
      const { view } = await create(ctx, checks, { code, idem: "conf-reject", expectStatus: "processing" });
      const end = await settled(ctx, view);
      checks.equal("final status", end.status, "failed");
      checks.add("a failure reason", Boolean(end.failureReason), end.failureReason ?? "none");
      checks.equal("no receipt", end.receipt, null);
    },
  },
  {
    id: "terminal_decline",
    title: "Terminal: declined (insufficient balance) in the create's answer, no receipt",
    async run(ctx, checks) {
      const code = requireCode(ctx, "terminal_decline", "insufficient_balance");
      const { view } = await create(ctx, checks, { code, idem: "conf-decline", expectStatus: "failed" });
      checks.add("a failure reason", Boolean(view.failureReason), view.failureReason ?? "none");
      const receipt = await apiOf(ctx).call<{ error?: { code: string } }>("GET", `/payments/${view.id}/receipt`);
      checks.equal("receipt of a declined payment", receipt.status, 409);
      signaturesVerified(ctx, checks);
    },
  },
  {
    id: "terminal_refund",
    title: "Terminal: partial then full refund, each idempotent by its key",
    async run(ctx, checks) {
      const api = apiOf(ctx);
      const paid = api.paid;
      checks.add("a paid payment to refund", paid !== undefined, paid?.id ?? "terminal_pay did not succeed");
      if (!paid) return;
      type R = { refund: { id: string; amountMinor: number }; payment: TerminalPaymentView };
      const part = await api.call<R>("POST", `/payments/${paid.id}/refunds`, { body: { amount: 500 }, idem: "rf-1" });
      checks.equal("HTTP status of the partial refund", part.status, 200);
      if (part.body.payment.paymentId) {
        ctx.track(part.body.payment.paymentId);
        await settleRefund(ctx, part.body.payment.paymentId);
      }
      const replay = await api.call<R>("POST", `/payments/${paid.id}/refunds`, { body: { amount: 500 }, idem: "rf-1" });
      checks.equal("the same refund on a replay", replay.body.refund.id, part.body.refund.id);
      const rest = await api.call<R>("POST", `/payments/${paid.id}/refunds`, { body: {}, idem: "rf-2" });
      checks.equal("the rest refunded", rest.body.refund.amountMinor, AMOUNT - 500);
      if (rest.body.payment.paymentId) await settleRefund(ctx, rest.body.payment.paymentId);
      const end = (await api.call("GET", `/payments/${paid.id}`)).body;
      checks.equal("final status", end.status, "refunded");
      checks.equal("refunded amount", end.refundedAmount, AMOUNT);
      checks.equal("refund requests sent", operations(ctx, "refund"), 2);
      signaturesVerified(ctx, checks);
    },
  },
];
