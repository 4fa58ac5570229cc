import { FakeClock } from "./testing/index.ts";
import { describe, expect, it } from "vitest";
import {
  AlipayConfigError,
  AlipayGatewayError,
  AlipayNetworkError,
  AlipayTimeoutError,
  AlipayValidationError,
} from "./errors.ts";
import {
  backoffDelayMs,
  isPaymentStateName,
  resolvePaymentPolicy,
  startPayment,
  timedCommandOf,
  toErrorInfo,
  transition,
  type ErrorInfo,
} from "./payment-machine.ts";
import { P, ID, T0, ev, reach, summarise } from "./__tests__/machine-fixtures.ts";

describe("policy and schedules", () => {
  it("starts in SENDING with a pay command and the deadline", () => {
    const t = startPayment({ partnerTransId: ID, amountMinor: 1500, currency: "SGD" }, P, T0);
    expect(t.state).toMatchObject({
      state: "SENDING",
      deadlineAt: T0 + 90_000,
      payAttempts: 1,
      nextActionAt: null,
    });
    expect(t.commands).toEqual([{ type: "pay", at: T0, partnerTransId: ID, attempt: 1 }]);
    expect(() => startPayment({ partnerTransId: ID, amountMinor: 0, currency: "SGD" }, P, T0)).toThrow(RangeError);
    expect(() => startPayment({ partnerTransId: ID, amountMinor: 1.5, currency: "SGD" }, P, T0)).toThrow(RangeError);
  });

  it("defaults are the seed's numbers and overrides are validated", () => {
    expect(P.firstQueryDelayMs).toBeGreaterThanOrEqual(3000);
    expect(P.firstQueryDelayMs).toBeLessThanOrEqual(4000);
    expect(P.queryIntervalMs).toBeGreaterThanOrEqual(3000);
    expect(P.queryIntervalMs).toBeLessThanOrEqual(4000);
    expect(resolvePaymentPolicy({ paymentDeadlineMs: 60_000 }).paymentDeadlineMs).toBe(60_000);
    expect(() => resolvePaymentPolicy({ queryIntervalMs: -1 })).toThrow();
    expect(() => resolvePaymentPolicy({ extra: 1 } as never)).toThrow();
  });

  it("polls every 3.5 s while the buyer enters the PIN, then cancels right after the last query before the deadline", () => {
    const clock = new FakeClock({ startMs: T0 });
    let t = startPayment({ partnerTransId: ID, amountMinor: 1500, currency: "SGD" }, P, clock.now());
    t = transition(t.state, ev.payWaiting, P, T0 + 800);
    const queryTimes: number[] = [];
    for (;;) {
      const cmd = timedCommandOf(t.commands);
      if (cmd?.type !== "query") break;
      queryTimes.push(cmd.at - T0);
      t = transition(t.state, ev.qWaiting, P, cmd.at + 200);
    }
    expect(queryTimes[0]).toBe(3500);
    expect(queryTimes.every((at, i) => i === 0 || at - (queryTimes[i - 1] as number) === 3700)).toBe(true);
    expect(queryTimes.at(-1)).toBeLessThan(90_000);
    expect(t.state.state).toBe("CANCELLING");
    expect(timedCommandOf(t.commands)?.at).toBe(T0 + (queryTimes.at(-1) as number) + 200);
  });

  it("cancel back-off grows exponentially, is clamped, and escalates after max attempts", () => {
    let s = reach("CANCELLING");
    let now = T0 + 2000;
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = transition(s, ev.cRetry, P, now);
      s = t.state;
      if (s.state !== "CANCELLING") {
        expect(s.state).toBe("NEEDS_ATTENTION");
        expect(summarise(t)).toEqual(["escalate:cancel_retries_exhausted"]);
        break;
      }
      const at = timedCommandOf(t.commands)?.at as number;
      delays.push(at - now);
      now = at;
    }
    expect(delays).toHaveLength(P.maxCancelAttempts - 1);
    for (let i = 1; i < delays.length; i++)
      expect(delays[i]).toBeGreaterThanOrEqual((delays[i - 1] as number) * 1.5 - 1);
    expect(Math.max(...delays)).toBeLessThanOrEqual(P.cancelBackoff.maxMs);
  });

  it("refund retries reuse the partner_refund_id and escalate after max attempts", () => {
    let s = reach("REFUNDING");
    let now = T0 + 61_000;
    const ids = new Set<string>();
    for (let i = 0; i < 10 && s.state === "REFUNDING"; i++) {
      const t = transition(s, ev.rUnknown, P, now);
      s = t.state;
      const cmd = timedCommandOf(t.commands);
      if (cmd?.type === "refund") {
        ids.add(cmd.partnerRefundId);
        now = cmd.at;
      }
    }
    expect([...ids]).toEqual([`${ID}R1`]);
    expect(s).toMatchObject({
      state: "NEEDS_ATTENTION",
      attentionReason: "refund_retries_exhausted: unknown",
    });
  });

  it("pay is resent at most maxPayRetries times, always with the same id", () => {
    let s = reach("POLLING_SYSERR");
    let now = T0 + 3500;
    const attempts: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = transition(s, ev.qNotFound, P, now);
      s = t.state;
      const cmd = timedCommandOf(t.commands);
      if (cmd?.type !== "pay") break;
      expect(cmd.partnerTransId).toBe(ID);
      attempts.push(cmd.attempt);
      s = transition(s, ev.paySystemError, P, now + 500).state;
      now += 4000;
    }
    expect(attempts).toEqual([2, 3]);
    expect(s).toMatchObject({ state: "POLLING", payAttempts: 3 });
  });

  it("backoff is deterministic per id and within [1 - jitter, 1] of the exponential", () => {
    const b = { baseMs: 1000, maxMs: 8000, jitterRatio: 0.5 };
    expect(backoffDelayMs(b, 1, "x")).toBe(backoffDelayMs(b, 1, "x"));
    for (let a = 1; a <= 6; a++) {
      const raw = Math.min(8000, 1000 * 2 ** (a - 1));
      const d = backoffDelayMs(b, a, "seed");
      expect(d).toBeLessThanOrEqual(raw);
      expect(d).toBeGreaterThanOrEqual(raw * 0.5);
    }
    expect(backoffDelayMs({ ...b, jitterRatio: 0 }, 10, "x")).toBe(8000);
  });

  it("state names are a closed list", () => {
    expect(isPaymentStateName("POLLING")).toBe(true);
    expect(isPaymentStateName("polling")).toBe(false);
  });

  it("throws on a corrupt state (exhaustiveness guard)", () => {
    expect(() => transition({ state: "BOGUS" } as never, ev.resume, P, T0)).toThrow(/Unhandled payment state/);
  });
});

