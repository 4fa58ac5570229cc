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
  DEFAULT_PAYMENT_POLICY,
  isPaymentStateName,
  PAYMENT_STATE_NAMES,
  resolvePaymentPolicy,
  startPayment,
  timedCommandOf,
  toErrorInfo,
  transition,
  type ErrorInfo,
  type NotificationFact,
  type PaymentEvent,
  type PaymentState,
  type Transition,
} from "./payment-machine.ts";
import { FakeClock } from "./testing/index.ts";

const P = DEFAULT_PAYMENT_POLICY;
const ID = "K20240101120000abcd";
const T0 = Date.UTC(2024, 0, 1, 4, 0, 0);

const trade = {
  partnerTransId: ID,
  alipayTransId: "A1",
  paidAt: new Date(T0 + 2000),
  amountMinor: 1500,
  currency: "SGD",
};
const ev = {
  payPaid: { type: "pay_result", result: { status: "paid", ...trade } },
  payFailed: {
    type: "pay_result",
    result: {
      status: "failed",
      partnerTransId: ID,
      reason: "BUYER_BALANCE_NOT_ENOUGH",
    },
  },
  payWaiting: {
    type: "pay_result",
    result: {
      status: "waiting_buyer",
      partnerTransId: ID,
      alipayTransId: "A1",
    },
  },
  payUnknown: {
    type: "pay_result",
    result: {
      status: "unknown",
      partnerTransId: ID,
      reason: undefined,
      isSystemError: false,
    },
  },
  paySystemError: {
    type: "pay_result",
    result: {
      status: "unknown",
      partnerTransId: ID,
      reason: "SYSTEM_ERROR",
      isSystemError: true,
    },
  },
  payTimeout: {
    type: "pay_error",
    error: {
      name: "AlipayTimeoutError",
      isRetryable: true,
      mayHaveReachedGateway: true,
    },
  },
  payRefused: {
    type: "pay_error",
    error: {
      name: "AlipayNetworkError",
      isRetryable: true,
      mayHaveReachedGateway: false,
    },
  },
  payInvalid: {
    type: "pay_error",
    error: {
      name: "AlipayValidationError",
      isRetryable: false,
      mayHaveReachedGateway: false,
    },
  },
  payGatewaySystemError: {
    type: "pay_error",
    error: {
      name: "AlipayGatewayError",
      isRetryable: true,
      mayHaveReachedGateway: true,
      reason: "SYSTEM_ERROR",
    },
  },
  qPaid: { type: "query_result", result: { status: "paid", ...trade } },
  qPaidWrongAmount: {
    type: "query_result",
    result: { status: "paid", ...trade, amountMinor: 1 },
  },
  qWaiting: {
    type: "query_result",
    result: {
      status: "waiting_buyer",
      partnerTransId: ID,
      alipayTransId: "A1",
    },
  },
  qClosed: {
    type: "query_result",
    result: { status: "closed", partnerTransId: ID, alipayTransId: "A1" },
  },
  qNotFound: {
    type: "query_result",
    result: { status: "not_found", partnerTransId: ID },
  },
  qUnknown: {
    type: "query_result",
    result: {
      status: "unknown",
      partnerTransId: ID,
      reason: "SYSTEM_ERROR",
      isSystemError: true,
    },
  },
  qError: {
    type: "query_error",
    error: {
      name: "AlipaySignatureError",
      isRetryable: true,
      mayHaveReachedGateway: true,
    },
  },
  cOk: {
    type: "cancel_result",
    result: {
      status: "cancelled",
      partnerTransId: ID,
      alipayTransId: "A1",
      action: "refund",
    },
  },
  cOkBare: {
    type: "cancel_result",
    result: { status: "cancelled", partnerTransId: ID },
  },
  cRetry: {
    type: "cancel_result",
    result: { status: "retry", partnerTransId: ID, reason: "SYSTEM_ERROR" },
  },
  cRetryBare: {
    type: "cancel_result",
    result: { status: "retry", partnerTransId: ID, reason: undefined },
  },
  cFailed: {
    type: "cancel_result",
    result: {
      status: "failed",
      partnerTransId: ID,
      reason: "REASON_TRADE_BEEN_FREEZEN",
    },
  },
  cNotFound: {
    type: "cancel_result",
    result: { status: "not_found", partnerTransId: ID },
  },
  cError: {
    type: "cancel_error",
    error: {
      name: "AlipayTimeoutError",
      isRetryable: true,
      mayHaveReachedGateway: true,
    },
  },
  refundReq: {
    type: "refund_requested",
    partnerRefundId: `${ID}R1`,
    amountMinor: 500,
    reason: "staff",
  },
  refundReqFull: {
    type: "refund_requested",
    partnerRefundId: `${ID}R1`,
    amountMinor: 1500,
  },
  refundReqTooMuch: {
    type: "refund_requested",
    partnerRefundId: `${ID}R1`,
    amountMinor: 1501,
  },
  refundReqZero: {
    type: "refund_requested",
    partnerRefundId: `${ID}R1`,
    amountMinor: 0,
  },
  refundReqSameId: {
    type: "refund_requested",
    partnerRefundId: ID,
    amountMinor: 1,
  },
  rOk: {
    type: "refund_result",
    result: {
      status: "refunded",
      partnerTransId: ID,
      partnerRefundId: `${ID}R1`,
      refundAmountMinor: 500,
      currency: "SGD",
    },
  },
  rOkOther: {
    type: "refund_result",
    result: {
      status: "refunded",
      partnerTransId: ID,
      partnerRefundId: "OTHER",
      refundAmountMinor: 500,
      currency: "SGD",
    },
  },
  rFailed: {
    type: "refund_result",
    result: {
      status: "failed",
      partnerTransId: ID,
      partnerRefundId: `${ID}R1`,
      reason: "REFUND_AMT_RESTRICTION",
    },
  },
  rUnknown: {
    type: "refund_result",
    result: {
      status: "unknown",
      partnerTransId: ID,
      partnerRefundId: `${ID}R1`,
      reason: undefined,
      isSystemError: false,
    },
  },
  rError: {
    type: "refund_error",
    partnerRefundId: `${ID}R1`,
    error: {
      name: "AlipayNetworkError",
      isRetryable: true,
      mayHaveReachedGateway: true,
    },
  },
  rErrorOther: {
    type: "refund_error",
    partnerRefundId: "OTHER",
    error: {
      name: "AlipayNetworkError",
      isRetryable: true,
      mayHaveReachedGateway: true,
    },
  },
  nPaid: {
    type: "notification",
    fact: {
      status: "paid",
      alipayTransId: "A1",
      amountMinor: 1500,
      currency: "SGD",
      paidAtMs: T0 + 2500,
    },
  },
  nPaidBare: {
    type: "notification",
    fact: { status: "finished", alipayTransId: "A1" },
  },
  nClosed: {
    type: "notification",
    fact: { status: "closed", alipayTransId: "A1" },
  },
  nClosedBare: { type: "notification", fact: { status: "closed" } },
  nWaiting: { type: "notification", fact: { status: "waiting_buyer" } },
  nPaidNoId: { type: "notification", fact: { status: "paid" } },
  cancelVisitor: { type: "cancel_requested", by: "visitor" },
  resume: { type: "resume" },
} satisfies Record<string, PaymentEvent>;

