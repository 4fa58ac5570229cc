/** The refund's money rules: confirm a refund Alipay accepted without moving money; hold refunds in the night window. */
import { describe, expect, it } from "vitest";
import {
  DEFAULT_PAYMENT_POLICY,
  startPayment,
  timedCommandOf,
  transition,
  type PaymentEvent,
  type PaymentState,
} from "./payment-machine.ts";
import { isInRefundPauseWindow, refundSendAt } from "./refund-window.ts";
import { runRefund } from "./run-payment.ts";
import { FakeClock, ScriptedAlipayClient } from "./testing/index.ts";

const P = DEFAULT_PAYMENT_POLICY;
const ID = "K20240101120000abcd";
const RID = `${ID}R1`;
/** 2024-01-01 12:00 Beijing. */
const T0 = Date.UTC(2024, 0, 1, 4, 0, 0);
/** 2024-01-02 00:30 Beijing (inside 00:00–01:30). */
const NIGHT = Date.UTC(2024, 0, 1, 16, 30, 0);
/** 2024-01-02 01:30 Beijing. */
const NIGHT_END = Date.UTC(2024, 0, 1, 17, 30, 0);

const paid: PaymentEvent = {
  type: "pay_result",
  result: {
    status: "paid",
    partnerTransId: ID,
    alipayTransId: "T1",
    paidAt: new Date(T0),
    amountMinor: 1500,
    currency: "SGD",
  },
};
const refundReq: PaymentEvent = {
  type: "refund_requested",
  partnerRefundId: RID,
  amountMinor: 1500,
};
const accepted: PaymentEvent = {
  type: "refund_result",
  result: {
    status: "accepted",
    partnerTransId: ID,
    partnerRefundId: RID,
    reason: "fund_change=N",
  },
};
const qPending: PaymentEvent = {
  type: "refund_query_result",
  result: {
    status: "pending",
    partnerTransId: ID,
    partnerRefundId: RID,
    reason: "no refund_status",
  },
};
const qDone: PaymentEvent = {
  type: "refund_query_result",
  result: {
    status: "refunded",
    partnerTransId: ID,
    partnerRefundId: RID,
    refundAmountMinor: 1500,
    currency: "SGD",
  },
};

function paidAt(now: number): PaymentState {
  const s = startPayment({ partnerTransId: ID, amountMinor: 1500, currency: "SGD" }, P, now).state;
  return transition(s, paid, P, now + 1000).state;
}

