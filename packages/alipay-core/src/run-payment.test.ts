import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalGateway, type LocalGateway } from "./__tests__/local-gateway.ts";
import { MapiClient } from "./client.ts";
import { systemClock } from "./clock.ts";
import {
  AlipayAbortError,
  AlipayNetworkError,
  AlipaySignatureError,
  AlipayTimeoutError,
  AlipayValidationError,
} from "./errors.ts";
import { DEFAULT_PAYMENT_POLICY, startPayment, transition, type PaymentCommand } from "./payment-machine.ts";
import { drive, resumePayment, runPayment, runRefund, type TransitionRecord } from "./run-payment.ts";
import {
  buildMapiResponseXml,
  FakeClock,
  ScriptedAlipayClient,
  TEST_GATEWAY_PRIVATE_KEY_PEM,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_PARTNER_ID,
} from "./testing/index.ts";
import type { CancelResult, PayResult, QueryResult } from "./types.ts";

const T0 = Date.UTC(2024, 0, 1, 4, 0, 0);
const ID = "K20240101120000abcd";
const payment = {
  partnerTransId: ID,
  amountMinor: 1500,
  currency: "SGD",
  paymentCode: "281234567890123456",
  subject: "Tickets",
};
const paid: PayResult & QueryResult = {
  status: "paid",
  partnerTransId: ID,
  alipayTransId: "A1",
  paidAt: new Date(T0 + 1000),
  amountMinor: 1500,
  currency: "SGD",
};
const waiting: QueryResult = { status: "waiting_buyer", partnerTransId: ID };
const unknownPay: PayResult = {
  status: "unknown",
  partnerTransId: ID,
  reason: undefined,
  isSystemError: false,
};
const sysErrPay: PayResult = {
  status: "unknown",
  partnerTransId: ID,
  reason: "SYSTEM_ERROR",
  isSystemError: true,
};
const cancelled: CancelResult = { status: "cancelled", partnerTransId: ID };
const retry: CancelResult = {
  status: "retry",
  partnerTransId: ID,
  reason: "SYSTEM_ERROR",
};

function setup(scripts: ConstructorParameters<typeof ScriptedAlipayClient>[1]) {
  const clock = new FakeClock({ startMs: T0, autoAdvance: true });
  const client = new ScriptedAlipayClient(clock, scripts);
  const records: TransitionRecord[] = [];
  const sideEffects: PaymentCommand["type"][] = [];
  return {
    clock,
    client,
    records,
    sideEffects,
    options: {
      client,
      clock,
      onTransition: (r: TransitionRecord) => void records.push(r),
      onCommand: (c: PaymentCommand) => void sideEffects.push(c.type),
    },
  };
}