/** Builds a state in `name` by replaying events (so every fixture is reachable). */
function reach(
  name:
    | PaymentState["state"]
    | "POLLING_SYSERR"
    | "POLLING_PAY_IN_FLIGHT"
    | "SENDING_CANCEL"
    | "CANCELLED_NOT_FOUND"
    | "PARTIALLY_REFUNDED"
    | "NEEDS_ATTENTION_REFUND",
): PaymentState {
  let s = startPayment({ partnerTransId: ID, amountMinor: 1500, currency: "SGD" }, P, T0).state;
  const step = (e: PaymentEvent, dt = 0): void => {
    s = transition(s, e, P, T0 + dt).state;
  };
  switch (name) {
    case "SENDING":
      return s;
    case "SENDING_CANCEL":
      step(ev.cancelVisitor);
      return s;
    case "POLLING":
      step(ev.payWaiting, 1000);
      return s;
    case "POLLING_SYSERR":
      step(ev.paySystemError, 1000);
      return s;
    case "POLLING_PAY_IN_FLIGHT":
      step(ev.paySystemError, 1000);
      step(ev.qNotFound, 4500);
      return s;
    case "CANCELLING":
      step(ev.payWaiting, 1000);
      step(ev.cancelVisitor, 2000);
      return s;
    case "PAID":
      step(ev.payPaid, 1000);
      return s;
    case "REFUNDING":
      step(ev.payPaid, 1000);
      step(ev.refundReq, 60_000);
      return s;
    case "PARTIALLY_REFUNDED":
      step(ev.payPaid, 1000);
      step(ev.refundReq, 60_000);
      step(ev.rOk, 61_000);
      return s;
    case "REFUNDED":
      step(ev.payPaid, 1000);
      step(ev.refundReqFull, 60_000);
      step({ ...ev.rOk, result: { ...ev.rOk.result, refundAmountMinor: 1500 } }, 61_000);
      return s;
    case "FAILED":
      step(ev.payFailed, 1000);
      return s;
    case "CANCELLED":
      step(ev.payWaiting, 1000);
      step(ev.cancelVisitor, 2000);
      step(ev.cOk, 3000);
      return s;
    case "CANCELLED_NOT_FOUND":
      step(ev.payWaiting, 1000);
      step(ev.cancelVisitor, 40_000);
      step(ev.cNotFound, 41_000);
      return s;
    case "NEEDS_ATTENTION":
      step(ev.payWaiting, 1000);
      step(ev.cancelVisitor, 2000);
      step(ev.cFailed, 3000);
      return s;
    case "NEEDS_ATTENTION_REFUND":
      step(ev.payPaid, 1000);
      step(ev.refundReq, 60_000);
      step(ev.rFailed, 61_000);
      return s;
  }
}

type Row = {
  from: Parameters<typeof reach>[0];
  event: PaymentEvent;
  dt: number;
  to: PaymentState["state"];
  commands: string[];
  ignored?: boolean;
  check?: (t: Transition) => void;
};

function summarise(t: Transition): string[] {
  return t.commands.map((c) =>
    "at" in c ? `${c.type}@${c.at - T0}` : c.type === "escalate" ? `escalate:${c.reason.split(":")[0]}` : c.type,
  );
}