describe("toErrorInfo", () => {
  it.each<[unknown, ErrorInfo]>([
    [
      new AlipayTimeoutError("t", { timeoutMs: 1 }),
      {
        name: "AlipayTimeoutError",
        isRetryable: true,
        mayHaveReachedGateway: true,
      },
    ],
    [
      new AlipayNetworkError("n", { isRequestSent: false }),
      {
        name: "AlipayNetworkError",
        isRetryable: true,
        mayHaveReachedGateway: false,
      },
    ],
    [
      new AlipayValidationError("v", { field: "f" }),
      {
        name: "AlipayValidationError",
        isRetryable: false,
        mayHaveReachedGateway: false,
      },
    ],
    [
      new AlipayConfigError("c"),
      {
        name: "AlipayConfigError",
        isRetryable: false,
        mayHaveReachedGateway: false,
      },
    ],
    [
      new AlipayGatewayError("g", {
        gatewayCode: "SYSTEM_ERROR",
        isRetryable: true,
      }),
      {
        name: "AlipayGatewayError",
        isRetryable: true,
        mayHaveReachedGateway: true,
        reason: "SYSTEM_ERROR",
      },
    ],
    [new TypeError("x"), { name: "TypeError", isRetryable: false, mayHaveReachedGateway: true }],
    ["str", { name: "UnknownError", isRetryable: false, mayHaveReachedGateway: true }],
  ])("%s", (error, info) => {
    expect(toErrorInfo(error)).toEqual(info);
  });
});