describe("refund confirmation (fund_change=N)", () => {
  it("an accepted refund stays REFUNDING, counts nothing and schedules a refund query ≥ 10 s later", () => {
    let s = transition(paidAt(T0), refundReq, P, T0 + 60_000).state;
    const t = transition(s, accepted, P, T0 + 61_000);
    s = t.state;
    expect(s).toMatchObject({
      state: "REFUNDING",
      refundedMinor: 0,
      nextActionAt: T0 + 71_000,
    });
    expect(timedCommandOf(t.commands)).toMatchObject({
      type: "refund_query",
      at: T0 + 71_000,
      partnerRefundId: RID,
      amountMinor: 1500,
    });
    expect(t.commands.some((c) => c.type === "refund")).toBe(false);
  });

  it("only a query saying the money moved completes the refund", () => {
    let s = transition(paidAt(T0), refundReq, P, T0 + 60_000).state;
    s = transition(s, accepted, P, T0 + 61_000).state;
    s = transition(s, qPending, P, T0 + 71_000).state;
    expect(s.state).toBe("REFUNDING");
    s = transition(s, qDone, P, T0 + 200_000).state;
    expect(s).toMatchObject({
      state: "REFUNDED",
      refundedMinor: 1500,
      nextActionAt: null,
    });
  });

  it("queries on the back-off while the money has not moved and escalates at the deadline", () => {
    let s = transition(paidAt(T0), refundReq, P, T0 + 60_000).state;
    let t = transition(s, accepted, P, T0 + 61_000);
    s = t.state;
    const deadline = T0 + 61_000 + P.refundConfirmDeadlineMs;
    const times: number[] = [];
    for (let i = 0; i < 1000 && s.state === "REFUNDING"; i++) {
      const cmd = timedCommandOf(t.commands);
      expect(cmd?.type).toBe("refund_query");
      times.push(cmd?.at ?? 0);
      t = transition(
        s,
        i % 2 === 0
          ? qPending
          : {
              type: "refund_query_error",
              partnerRefundId: RID,
              error: {
                name: "AlipayTimeoutError",
                isRetryable: true,
                mayHaveReachedGateway: true,
              },
            },
        P,
        cmd?.at ?? 0,
      );
      s = t.state;
    }
    expect(s).toMatchObject({ state: "NEEDS_ATTENTION", refundedMinor: 0 });
    expect(s.state === "NEEDS_ATTENTION" && s.attentionReason).toMatch(/^refund_unconfirmed/);
    expect(t.commands).toContainEqual(expect.objectContaining({ type: "escalate" }));
    expect(times.at(-1)).toBe(deadline);
    for (let i = 1; i < times.length; i++) {
      const gap = (times[i] as number) - (times[i - 1] as number);
      expect(gap).toBeGreaterThan(0);
      expect(gap).toBeLessThanOrEqual(P.refundConfirmBackoff.maxMs);
    }
  });

  it("a query that finds no such refund resends it with the same id; a failed one goes to a person", () => {
    let s = transition(paidAt(T0), refundReq, P, T0 + 60_000).state;
    s = transition(s, accepted, P, T0 + 61_000).state;
    const t = transition(
      s,
      {
        type: "refund_query_result",
        result: {
          status: "not_found",
          partnerTransId: ID,
          partnerRefundId: RID,
        },
      },
      P,
      T0 + 71_000,
    );
    expect(timedCommandOf(t.commands)).toMatchObject({
      type: "refund",
      partnerRefundId: RID,
      attempt: 2,
    });
    const f = transition(
      s,
      {
        type: "refund_query_result",
        result: {
          status: "failed",
          partnerTransId: ID,
          partnerRefundId: RID,
          reason: "MERCHANT_BALANCE_NOT_ENOUGH",
        },
      },
      P,
      T0 + 71_000,
    );
    expect(f.state).toMatchObject({
      state: "NEEDS_ATTENTION",
      attentionReason: "refund_refused: MERCHANT_BALANCE_NOT_ENOUGH",
    });
  });

  it("resume re-issues the refund query, not the refund", () => {
    let s = transition(paidAt(T0), refundReq, P, T0 + 60_000).state;
    s = transition(s, accepted, P, T0 + 61_000).state;
    const t = transition(s, { type: "resume" }, P, T0 + 100_000);
    expect(timedCommandOf(t.commands)).toMatchObject({
      type: "refund_query",
      at: T0 + 100_000,
    });
  });
});