describe("runPayment with a fake clock (no sleeps)", () => {
  it("pays immediately", async () => {
    const { options, client, sideEffects } = setup({ pay: [paid] });
    const result = await runPayment({ ...options, payment });
    expect(result).toMatchObject({
      outcome: "settled",
      state: { state: "PAID", alipayTransId: "A1" },
    });
    expect(client.calls.map((c) => c.operation)).toEqual(["pay"]);
    expect(sideEffects).toEqual(["issue_tickets"]);
  });

  it("polls at 3.5 s, then every 3.5 s while the buyer enters the PIN, then paid", async () => {
    const { options, client, clock, records } = setup({
      pay: [unknownPay],
      query: [waiting, waiting, waiting, paid],
    });
    const result = await runPayment({ ...options, payment });
    expect(result.state.state).toBe("PAID");
    expect(client.timesOf("query", T0)).toEqual([3500, 7000, 10_500, 14_000]);
    expect(clock.now() - T0).toBe(14_000);
    expect(records.map((r) => r.to)).toEqual(["POLLING", "POLLING", "POLLING", "POLLING", "PAID"]);
  });

  it("cancels right after the last query before the 90 s deadline", async () => {
    const { options, client, sideEffects } = setup({
      pay: [unknownPay],
      query: [waiting],
      cancel: [cancelled],
    });
    const result = await runPayment({ ...options, payment });
    expect(result.state).toMatchObject({
      state: "CANCELLED",
      cancelReason: "deadline",
    });
    const queries = client.timesOf("query", T0);
    expect(queries.at(-1)).toBeLessThan(90_000);
    expect(queries.at(-1)).toBeGreaterThan(90_000 - 3500);
    expect(client.timesOf("cancel", T0)).toEqual([queries.at(-1)]);
    expect(sideEffects).toEqual(["release_hold"]);
  });

  it("retries cancel with back-off, then escalates", async () => {
    const { options, client, sideEffects } = setup({
      pay: [unknownPay],
      query: [waiting],
      cancel: [retry, new AlipayTimeoutError("t", { timeoutMs: 1 })],
    });
    const result = await runPayment({ ...options, payment });
    expect(result.state).toMatchObject({
      state: "NEEDS_ATTENTION",
      attentionReason: expect.stringContaining("cancel_retries_exhausted"),
    });
    const cancels = client.timesOf("cancel", T0);
    expect(cancels).toHaveLength(DEFAULT_PAYMENT_POLICY.maxCancelAttempts);
    const gaps = cancels.slice(1).map((t, i) => t - (cancels[i] as number));
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThan(gaps[i - 1] as number);
    expect(sideEffects).toEqual(["escalate"]);
  });

  it("on SYSTEM_ERROR queries, and resends pay with the SAME id only when no trade exists", async () => {
    const { options, client } = setup({
      pay: [sysErrPay, paid],
      query: [{ status: "not_found", partnerTransId: ID }],
    });
    const result = await runPayment({ ...options, payment });
    expect(result.state).toMatchObject({ state: "PAID", payAttempts: 2 });
    const pays = client.calls.filter((c) => c.operation === "pay");
    expect(pays.map((c) => (c.input as { partnerTransId: string }).partnerTransId)).toEqual([ID, ID]);
    expect(client.timesOf("pay", T0)).toEqual([0, 3500]);
  });

  it("treats a time-out on pay as unknown and polls", async () => {
    const { options } = setup({
      pay: [new AlipayTimeoutError("t", { timeoutMs: 15000 })],
      query: [waiting, paid],
    });
    expect((await runPayment({ ...options, payment })).state.state).toBe("PAID");
  });

  it("fails without querying when the request was never sent (validation)", async () => {
    const { options, client, sideEffects } = setup({
      pay: [new AlipayValidationError("bad", { field: "paymentCode" })],
    });
    const result = await runPayment({ ...options, payment });
    expect(result.state).toMatchObject({
      state: "FAILED",
      failureReason: "not_sent:AlipayValidationError",
    });
    expect(client.calls).toHaveLength(1);
    expect(sideEffects).toEqual(["release_hold"]);
  });

  it("keeps polling through query errors (bad signature, network)", async () => {
    const { options } = setup({
      pay: [unknownPay],
      query: [new AlipaySignatureError("x", { reason: "bad_sign" }), new AlipayNetworkError("n"), paid],
    });
    expect((await runPayment({ ...options, payment })).state.state).toBe("PAID");
  });

  it("honours a visitor cancel while polling", async () => {
    const { options, client } = setup({
      pay: [unknownPay],
      query: [waiting],
      cancel: [cancelled],
    });
    const cancel = new AbortController();
    const pending = runPayment({
      ...options,
      payment,
      cancelSignal: cancel.signal,
      onTransition: (r) => {
        if (r.to === "POLLING" && r.state.queryCount === 2) cancel.abort();
      },
    });
    const result = await pending;
    expect(result.state).toMatchObject({
      state: "CANCELLED",
      cancelReason: "visitor",
    });
    expect(client.timesOf("query", T0)).toEqual([3500, 7000]);
    expect(client.timesOf("cancel", T0)).toEqual([7000]);
  });

  it("honours a visitor cancel that arrives while sleeping", async () => {
    const clock = new FakeClock({ startMs: T0 });
    const client = new ScriptedAlipayClient(clock, {
      pay: [unknownPay],
      query: [waiting],
      cancel: [cancelled],
    });
    const cancel = new AbortController();
    const pending = runPayment({
      client,
      clock,
      payment,
      cancelSignal: cancel.signal,
    });
    await clock.advance(1000);
    cancel.abort();
    const result = await pending;
    expect(result.state).toMatchObject({
      state: "CANCELLED",
      cancelReason: "visitor",
    });
    expect(client.timesOf("cancel", T0)).toEqual([1000]);
    expect(client.timesOf("query", T0)).toEqual([]);
  });

  it("a cancel pressed while the pay is in flight reverses the paid trade (never settles PAID)", async () => {
    const cancel = new AbortController();
    const { options, client, sideEffects } = setup({
      pay: [
        () => {
          cancel.abort(); // the visitor presses cancel while the pay is on the wire
          return paid;
        },
      ],
      cancel: [{ ...cancelled, action: "refund" }],
    });
    const result = await runPayment({
      ...options,
      payment,
      cancelSignal: cancel.signal,
    });
    expect(result).toMatchObject({
      outcome: "settled",
      state: { state: "CANCELLED", cancelReason: "visitor", action: "refund" },
    });
    expect(client.calls.map((c) => c.operation)).toEqual(["pay", "cancel"]);
    expect(sideEffects).not.toContain("issue_tickets");
  });

  it("a cancel pressed before the pay was sent: the pay goes out, then the machine cancels (no stuck SENDING)", async () => {
    const cancel = new AbortController();
    cancel.abort();
    const { options, client } = setup({
      pay: [paid],
      cancel: [cancelled],
    });
    const result = await runPayment({
      ...options,
      payment,
      cancelSignal: cancel.signal,
    });
    expect(result).toMatchObject({
      outcome: "settled",
      state: { state: "CANCELLED", cancelReason: "visitor" },
    });
    expect(client.calls.map((c) => c.operation)).toEqual(["pay", "cancel"]);
  });

  it("stops on shutdown and resumes later from the persisted state", async () => {
    const clock = new FakeClock({ startMs: T0 });
    const client = new ScriptedAlipayClient(clock, {
      pay: [unknownPay],
      query: [waiting, paid],
    });
    const shutdown = new AbortController();
    const records: TransitionRecord[] = [];
    const pending = runPayment({
      client,
      clock,
      payment,
      signal: shutdown.signal,
      onTransition: (r) => void records.push(r),
    });
    await clock.advance(1000);
    shutdown.abort();
    const stopped = await pending;
    expect(stopped).toMatchObject({
      outcome: "aborted",
      state: { state: "POLLING" },
    });
    const persisted = JSON.parse(JSON.stringify(stopped.state));
    const later = new FakeClock({ startMs: T0 + 60_000, autoAdvance: true });
    const client2 = new ScriptedAlipayClient(later, { query: [paid] });
    const resumed = await resumePayment({
      client: client2,
      clock: later,
      state: persisted,
    });
    expect(resumed.state.state).toBe("PAID");
    expect(client2.timesOf("query", T0)).toEqual([60_000]);
  });

  it("stops when the client is aborted mid-request", async () => {
    const { options } = setup({ pay: [new AlipayAbortError("stop")] });
    expect((await runPayment({ ...options, payment })).outcome).toBe("aborted");
  });

  it("resumes a SENDING row after a crash by querying (never re-paying without the code)", async () => {
    const { options, client } = setup({
      query: [{ status: "not_found", partnerTransId: ID }],
      cancel: [cancelled],
    });
    const sending = startPayment(payment, DEFAULT_PAYMENT_POLICY, T0).state;
    const result = await resumePayment({ ...options, state: sending });
    expect(result.state).toMatchObject({
      state: "CANCELLED",
      cancelReason: "deadline",
    });
    expect(client.calls.some((c) => c.operation === "pay")).toBe(false);
  });

  it("reports a pay retry without the payment code as not sent and keeps polling", async () => {
    const { options, client } = setup({
      query: [{ status: "not_found", partnerTransId: ID }, paid],
    });
    let t = startPayment(payment, DEFAULT_PAYMENT_POLICY, T0);
    t = transition(t.state, { type: "pay_result", result: sysErrPay }, DEFAULT_PAYMENT_POLICY, T0);
    const result = await drive(t, options);
    expect(result.state.state).toBe("PAID");
    expect(client.calls.map((c) => c.operation)).toEqual(["query", "query"]);
  });

  it("refunds partially, then fully, reusing the refund id on retry", async () => {
    const { options, client } = setup({
      pay: [paid],
      refund: [
        (n) =>
          n === 1
            ? new AlipayNetworkError("reset")
            : {
                status: "refunded",
                partnerTransId: ID,
                partnerRefundId: `${ID}R1`,
                refundAmountMinor: 500,
                currency: "SGD",
              },
      ],
    });
    const first = await runPayment({ ...options, payment });
    const partial = await runRefund({
      ...options,
      state: first.state,
      partnerRefundId: `${ID}R1`,
      amountMinor: 500,
      reason: "staff",
      payment,
    });
    expect(partial.state).toMatchObject({
      state: "PARTIALLY_REFUNDED",
      refundedMinor: 500,
    });
    const refundIds = client.calls
      .filter((c) => c.operation === "refund")
      .map((c) => (c.input as { partnerRefundId: string }).partnerRefundId);
    expect(refundIds).toEqual([`${ID}R1`, `${ID}R1`]);
    const client2 = new ScriptedAlipayClient(options.clock, {
      refund: [
        {
          status: "refunded",
          partnerTransId: ID,
          partnerRefundId: `${ID}R2`,
          refundAmountMinor: 1000,
          currency: "SGD",
        },
      ],
    });
    const full = await runRefund({
      ...options,
      client: client2,
      state: partial.state,
      partnerRefundId: `${ID}R2`,
      amountMinor: 1000,
      payment,
    });
    expect(full.state).toMatchObject({
      state: "REFUNDED",
      refundedMinor: 1500,
    });
  });

  it("reports a stuck drive when the machine ignores its own command's answer", async () => {
    const { options } = setup({
      refund: [
        {
          status: "refunded",
          partnerTransId: ID,
          partnerRefundId: "OTHER",
          refundAmountMinor: 500,
          currency: "SGD",
        },
      ],
    });
    const paidState = transition(
      startPayment(payment, DEFAULT_PAYMENT_POLICY, T0).state,
      { type: "pay_result", result: paid },
      DEFAULT_PAYMENT_POLICY,
      T0,
    ).state;
    const result = await runRefund({
      ...options,
      state: paidState,
      partnerRefundId: `${ID}R1`,
      amountMinor: 500,
      payment,
    });
    expect(result.outcome).toBe("stuck");
    const rejected = await runRefund({
      ...options,
      state: paidState,
      partnerRefundId: `${ID}R1`,
      amountMinor: 99_999,
      payment,
    });
    expect(rejected).toMatchObject({
      outcome: "settled",
      state: { state: "PAID" },
    });
  });
});