const rows: Row[] = [
  // SENDING
  {
    from: "SENDING",
    event: ev.payPaid,
    dt: 1000,
    to: "PAID",
    commands: ["issue_tickets"],
    check: (t) =>
      expect(t.state).toMatchObject({
        alipayTransId: "A1",
        paidAt: T0 + 2000,
        hasIssuedTickets: true,
      }),
  },
  {
    from: "SENDING",
    event: ev.payFailed,
    dt: 1000,
    to: "FAILED",
    commands: ["release_hold"],
    check: (t) =>
      expect(t.state).toMatchObject({
        failureReason: "BUYER_BALANCE_NOT_ENOUGH",
      }),
  },
  {
    from: "SENDING",
    event: ev.payWaiting,
    dt: 1000,
    to: "POLLING",
    commands: ["query@3500"],
    check: (t) =>
      expect(t.state).toMatchObject({
        isPayRetryAllowed: false,
        nextActionAt: T0 + 3500,
        alipayTransId: "A1",
      }),
  },
  {
    from: "SENDING",
    event: ev.payUnknown,
    dt: 1000,
    to: "POLLING",
    commands: ["query@3500"],
    check: (t) => expect(t.state).toMatchObject({ isPayRetryAllowed: false }),
  },
  {
    from: "SENDING",
    event: ev.paySystemError,
    dt: 1000,
    to: "POLLING",
    commands: ["query@3500"],
    check: (t) => expect(t.state).toMatchObject({ isPayRetryAllowed: true }),
  },
  {
    from: "SENDING",
    event: ev.payTimeout,
    dt: 15_000,
    to: "POLLING",
    commands: ["query@15000"],
    check: (t) => expect(t.state).toMatchObject({ isPayRetryAllowed: false }),
  },
  {
    from: "SENDING",
    event: ev.payRefused,
    dt: 10,
    to: "POLLING",
    commands: ["query@3500"],
    check: (t) => expect(t.state).toMatchObject({ isPayRetryAllowed: true }),
  },
  {
    from: "SENDING",
    event: ev.payGatewaySystemError,
    dt: 500,
    to: "POLLING",
    commands: ["query@3500"],
    check: (t) => expect(t.state).toMatchObject({ isPayRetryAllowed: true }),
  },
  {
    from: "SENDING",
    event: ev.payInvalid,
    dt: 0,
    to: "FAILED",
    commands: ["release_hold"],
    check: (t) =>
      expect(t.state).toMatchObject({
        failureReason: "not_sent:AlipayValidationError",
      }),
  },
  {
    from: "SENDING",
    event: ev.payTimeout,
    dt: 95_000,
    to: "CANCELLING",
    commands: ["cancel@95000"],
  },
  {
    from: "SENDING",
    event: ev.cancelVisitor,
    dt: 500,
    to: "SENDING",
    commands: [],
    check: (t) =>
      expect(t.state).toMatchObject({
        isCancelRequested: true,
        cancelReason: "visitor",
      }),
  },
  {
    from: "SENDING",
    event: ev.nPaid,
    dt: 500,
    to: "PAID",
    commands: ["issue_tickets"],
    check: (t) => expect(t.state).toMatchObject({ paidAt: T0 + 2500 }),
  },
  {
    from: "SENDING",
    event: ev.nClosed,
    dt: 500,
    to: "FAILED",
    commands: ["release_hold"],
  },
  {
    from: "SENDING",
    event: ev.nWaiting,
    dt: 500,
    to: "SENDING",
    commands: [],
    ignored: true,
  },
  {
    from: "SENDING",
    event: ev.resume,
    dt: 60_000,
    to: "POLLING",
    commands: ["query@60000"],
    check: (t) => expect(t.state).toMatchObject({ isPayRetryAllowed: false }),
  },
  {
    from: "SENDING",
    event: ev.qPaid,
    dt: 500,
    to: "SENDING",
    commands: [],
    ignored: true,
  },
  // SENDING with a cancel request pending
  {
    from: "SENDING_CANCEL",
    event: ev.payWaiting,
    dt: 1000,
    to: "CANCELLING",
    commands: ["cancel@1000"],
    check: (t) =>
      expect(t.state).toMatchObject({
        cancelReason: "visitor",
        cancelAttempts: 1,
      }),
  },
  {
    from: "SENDING_CANCEL",
    event: ev.payPaid,
    dt: 1000,
    to: "CANCELLING",
    commands: ["cancel@1000"],
    check: (t) => expect(t.state).toMatchObject({ alipayTransId: "A1" }),
  },
  {
    from: "SENDING_CANCEL",
    event: ev.payFailed,
    dt: 1000,
    to: "FAILED",
    commands: ["release_hold"],
  },
  {
    from: "SENDING_CANCEL",
    event: ev.payTimeout,
    dt: 15_000,
    to: "CANCELLING",
    commands: ["cancel@15000"],
  },
  {
    from: "SENDING_CANCEL",
    event: ev.nPaid,
    dt: 500,
    to: "CANCELLING",
    commands: ["cancel@500"],
  },
  // POLLING
  {
    from: "POLLING",
    event: ev.qPaid,
    dt: 3500,
    to: "PAID",
    commands: ["issue_tickets"],
    check: (t) => expect(t.state).toMatchObject({ queryCount: 1 }),
  },
  {
    from: "POLLING",
    event: ev.qPaidWrongAmount,
    dt: 3500,
    to: "NEEDS_ATTENTION",
    commands: ["escalate:amount_mismatch"],
    check: (t) =>
      expect(t.state).toMatchObject({
        previousState: "POLLING",
        hasIssuedTickets: false,
      }),
  },
  {
    from: "POLLING",
    event: ev.qClosed,
    dt: 3500,
    to: "FAILED",
    commands: ["release_hold"],
    check: (t) => expect(t.state).toMatchObject({ failureReason: "closed" }),
  },
  {
    from: "POLLING",
    event: ev.qWaiting,
    dt: 3600,
    to: "POLLING",
    commands: ["query@7100"],
    check: (t) => expect(t.state).toMatchObject({ queryCount: 1, nextActionAt: T0 + 7100 }),
  },
  {
    from: "POLLING",
    event: ev.qUnknown,
    dt: 3600,
    to: "POLLING",
    commands: ["query@7100"],
  },
  {
    from: "POLLING",
    event: ev.qNotFound,
    dt: 3600,
    to: "POLLING",
    commands: ["query@7100"],
  },
  {
    from: "POLLING",
    event: ev.qError,
    dt: 3600,
    to: "POLLING",
    commands: ["query@7100"],
  },
  {
    from: "POLLING",
    event: ev.qWaiting,
    dt: 86_500,
    to: "CANCELLING",
    commands: ["cancel@86500"],
    check: (t) => expect(t.state).toMatchObject({ cancelReason: "deadline" }),
  },
  {
    from: "POLLING",
    event: ev.qWaiting,
    dt: 86_499,
    to: "POLLING",
    commands: ["query@89999"],
  },
  {
    from: "POLLING",
    event: ev.qError,
    dt: 88_000,
    to: "CANCELLING",
    commands: ["cancel@88000"],
  },
  {
    from: "POLLING",
    event: ev.cancelVisitor,
    dt: 5000,
    to: "CANCELLING",
    commands: ["cancel@5000"],
    check: (t) => expect(t.state).toMatchObject({ cancelReason: "visitor" }),
  },
  {
    from: "POLLING",
    event: ev.nPaid,
    dt: 5000,
    to: "PAID",
    commands: ["issue_tickets"],
  },
  {
    // A paid notification without amount and currency proves nothing: a person looks, no tickets.
    from: "POLLING",
    event: ev.nPaidBare,
    dt: 5000,
    to: "NEEDS_ATTENTION",
    commands: ["escalate:notification_unproven"],
    check: (t) => expect(t.state).toMatchObject({ hasIssuedTickets: false }),
  },
  {
    from: "POLLING",
    event: ev.nClosed,
    dt: 5000,
    to: "FAILED",
    commands: ["release_hold"],
  },
  {
    from: "POLLING",
    event: ev.nClosedBare,
    dt: 5000,
    to: "FAILED",
    commands: ["release_hold"],
  },
  {
    from: "POLLING",
    event: ev.nWaiting,
    dt: 5000,
    to: "POLLING",
    commands: [],
    ignored: true,
  },
  {
    // No amount, no currency, no trade id: it proves nothing, so a person looks.
    from: "POLLING",
    event: ev.nPaidNoId,
    dt: 5000,
    to: "NEEDS_ATTENTION",
    commands: ["escalate:notification_unproven"],
  },
  {
    from: "POLLING",
    event: ev.payPaid,
    dt: 5000,
    to: "PAID",
    commands: ["issue_tickets"],
  },
  {
    from: "POLLING",
    event: ev.payFailed,
    dt: 5000,
    to: "POLLING",
    commands: [],
    ignored: true,
  },
  {
    from: "POLLING",
    event: ev.payTimeout,
    dt: 5000,
    to: "POLLING",
    commands: [],
    ignored: true,
  },
  {
    from: "POLLING",
    event: ev.resume,
    dt: 1000,
    to: "POLLING",
    commands: ["query@3500"],
  },
  {
    from: "POLLING",
    event: ev.resume,
    dt: 20_000,
    to: "POLLING",
    commands: ["query@20000"],
  },
  {
    from: "POLLING",
    event: ev.resume,
    dt: 95_000,
    to: "CANCELLING",
    commands: ["cancel@95000"],
  },
  {
    from: "POLLING",
    event: ev.cOk,
    dt: 5000,
    to: "POLLING",
    commands: [],
    ignored: true,
  },
  // POLLING after SYSTEM_ERROR: not_found → resend pay with the SAME id
  {
    from: "POLLING_SYSERR",
    event: ev.qNotFound,
    dt: 3500,
    to: "POLLING",
    commands: ["pay@3500"],
    check: (t) => {
      expect(t.state).toMatchObject({
        isPayInFlight: true,
        payAttempts: 2,
        lastPaySentAt: T0 + 3500,
        nextActionAt: null,
      });
      expect(t.commands[0]).toMatchObject({ partnerTransId: ID, attempt: 2 });
    },
  },
  {
    from: "POLLING_SYSERR",
    event: ev.qWaiting,
    dt: 3500,
    to: "POLLING",
    commands: ["query@7000"],
  },
  {
    from: "POLLING_SYSERR",
    event: ev.qNotFound,
    dt: 90_000,
    to: "CANCELLING",
    commands: ["cancel@90000"],
  },
  // POLLING with a pay retry in flight
  {
    from: "POLLING_PAY_IN_FLIGHT",
    event: ev.payPaid,
    dt: 5000,
    to: "PAID",
    commands: ["issue_tickets"],
  },
  {
    from: "POLLING_PAY_IN_FLIGHT",
    event: ev.payFailed,
    dt: 5000,
    to: "FAILED",
    commands: ["release_hold"],
  },
  {
    from: "POLLING_PAY_IN_FLIGHT",
    event: ev.payWaiting,
    dt: 5000,
    to: "POLLING",
    commands: ["query@8000"],
    check: (t) =>
      expect(t.state).toMatchObject({
        isPayInFlight: false,
        isPayRetryAllowed: false,
      }),
  },
  {
    from: "POLLING_PAY_IN_FLIGHT",
    event: ev.paySystemError,
    dt: 5000,
    to: "POLLING",
    commands: ["query@8000"],
    check: (t) => expect(t.state).toMatchObject({ isPayRetryAllowed: true }),
  },
  {
    from: "POLLING_PAY_IN_FLIGHT",
    event: ev.payTimeout,
    dt: 20_000,
    to: "POLLING",
    commands: ["query@20000"],
    check: (t) => expect(t.state).toMatchObject({ isPayRetryAllowed: false }),
  },
  {
    from: "POLLING_PAY_IN_FLIGHT",
    event: ev.payRefused,
    dt: 5000,
    to: "POLLING",
    commands: ["query@8000"],
    check: (t) => expect(t.state).toMatchObject({ isPayRetryAllowed: true }),
  },
  {
    // A resend answered by a gateway-level SYSTEM_ERROR (MAPI is_success=F) may be resent
    // again, exactly like the OpenAPI SYSTEM_ERROR value above.
    from: "POLLING_PAY_IN_FLIGHT",
    event: ev.payGatewaySystemError,
    dt: 5000,
    to: "POLLING",
    commands: ["query@8000"],
    check: (t) => expect(t.state).toMatchObject({ isPayRetryAllowed: true }),
  },
  {
    from: "POLLING_PAY_IN_FLIGHT",
    event: ev.payInvalid,
    dt: 5000,
    to: "POLLING",
    commands: ["query@8000"],
    check: (t) => expect(t.state).toMatchObject({ isPayRetryAllowed: false }),
  },
  {
    from: "POLLING_PAY_IN_FLIGHT",
    event: ev.qWaiting,
    dt: 5000,
    to: "POLLING",
    commands: [],
    ignored: true,
  },
  {
    from: "POLLING_PAY_IN_FLIGHT",
    event: ev.qError,
    dt: 5000,
    to: "POLLING",
    commands: [],
    ignored: true,
  },
  {
    from: "POLLING_PAY_IN_FLIGHT",
    event: ev.qPaid,
    dt: 5000,
    to: "PAID",
    commands: ["issue_tickets"],
  },
  {
    from: "POLLING_PAY_IN_FLIGHT",
    event: ev.resume,
    dt: 30_000,
    to: "POLLING",
    commands: ["query@30000"],
    check: (t) =>
      expect(t.state).toMatchObject({
        isPayInFlight: false,
        isPayRetryAllowed: false,
      }),
  },
  // CANCELLING (entered at T0+2000, attempt 1, last pay sent at T0)
  {
    from: "CANCELLING",
    event: ev.cOk,
    dt: 3000,
    to: "CANCELLED",
    commands: ["release_hold"],
    check: (t) =>
      expect(t.state).toMatchObject({
        cancelOutcome: "cancelled",
        action: "refund",
        cancelReason: "visitor",
      }),
  },
  {
    from: "CANCELLING",
    event: ev.cOkBare,
    dt: 3000,
    to: "CANCELLED",
    commands: ["release_hold"],
  },
  {
    from: "CANCELLING",
    event: ev.cRetry,
    dt: 3000,
    to: "CANCELLING",
    commands: [`cancel@${3000 + backoffDelayMs(P.cancelBackoff, 1, `${ID}:cancel`)}`],
    check: (t) => expect(t.state).toMatchObject({ cancelAttempts: 2 }),
  },
  {
    from: "CANCELLING",
    event: ev.cRetryBare,
    dt: 3000,
    to: "CANCELLING",
    commands: [`cancel@${3000 + backoffDelayMs(P.cancelBackoff, 1, `${ID}:cancel`)}`],
  },
  {
    from: "CANCELLING",
    event: ev.cError,
    dt: 3000,
    to: "CANCELLING",
    commands: [`cancel@${3000 + backoffDelayMs(P.cancelBackoff, 1, `${ID}:cancel`)}`],
  },
  {
    from: "CANCELLING",
    event: ev.cFailed,
    dt: 3000,
    to: "NEEDS_ATTENTION",
    commands: ["escalate:cancel_refused"],
  },
  {
    from: "CANCELLING",
    event: ev.cNotFound,
    dt: 3000,
    to: "CANCELLING",
    commands: [`cancel@${3000 + backoffDelayMs(P.cancelBackoff, 1, `${ID}:cancel`)}`],
  },
  {
    from: "CANCELLING",
    event: ev.cNotFound,
    dt: 30_000,
    to: "CANCELLED",
    commands: ["release_hold"],
    check: (t) => expect(t.state).toMatchObject({ cancelOutcome: "not_found" }),
  },
  {
    // The cancel reverses it; remembered so that a later "no trade" answer is not believed.
    from: "CANCELLING",
    event: ev.qPaid,
    dt: 3000,
    to: "CANCELLING",
    commands: [],
    check: (t) =>
      expect(t.state).toMatchObject({
        hasPaidFact: true,
        hasIssuedTickets: false,
      }),
  },
  {
    // The cancel reverses it; remembered so that a later "no trade" answer is not believed.
    from: "CANCELLING",
    event: ev.nPaid,
    dt: 3000,
    to: "CANCELLING",
    commands: [],
    check: (t) =>
      expect(t.state).toMatchObject({
        hasPaidFact: true,
        hasIssuedTickets: false,
      }),
  },
  {
    from: "CANCELLING",
    event: ev.cancelVisitor,
    dt: 3000,
    to: "CANCELLING",
    commands: [],
    ignored: true,
  },
  {
    from: "CANCELLING",
    event: ev.resume,
    dt: 1000,
    to: "CANCELLING",
    commands: ["cancel@2000"],
  },
  {
    from: "CANCELLING",
    event: ev.resume,
    dt: 9000,
    to: "CANCELLING",
    commands: ["cancel@9000"],
  },
  // PAID
  {
    from: "PAID",
    event: ev.refundReq,
    dt: 60_000,
    to: "REFUNDING",
    commands: ["refund@60000"],
    check: (t) => {
      expect(t.state).toMatchObject({
        resumeState: "PAID",
        refund: {
          partnerRefundId: `${ID}R1`,
          amountMinor: 500,
          attempts: 1,
          reason: "staff",
        },
      });
      expect(t.commands[0]).toMatchObject({
        partnerRefundId: `${ID}R1`,
        amountMinor: 500,
        attempt: 1,
        reason: "staff",
      });
    },
  },
  {
    from: "PAID",
    event: ev.refundReqFull,
    dt: 60_000,
    to: "REFUNDING",
    commands: ["refund@60000"],
  },
  {
    from: "PAID",
    event: ev.refundReqTooMuch,
    dt: 60_000,
    to: "PAID",
    commands: [],
    ignored: true,
  },
  {
    from: "PAID",
    event: ev.refundReqZero,
    dt: 60_000,
    to: "PAID",
    commands: [],
    ignored: true,
  },
  {
    from: "PAID",
    event: ev.refundReqSameId,
    dt: 60_000,
    to: "PAID",
    commands: [],
    ignored: true,
  },
  {
    from: "PAID",
    event: ev.qPaid,
    dt: 5000,
    to: "PAID",
    commands: [],
    ignored: true,
  },
  {
    from: "PAID",
    event: ev.nPaid,
    dt: 5000,
    to: "PAID",
    commands: [],
    ignored: true,
  },
  {
    from: "PAID",
    event: ev.qClosed,
    dt: 5000,
    to: "NEEDS_ATTENTION",
    commands: ["escalate:closed_after_paid"],
  },
  {
    from: "PAID",
    event: ev.nClosed,
    dt: 5000,
    to: "NEEDS_ATTENTION",
    commands: ["escalate:closed_after_paid"],
  },
  {
    from: "PAID",
    event: ev.cancelVisitor,
    dt: 5000,
    to: "PAID",
    commands: [],
    ignored: true,
  },
  {
    from: "PAID",
    event: ev.resume,
    dt: 5000,
    to: "PAID",
    commands: [],
    ignored: true,
  },
  // REFUNDING (requested at T0+60000)
  {
    from: "REFUNDING",
    event: ev.rOk,
    dt: 61_000,
    to: "PARTIALLY_REFUNDED",
    commands: [],
    check: (t) => expect(t.state).toMatchObject({ refundedMinor: 500 }),
  },
  {
    from: "REFUNDING",
    event: ev.rOkOther,
    dt: 61_000,
    to: "REFUNDING",
    commands: [],
    ignored: true,
  },
  {
    from: "REFUNDING",
    event: ev.rFailed,
    dt: 61_000,
    to: "NEEDS_ATTENTION",
    commands: ["escalate:refund_refused"],
    check: (t) => expect(t.state).toMatchObject({ refund: { partnerRefundId: `${ID}R1` } }),
  },
  {
    from: "REFUNDING",
    event: ev.rUnknown,
    dt: 61_000,
    to: "REFUNDING",
    commands: [`refund@${61_000 + backoffDelayMs(P.refundBackoff, 1, `${ID}R1:refund`)}`],
    check: (t) => {
      expect(t.state).toMatchObject({ refund: { attempts: 2 } });
      expect(t.commands[0]).toMatchObject({
        partnerRefundId: `${ID}R1`,
        attempt: 2,
      });
    },
  },
  {
    from: "REFUNDING",
    event: ev.rError,
    dt: 61_000,
    to: "REFUNDING",
    commands: [`refund@${61_000 + backoffDelayMs(P.refundBackoff, 1, `${ID}R1:refund`)}`],
  },
  {
    from: "REFUNDING",
    event: ev.rErrorOther,
    dt: 61_000,
    to: "REFUNDING",
    commands: [],
    ignored: true,
  },
  {
    from: "REFUNDING",
    event: ev.refundReq,
    dt: 61_000,
    to: "REFUNDING",
    commands: [],
    ignored: true,
  },
  {
    from: "REFUNDING",
    event: ev.resume,
    dt: 70_000,
    to: "REFUNDING",
    commands: ["refund@70000"],
  },
  // PARTIALLY_REFUNDED (500 of 1500 refunded)
  {
    from: "PARTIALLY_REFUNDED",
    event: { ...ev.refundReq, partnerRefundId: `${ID}R2`, amountMinor: 1000 },
    dt: 70_000,
    to: "REFUNDING",
    commands: ["refund@70000"],
    check: (t) => expect(t.state).toMatchObject({ resumeState: "PARTIALLY_REFUNDED" }),
  },
  {
    from: "PARTIALLY_REFUNDED",
    event: { ...ev.refundReq, partnerRefundId: `${ID}R2`, amountMinor: 1001 },
    dt: 70_000,
    to: "PARTIALLY_REFUNDED",
    commands: [],
    ignored: true,
  },
  {
    from: "PARTIALLY_REFUNDED",
    event: ev.qClosed,
    dt: 70_000,
    to: "PARTIALLY_REFUNDED",
    commands: [],
    ignored: true,
  },
  // Terminal states
  {
    from: "FAILED",
    event: ev.qPaid,
    dt: 5000,
    to: "NEEDS_ATTENTION",
    commands: ["escalate:paid_after_failed"],
  },
  {
    from: "FAILED",
    event: ev.nPaid,
    dt: 5000,
    to: "NEEDS_ATTENTION",
    commands: ["escalate:paid_after_failed"],
  },
  {
    from: "FAILED",
    event: ev.payPaid,
    dt: 5000,
    to: "NEEDS_ATTENTION",
    commands: ["escalate:paid_after_failed"],
  },
  {
    from: "FAILED",
    event: ev.qClosed,
    dt: 5000,
    to: "FAILED",
    commands: [],
    ignored: true,
  },
  {
    from: "CANCELLED",
    event: ev.nPaid,
    dt: 5000,
    to: "CANCELLED",
    commands: [],
    ignored: true,
  },
  {
    from: "CANCELLED",
    event: ev.qWaiting,
    dt: 5000,
    to: "CANCELLED",
    commands: [],
    ignored: true,
  },
  {
    from: "CANCELLED_NOT_FOUND",
    event: ev.nPaid,
    dt: 50_000,
    to: "NEEDS_ATTENTION",
    commands: ["escalate:paid_after_cancelled"],
  },
  {
    from: "CANCELLED_NOT_FOUND",
    event: ev.nClosed,
    dt: 50_000,
    to: "CANCELLED",
    commands: [],
    ignored: true,
  },
  {
    from: "REFUNDED",
    event: ev.refundReq,
    dt: 70_000,
    to: "REFUNDED",
    commands: [],
    ignored: true,
  },
  {
    from: "REFUNDED",
    event: ev.qClosed,
    dt: 70_000,
    to: "REFUNDED",
    commands: [],
    ignored: true,
  },
  // NEEDS_ATTENTION: staff resolve
  {
    from: "NEEDS_ATTENTION",
    event: ev.qPaid,
    dt: 5000,
    to: "NEEDS_ATTENTION",
    commands: [],
    ignored: true,
  },
  {
    from: "NEEDS_ATTENTION",
    event: {
      type: "staff_resolved",
      resolution: { to: "PAID", alipayTransId: "A9" },
      note: "seen in portal",
    },
    dt: 5000,
    to: "PAID",
    commands: ["issue_tickets"],
    check: (t) => expect(t.state).toMatchObject({ alipayTransId: "A9", paidAt: T0 + 5000 }),
  },
  {
    from: "NEEDS_ATTENTION",
    event: {
      type: "staff_resolved",
      resolution: { to: "FAILED" },
      note: "never paid",
    },
    dt: 5000,
    to: "FAILED",
    commands: ["release_hold"],
    check: (t) => expect(t.state).toMatchObject({ failureReason: "staff: never paid" }),
  },
  {
    from: "NEEDS_ATTENTION",
    event: {
      type: "staff_resolved",
      resolution: { to: "CANCELLED" },
      note: "reversed by hand",
    },
    dt: 5000,
    to: "CANCELLED",
    commands: ["release_hold"],
    check: (t) => {
      // Not Alipay's proof of a cancel: a paid fact after it is never ignored.
      const late = transition(t.state, ev.nPaid, P, T0 + 9000);
      expect(late.state).toMatchObject({
        state: "NEEDS_ATTENTION",
        attentionReason: "paid_after_cancelled",
      });
    },
  },
  {
    from: "NEEDS_ATTENTION",
    event: {
      type: "staff_resolved",
      resolution: { to: "CANCELLING" },
      note: "try again",
    },
    dt: 5000,
    to: "CANCELLING",
    commands: ["cancel@5000"],
    check: (t) =>
      expect(t.state).toMatchObject({
        cancelAttempts: 1,
        cancelReason: "staff",
      }),
  },
  {
    from: "NEEDS_ATTENTION",
    event: {
      type: "staff_resolved",
      resolution: { to: "REFUNDED", refundedMinor: 1500 },
      note: "portal",
    },
    dt: 5000,
    to: "REFUNDED",
    commands: [],
  },
  {
    from: "NEEDS_ATTENTION",
    event: {
      type: "staff_resolved",
      resolution: { to: "PARTIALLY_REFUNDED", refundedMinor: 1501 },
      note: "x",
    },
    dt: 5000,
    to: "NEEDS_ATTENTION",
    commands: [],
    ignored: true,
  },
  {
    from: "NEEDS_ATTENTION",
    event: {
      type: "staff_resolved",
      resolution: { to: "REFUNDING" },
      note: "x",
    },
    dt: 5000,
    to: "NEEDS_ATTENTION",
    commands: [],
    ignored: true,
  },
  {
    from: "NEEDS_ATTENTION_REFUND",
    event: {
      type: "staff_resolved",
      resolution: { to: "REFUNDING" },
      note: "retry",
    },
    dt: 90_000,
    to: "REFUNDING",
    commands: ["refund@90000"],
    check: (t) =>
      expect(t.state).toMatchObject({
        resumeState: "PAID",
        refund: { attempts: 1 },
      }),
  },
  {
    from: "NEEDS_ATTENTION_REFUND",
    event: {
      type: "staff_resolved",
      resolution: { to: "PAID" },
      note: "refund abandoned",
    },
    dt: 90_000,
    to: "PAID",
    commands: [],
  },
  {
    from: "NEEDS_ATTENTION_REFUND",
    event: { type: "staff_resolved", resolution: { to: "FAILED" }, note: "x" },
    dt: 90_000,
    to: "FAILED",
    commands: [],
  },
  {
    from: "NEEDS_ATTENTION_REFUND",
    event: {
      type: "staff_resolved",
      resolution: { to: "CANCELLED" },
      note: "x",
    },
    dt: 90_000,
    to: "CANCELLED",
    commands: [],
  },
  {
    from: "NEEDS_ATTENTION_REFUND",
    event: {
      type: "staff_resolved",
      resolution: { to: "PARTIALLY_REFUNDED", refundedMinor: 500 },
      note: "x",
    },
    dt: 90_000,
    to: "PARTIALLY_REFUNDED",
    commands: [],
  },
];

