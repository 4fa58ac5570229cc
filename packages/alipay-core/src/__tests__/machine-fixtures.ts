/** Fixtures of the payment machine tests: the policy, clock origin, events and `reach(state)`. */
import { AlipayGatewayError, AlipayNetworkError, AlipayTimeoutError, AlipayValidationError } from "../errors.ts";
import {
  DEFAULT_PAYMENT_POLICY,
  startPayment,
  transition,
  type PaymentEvent,
  type PaymentState,
  type Transition,
} from "../payment-machine.ts";

export const P = DEFAULT_PAYMENT_POLICY;
export const ID = "K20240101120000abcd";
export const T0 = Date.UTC(2024, 0, 1, 4, 0, 0);

export const trade = {
  partnerTransId: ID,
  alipayTransId: "A1",
  paidAt: new Date(T0 + 2000),
  amountMinor: 1500,
  currency: "SGD",
};
export const ev = {
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
export function reach(
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

export type Row = {
  from: Parameters<typeof reach>[0];
  event: PaymentEvent;
  dt: number;
  to: PaymentState["state"];
  commands: string[];
  ignored?: boolean;
  check?: (t: Transition) => void;
};

export function summarise(t: Transition): string[] {
  return t.commands.map((c) =>
    "at" in c ? `${c.type}@${c.at - T0}` : c.type === "escalate" ? `escalate:${c.reason.split(":")[0]}` : c.type,
  );
}