describe("runPayment end to end over HTTP (MapiClient + local signed gateway + fake clock)", () => {
  let gw: LocalGateway;
  let queries = 0;
  beforeAll(async () => {
    gw = await startLocalGateway((r) => {
      const key = {
        signType: "RSA2",
        privateKey: TEST_GATEWAY_PRIVATE_KEY_PEM,
      } as const;
      const service = r.params["service"];
      if (service === "alipay.acquire.overseas.spot.pay")
        return {
          body: buildMapiResponseXml({
            fields: { result_code: "UNKNOW", error: "SYSTEM_ERROR" },
            key,
          }),
        };
      queries++;
      const status = queries < 3 ? "WAIT_BUYER_PAY" : "TRADE_SUCCESS";
      return {
        body: buildMapiResponseXml({
          fields: {
            result_code: "SUCCESS",
            alipay_trans_status: status,
            partner_trans_id: ID,
            alipay_trans_id: "2024010122001",
            trans_amount: "15.00",
            currency: "SGD",
            alipay_pay_time: "20240101120010",
          },
          key,
        }),
      };
    });
  });
  afterAll(async () => {
    await gw.close();
  });

  it("drives UNKNOW → WAIT_BUYER_PAY ×2 → TRADE_SUCCESS to PAID", async () => {
    const clock = new FakeClock({ startMs: T0, autoAdvance: true });
    const client = new MapiClient(
      {
        protocol: "mapi",
        gatewayUrl: gw.url,
        partnerId: TEST_PARTNER_ID,
        signType: "RSA2",
        privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
        alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
      },
      { clock },
    );
    const result = await runPayment({ client, clock, payment });
    expect(result.state).toMatchObject({
      state: "PAID",
      alipayTransId: "2024010122001",
      paidAt: T0 + 10_000,
      queryCount: 3,
    });
    expect(clock.now() - T0).toBe(3500 * 3);
  });
});