describe("payment machine transitions", () => {
  it.each(
    rows.map(
      (r) =>
        [
          `${r.from} + ${r.event.type}${"result" in r.event ? `(${r.event.result.status})` : "fact" in r.event ? `(${r.event.fact.status})` : ""} @+${r.dt}ms → ${r.to} [${r.commands.join(", ")}]`,
          r,
        ] as const,
    ),
  )("%s", (_name, row) => {
    const from = reach(row.from);
    const t = transition(from, row.event, P, T0 + row.dt);
    expect(t.state.state).toBe(row.to);
    expect(summarise(t)).toEqual(row.commands);
    expect(t.ignored !== undefined).toBe(row.ignored ?? false);
    if (row.ignored) expect(t.state).toBe(from);
    expect(JSON.parse(JSON.stringify(t.state))).toEqual(t.state);
    row.check?.(t);
  });

  it("covers every state name as a source", () => {
    const sources = new Set(rows.map((r) => reach(r.from).state));
    expect([...sources].sort()).toEqual([...PAYMENT_STATE_NAMES].sort());
  });
});

describe("notifications prove what they settle", () => {
  const paid = (fact: Partial<NotificationFact>): PaymentEvent => ({
    type: "notification",
    fact: { ...ev.nPaid.fact, ...fact },
  });
  it.each([
    [
      "without a currency",
      paid({ amountMinor: 1, currency: undefined }),
      /^notification_unproven: .*without a currency/,
    ],
    ["without an amount", paid({ amountMinor: undefined }), /^notification_unproven: .*no amount/],
    ["for another amount", paid({ amountMinor: 1 }), /^notification_unproven: .*1 SGD, expected 1500 SGD/],
    ["in another currency", paid({ currency: "USD" }), /expected 1500 SGD/],
    [
      "naming another merchant",
      paid({ foreignIdentity: "partner 2088999999999999 is not ours" }),
      /^notification_unproven: partner 2088999999999999/,
    ],
  ])("a paid notification %s goes to NEEDS_ATTENTION with the reason, never ticketed", (_n, event, reason) => {
    for (const from of ["SENDING", "POLLING", "POLLING_PAY_IN_FLIGHT", "SENDING_CANCEL", "CANCELLING"] as const) {
      const t = transition(reach(from), event, P, T0 + 5000);
      expect(t.state).toMatchObject({
        state: "NEEDS_ATTENTION",
        hasIssuedTickets: false,
      });
      expect(t.state.state === "NEEDS_ATTENTION" && t.state.attentionReason).toMatch(reason);
      expect(t.commands.map((c) => c.type)).toEqual(["escalate"]);
    }
  });

  it("a closed notification naming another merchant does not close ours", () => {
    const t = transition(
      reach("POLLING"),
      {
        type: "notification",
        fact: {
          status: "closed",
          foreignIdentity: "app_id 2021999999999999 is not ours",
        },
      },
      P,
      T0 + 5000,
    );
    expect(t.state).toMatchObject({
      state: "NEEDS_ATTENTION",
      attentionReason: "notification_unproven: app_id 2021999999999999 is not ours",
    });
    expect(t.commands.map((c) => c.type)).toEqual(["escalate"]);
  });

  it("a foreign trade id is not written into our payment", () => {
    const t = transition(
      reach("SENDING"),
      paid({
        alipayTransId: "THEIRS",
        foreignIdentity: "seller_id 2088999999999999 is not ours",
      }),
      P,
      T0 + 5000,
    );
    expect(t.state.alipayTransId).toBeUndefined();
  });

  it("a paid notification after FAILED or a no-trade cancel says why it is unproven", () => {
    const t = transition(reach("CANCELLED_NOT_FOUND"), paid({ currency: undefined }), P, T0 + 60_000);
    expect(t.state).toMatchObject({ state: "NEEDS_ATTENTION" });
    expect(t.state.state === "NEEDS_ATTENTION" && t.state.attentionReason).toMatch(
      /^paid_after_cancelled; notification_unproven/,
    );
  });

  it("the honest notification still settles", () => {
    expect(transition(reach("POLLING"), ev.nPaid, P, T0 + 5000)).toMatchObject({
      state: { state: "PAID", hasIssuedTickets: true },
      commands: [{ type: "issue_tickets" }],
    });
  });
});