describe("refund night window (00:00–01:30 Beijing)", () => {
  it("knows the window in Beijing time", () => {
    const w = P.refundPauseWindow;
    if (w === null) throw new Error("default window expected");
    expect(isInRefundPauseWindow(NIGHT, w)).toBe(true);
    expect(isInRefundPauseWindow(NIGHT_END, w)).toBe(false);
    expect(isInRefundPauseWindow(NIGHT_END - 1, w)).toBe(true);
    expect(isInRefundPauseWindow(T0, w)).toBe(false);
    expect(refundSendAt(T0, w, RID)).toBe(T0);
    expect(refundSendAt(NIGHT, null, RID)).toBe(NIGHT);
  });

  it("a refund asked for in the window waits until 01:30 Beijing (+ jitter), then is sent; no attempt is used", () => {
    const s = paidAt(NIGHT - 10 * 60_000);
    const t = transition(s, refundReq, P, NIGHT);
    const cmd = timedCommandOf(t.commands);
    expect(t.state).toMatchObject({
      state: "REFUNDING",
      refund: { attempts: 1 },
    });
    expect(cmd?.type).toBe("refund");
    expect(cmd?.at).toBeGreaterThanOrEqual(NIGHT_END);
    expect(cmd?.at).toBeLessThan(NIGHT_END + (P.refundPauseWindow?.jitterMaxMs ?? 0));
    expect(t.state.nextActionAt).toBe(cmd?.at);
  });

  it("a retry that would fall into the window waits for its end too", () => {
    let s = transition(paidAt(NIGHT - 30 * 60_000), refundReq, P, NIGHT - 60_000).state;
    const t = transition(
      s,
      {
        type: "refund_result",
        result: {
          status: "unknown",
          partnerTransId: ID,
          partnerRefundId: RID,
          reason: "SYSTEM_ERROR",
          isSystemError: true,
        },
      },
      P,
      NIGHT - 500,
    );
    s = t.state;
    expect(timedCommandOf(t.commands)?.at).toBeGreaterThanOrEqual(NIGHT_END);
  });

  it("a refusal that arrives inside the window is retried after it, not handed to a person", () => {
    const justBefore = NIGHT - 30 * 60_000 - 500; // 23:59:59.5 Beijing
    let s = transition(paidAt(justBefore - 60_000), refundReq, P, justBefore).state;
    const failed: PaymentEvent = {
      type: "refund_result",
      result: {
        status: "failed",
        partnerTransId: ID,
        partnerRefundId: RID,
        reason: "ACQ.SYSTEM_ERROR_NIGHT",
      },
    };
    const t = transition(s, failed, P, justBefore + 700);
    s = t.state;
    expect(s).toMatchObject({ state: "REFUNDING", refund: { attempts: 2 } });
    expect(timedCommandOf(t.commands)).toMatchObject({
      type: "refund",
      partnerRefundId: RID,
    });
    expect(timedCommandOf(t.commands)?.at).toBeGreaterThanOrEqual(NIGHT_END);
    // The same refusal in the day still goes to a person.
    const day = transition(transition(paidAt(T0), refundReq, P, T0 + 60_000).state, failed, P, T0 + 61_000);
    expect(day.state).toMatchObject({ state: "NEEDS_ATTENTION" });
  });

  it("a null window sends at once", () => {
    const policy = { ...P, refundPauseWindow: null };
    const s = startPayment({ partnerTransId: ID, amountMinor: 1500, currency: "SGD" }, policy, NIGHT - 60_000).state;
    const p = transition(s, paid, policy, NIGHT - 59_000).state;
    expect(timedCommandOf(transition(p, refundReq, policy, NIGHT).commands)?.at).toBe(NIGHT);
  });
});

describe("runRefund with an accepted refund", () => {
  it("sends the refund once, then refund queries until the money moved", async () => {
    const clock = new FakeClock({ startMs: T0, autoAdvance: true });
    const client = new ScriptedAlipayClient(clock, {
      refund: [
        {
          status: "accepted",
          partnerTransId: ID,
          partnerRefundId: RID,
          reason: "fund_change=N",
        },
      ],
      refund_query: [
        {
          status: "pending",
          partnerTransId: ID,
          partnerRefundId: RID,
          reason: "no refund_status",
        },
        {
          status: "refunded",
          partnerTransId: ID,
          partnerRefundId: RID,
          refundAmountMinor: 1500,
          currency: "SGD",
        },
      ],
    });
    const result = await runRefund({
      client,
      clock,
      state: paidAt(T0),
      partnerRefundId: RID,
      amountMinor: 1500,
      payment: { paymentCode: "281234567890123456", subject: "Tickets" },
    });
    expect(result.state).toMatchObject({
      state: "REFUNDED",
      refundedMinor: 1500,
    });
    expect(client.calls.map((c) => c.operation)).toEqual(["refund", "refund_query", "refund_query"]);
    const [refundAt, firstQueryAt] = client.calls.map((c) => c.atMs);
    expect((firstQueryAt as number) - (refundAt as number)).toBeGreaterThanOrEqual(P.refundConfirmFirstDelayMs);
  });
});
