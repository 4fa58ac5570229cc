/**
 * The real `@kiosk/alipay-core` client against the real sandbox, over HTTP on 127.0.0.1.
 *
 * Matrix: {MAPI MD5, MAPI RSA, MAPI RSA2, OpenAPI RSA2} × every scenario in `SCENARIOS`, each
 * driven by `runPayment` (the pure payment machine + the in-memory driver) to its end and
 * cross-checked against the sandbox's own store (trade status, one trade per id, balances).
 * Then cancel / refund / settlement / notifications, and a tampered or forged answer for every
 * service, per row.
 *
 * Time: one manual clock shared by the sandbox and the client. The driver's `sleep` advances it
 * and calls `sandbox.tick()` (PIN waits, notifications) — no real sleeps. Only the slow-response
 * scenario uses a real (short) client time-out, since the sandbox delays that answer in real time.
 */
import { describe, expect, it } from "vitest";
import { type SandboxOptions } from "./sandbox.ts";
import { SCENARIOS, scenarioCode, type ScenarioId } from "./scenarios.ts";
import {
  ROWS,
  spelled,
  PIN_CONFIRM_SECONDS,
  PIN_REJECT_SECONDS,
  closeAfterEach,
  type Harness,
  setup,
  type Run,
  pay,
  tradesOf,
  onlyTrade,
  expectOnlyId,
  payRequests,
  expectCharged,
  expectNothingCharged,
  finalState,
  firstEventOfType,
} from "./__tests__/client-harness.ts";

closeAfterEach();

const SCENARIO_PARAMETER: Partial<Record<ScenarioId, number>> = {
  pin_wait_confirm: PIN_CONFIRM_SECONDS,
  pin_wait_reject: PIN_REJECT_SECONDS,
  slow_response: 2,
  system_error_no_trade: 2,
};

/** Per-scenario sandbox / client settings (only slow_response needs any). */
const SCENARIO_SETUP: Partial<Record<ScenarioId, { sandbox?: SandboxOptions; payTimeoutMs?: number }>> = {
  // 2 s × 0.5 = 1 s real delay; the client gives up after 150 ms (real time).
  slow_response: { sandbox: { slowResponseScale: 0.5 }, payTimeoutMs: 150 },
};

type ScenarioCheck = (h: Harness, run: Run) => void;