describe("a cancel that found no trade is not forgotten", () => {
  it("a paid fact during CANCELLING is remembered: a later 'no trade' answer retries the cancel instead of closing", () => {
    let s = reach("CANCELLING"); // pay sent at T0, cancel pressed at +2 s
    s = transition(s, ev.nPaid, P, T0 + 50_000).state;
    expect(s.state).toBe("CANCELLING");
    const t = transition(s, ev.cNotFound, P, T0 + 51_000); // outside the in-flight window
    expect(t.state.state).toBe("CANCELLING");
    expect(summarise(t)).toEqual([expect.stringMatching(/^cancel@/)]);
  });

  it("when the retries are spent after such a paid fact, a person looks", () => {
    let s = reach("CANCELLING");
    s = transition(s, ev.qPaid, P, T0 + 50_000).state;
    let t = transition(s, ev.cNotFound, P, T0 + 51_000);
    for (let i = 0; i < P.maxCancelAttempts && t.state.state === "CANCELLING"; i++)
      t = transition(t.state, ev.cNotFound, P, T0 + 60_000 + i * 60_000);
    expect(t.state).toMatchObject({ state: "NEEDS_ATTENTION" });
    expect(t.state.state === "NEEDS_ATTENTION" && t.state.attentionReason).toMatch(
      /^cancel_retries_exhausted: not_found after a paid fact/,
    );
  });

  it("a late paid query answer after a no-trade cancel escalates", () => {
    const t = transition(reach("CANCELLED_NOT_FOUND"), ev.qPaid, P, T0 + 90_000);
    expect(t.state).toMatchObject({
      state: "NEEDS_ATTENTION",
      attentionReason: "paid_after_cancelled",
    });
  });
});

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