describe("clocks", () => {
  it("FakeClock fires timers in order on advance and supports abort", async () => {
    const clock = new FakeClock({ startMs: 0 });
    const fired: string[] = [];
    void clock.sleep(200).then(() => fired.push("b"));
    void clock.sleep(100).then(() => fired.push("a"));
    const controller = new AbortController();
    const aborted = clock.sleep(50, controller.signal).catch(() => fired.push("aborted"));
    expect(clock.pendingTimers).toBe(3);
    controller.abort();
    await aborted;
    await clock.advance(150);
    expect(fired).toEqual(["aborted", "a"]);
    await clock.set(1000);
    expect(fired).toEqual(["aborted", "a", "b"]);
    expect(clock.now()).toBe(1000);
    await expect(clock.sleep(1, AbortSignal.abort())).rejects.toBeDefined();
    expect(clock.sleeps).toEqual([200, 100, 50, 1]);
  });

  it("systemClock sleeps and aborts", async () => {
    await systemClock.sleep(0);
    expect(systemClock.now()).toBeGreaterThan(T0);
    await expect(systemClock.sleep(10_000, AbortSignal.abort())).rejects.toBeDefined();
    const controller = new AbortController();
    const p = systemClock.sleep(10_000, controller.signal);
    controller.abort();
    await expect(p).rejects.toBeDefined();
  });
});