/** What each scenario must end in, per protocol. */
const EXPECTED: Record<ScenarioId, ScenarioCheck> = {
  success(h, run) {
    const state = finalState(run);
    expect(state.state).toBe("PAID");
    expect(run.commands).toEqual(["issue_tickets"]);
    expect(payRequests(h)).toHaveLength(1);
    expect(h.requests.filter((r) => r.operation === "query")).toHaveLength(0);
    const trade = onlyTrade(h, run.id);
    expect(state.alipayTransId).toBe(trade.tradeNo);
    expectCharged(h, trade);
  },
  insufficient_balance(h, run) {
    const state = finalState(run);
    expect(state).toMatchObject({
      state: "FAILED",
      failureReason: spelled(h.row, {
        mapi: "BUYER_BALANCE_NOT_ENOUGH",
        openapi: "ACQ.BUYER_BALANCE_NOT_ENOUGH",
        antom: "USER_BALANCE_NOT_ENOUGH",
      }),
    });
    expect(run.commands).toEqual(["release_hold"]);
    const trade = onlyTrade(h, run.id);
    expect(trade.status).toBe("TRADE_CLOSED");
    expect(trade.failureCode).toBe("BUYER_BALANCE_NOT_ENOUGH");
    expectNothingCharged(h, trade);
  },
  expired_code(h, run) {
    const state = finalState(run);
    expect(state).toMatchObject({
      state: "FAILED",
      failureReason: spelled(h.row, {
        mapi: "SOUNDWAVE_PARSER_FAIL",
        openapi: "ACQ.PAYMENT_AUTH_CODE_INVALID",
        antom: "INVALID_CODE",
      }),
    });
    expect(tradesOf(h, run.id)).toHaveLength(0);
    expectNothingCharged(h, undefined);
  },
  pin_wait_confirm(h, run) {
    const state = finalState(run);
    expect(state.state).toBe("PAID");
    const payEvent = firstEventOfType(run, "pay_result");
    // MAPI answers UNKNOW / ORDER_SUCCESS_PAY_INPROCESS (an unknown outcome, not a system
    // error: query, never resend); OpenAPI answers 10003 (waiting for the buyer).
    expect(payEvent?.event).toMatchObject({
      result:
        h.row.protocol === "mapi"
          ? {
              status: "unknown",
              reason: "ORDER_SUCCESS_PAY_INPROCESS",
              isSystemError: false,
            }
          : { status: "waiting_buyer" },
    });
    expect(payEvent?.to).toBe("POLLING");
    // Queries saw WAIT_BUYER_PAY until the buyer confirmed after N s of sandbox time.
    const queries = run.transitions.filter((t) => t.event.type === "query_result");
    expect(queries.length).toBeGreaterThan(1);
    expect(queries.at(-1)?.atMs).toBeGreaterThanOrEqual(state.createdAt + PIN_CONFIRM_SECONDS * 1000);
    expect(state.paidAt).toBe(state.createdAt + PIN_CONFIRM_SECONDS * 1000);
    expect(payRequests(h)).toHaveLength(1);
    const trade = onlyTrade(h, run.id);
    expectCharged(h, trade);
  },
  pin_wait_never(h, run) {
    const state = finalState(run);
    expect(state).toMatchObject({
      state: "CANCELLED",
      cancelReason: "deadline",
      cancelOutcome: "cancelled",
    });
    expect(h.clock.now()).toBeGreaterThanOrEqual(state.deadlineAt - 3_500);
    expect(payRequests(h)).toHaveLength(1);
    const trade = onlyTrade(h, run.id);
    expect(trade).toMatchObject({
      status: "TRADE_CLOSED",
      closeReason: "cancelled",
      cancelAction: "close",
    });
    expectNothingCharged(h, trade);
  },
  pin_wait_reject(h, run) {
    const state = finalState(run);
    expect(state).toMatchObject({ state: "FAILED", failureReason: "closed" });
    expect(run.commands).toEqual(["release_hold"]);
    const trade = onlyTrade(h, run.id);
    expect(trade).toMatchObject({
      status: "TRADE_CLOSED",
      closeReason: "buyer_rejected",
      closedAt: state.createdAt + PIN_REJECT_SECONDS * 1000,
    });
    expectNothingCharged(h, trade);
  },
  unknown_paid(h, run) {
    const state = finalState(run);
    expect(state.state).toBe("PAID");
    expect(firstEventOfType(run, "pay_result")?.event).toMatchObject({
      result: { status: "unknown" },
    });
    expect(firstEventOfType(run, "query_result")?.event).toMatchObject({
      result: { status: "paid" },
    });
    expect(payRequests(h)).toHaveLength(1);
    expectCharged(h, onlyTrade(h, run.id));
  },
  unknown_not_created(h, run) {
    const state = finalState(run);
    // UNKNOW (system error) → query: not found → pay again with the SAME id (max 2 resends),
    // then the deadline cancel finds nothing to charge (OpenAPI: 10000 without `action`).
    expect(state.state).toBe("CANCELLED");
    expect(state).toMatchObject({
      cancelReason: "deadline",
      cancelOutcome: "not_found",
    });
    expect(payRequests(h)).toHaveLength(3);
    expectOnlyId(h, run.id);
    expect(tradesOf(h, run.id)).toHaveLength(0);
    expectNothingCharged(h, undefined);
    if (h.row.protocol !== "mapi") expect(h.sandbox.store.isBlocked(h.merchantId, run.id)).toBe(true);
  },
  unknown_late_paid(h, run) {
    const state = finalState(run);
    // UNKNOW → queries find nothing (resends join the pay already in the gateway) → the
    // charge lands after 40 s and the next query finds it. Charged once.
    expect(state.state).toBe("PAID");
    expect(state.paidAt).toBe(state.createdAt + 40_000);
    expect(firstEventOfType(run, "query_result")?.event).toMatchObject({
      result: { status: "not_found" },
    });
    expectOnlyId(h, run.id);
    expectCharged(h, onlyTrade(h, run.id));
  },
  system_error(h, run) {
    const state = finalState(run);
    expect(state.state).toBe("PAID");
    // The first pay was charged although it answered SYSTEM_ERROR; the first query also
    // answered SYSTEM_ERROR; the second query found the payment. Never paid twice.
    const payEvent = firstEventOfType(run, "pay_result") ?? firstEventOfType(run, "pay_error");
    if (h.row.protocol === "mapi")
      expect(payEvent?.event).toMatchObject({
        type: "pay_error",
        error: { name: "AlipayGatewayError", reason: "SYSTEM_ERROR" },
      });
    else
      expect(payEvent?.event).toMatchObject({
        type: "pay_result",
        result: { status: "unknown", isSystemError: true },
      });
    expect(payEvent?.to).toBe("POLLING");
    expect(firstEventOfType(run, "query_error") ?? firstEventOfType(run, "query_result")).toMatchObject(
      h.row.protocol === "mapi"
        ? { event: { type: "query_error" } }
        : { event: { type: "query_result", result: { status: "unknown" } } },
    );
    expect(payRequests(h)).toHaveLength(1);
    expectOnlyId(h, run.id);
    expectCharged(h, onlyTrade(h, run.id));
  },
  system_error_no_trade(h, run) {
    const state = finalState(run);
    // pay → SYSTEM_ERROR, nothing recorded → query: not found → the same pay again, twice;
    // the third pay charges. One trade, charged once.
    expect(state.state).toBe("PAID");
    expect(payRequests(h)).toHaveLength(3);
    expectOnlyId(h, run.id);
    expectCharged(h, onlyTrade(h, run.id));
  },
  slow_response(h, run) {
    const state = finalState(run);
    expect(state.state).toBe("PAID");
    expect(firstEventOfType(run, "pay_error")?.event).toMatchObject({
      error: { name: "AlipayTimeoutError" },
    });
    expect(firstEventOfType(run, "query_result")?.event).toMatchObject({
      result: { status: "paid" },
    });
    expect(payRequests(h)).toHaveLength(1);
    expectCharged(h, onlyTrade(h, run.id));
  },
  dropped_connection(h, run) {
    const state = finalState(run);
    expect(state.state).toBe("PAID");
    expect(firstEventOfType(run, "pay_error")?.event).toMatchObject({
      error: { name: "AlipayNetworkError", mayHaveReachedGateway: true },
    });
    expect(payRequests(h)).toHaveLength(1);
    expectCharged(h, onlyTrade(h, run.id));
  },
  dropped_before_processing(h, run) {
    const state = finalState(run);
    // The connection died after the request was sent: the outcome is unknown, so the
    // machine only queries (no resend), and the deadline cancel finds no trade.
    expect(firstEventOfType(run, "pay_error")?.event).toMatchObject({
      error: { name: "AlipayNetworkError", mayHaveReachedGateway: true },
    });
    expect(state).toMatchObject({
      state: "CANCELLED",
      cancelReason: "deadline",
      cancelOutcome: "not_found",
    });
    expect(payRequests(h)).toHaveLength(1);
    expect(tradesOf(h, run.id)).toHaveLength(0);
    expectNothingCharged(h, undefined);
  },
  refund_delayed(h, run) {
    // Paying is plain success; the delay applies to refunds (describe "refund").
    expect(finalState(run).state).toBe("PAID");
    expectCharged(h, onlyTrade(h, run.id));
  },
  bad_signature(h, run) {
    const state = finalState(run);
    // The forged "SUCCESS" is never believed: the pay is an error and the machine polls;
    // the (correctly signed) query then finds the payment.
    const payError = firstEventOfType(run, "pay_error");
    expect(payError?.event).toMatchObject({
      error: { name: "AlipaySignatureError" },
    });
    expect(payError?.to).toBe("POLLING");
    expect(firstEventOfType(run, "pay_result")).toBeUndefined();
    expect(state.state).toBe("PAID");
    expect(firstEventOfType(run, "query_result")?.event).toMatchObject({
      result: { status: "paid" },
    });
    expectCharged(h, onlyTrade(h, run.id));
  },
};

describe.each(ROWS)("$name: client against the sandbox", (row) => {
  describe("every scenario, driven by runPayment", () => {
    it.each(SCENARIOS.map((s) => [s.id, s] as const))("%s", async (id) => {
      const parameter = SCENARIO_PARAMETER[id];
      const h = await setup(row, SCENARIO_SETUP[id] ?? {});
      const code = scenarioCode(id, parameter !== undefined ? { parameter } : {});
      const run = await pay(h, code, id);
      expectOnlyId(h, run.id);
      EXPECTED[id](h, run);
    });
  });
});
