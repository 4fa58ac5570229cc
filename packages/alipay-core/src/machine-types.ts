/** The payment machine's state names, states, events and commands (plain JSON). */
import { AlipayError, mayHaveReachedGateway } from "./errors.ts";
import type { CancelResult, PayResult, QueryResult, RefundQueryResult, RefundResult } from "./types.ts";

// ---------------------------------------------------------------------------
// State names
// ---------------------------------------------------------------------------

/** Every state name, in table order. Stored as strings by the database. */
export const PAYMENT_STATE_NAMES = [
  "SENDING",
  "POLLING",
  "CANCELLING",
  "PAID",
  "REFUNDING",
  "FAILED",
  "CANCELLED",
  "REFUNDED",
  "PARTIALLY_REFUNDED",
  "NEEDS_ATTENTION",
] as const;

export type PaymentStateName = (typeof PAYMENT_STATE_NAMES)[number];

/** States with nothing left to do (ARCHITECTURE: terminal). */
export const TERMINAL_STATE_NAMES: readonly PaymentStateName[] = ["FAILED", "CANCELLED", "REFUNDED"];

/** States where the worker has nothing scheduled (terminal, or waiting for a person / a refund request). */
export const SETTLED_STATE_NAMES: readonly PaymentStateName[] = [
  "PAID",
  "FAILED",
  "CANCELLED",
  "REFUNDED",
  "PARTIALLY_REFUNDED",
  "NEEDS_ATTENTION",
];

export function isPaymentStateName(value: string): value is PaymentStateName {
  return (PAYMENT_STATE_NAMES as readonly string[]).includes(value);
}

// ---------------------------------------------------------------------------
// States
// ---------------------------------------------------------------------------

export type CancelReason = "deadline" | "visitor" | "staff" | "system";

export type PendingRefund = {
  partnerRefundId: string;
  amountMinor: number;
  reason?: string;
  /** Attempts sent so far. */
  attempts: number;
  /**
   * Set once Alipay accepted the refund without moving money (`accepted`): the refund is
   * confirmed by refund queries, not resent. `since` = acceptance time, `queries` = sent.
   */
  confirm?: { since: number; queries: number };
};

export type Common = {
  partnerTransId: string;
  amountMinor: number;
  currency: string;
  createdAt: number;
  deadlineAt: number;
  /** Pay requests sent (1 = the original). */
  payAttempts: number;
  lastPaySentAt: number;
  queryCount: number;
  cancelAttempts: number;
  /** When the scheduled command is due; `null` when nothing is scheduled or a request is in flight. */
  nextActionAt: number | null;
  alipayTransId?: string;
  paidAt?: number;
  refundedMinor: number;
  hasIssuedTickets: boolean;
};

export type PaymentState =
  | (Common & {
      state: "SENDING";
      isCancelRequested: boolean;
      cancelReason?: CancelReason;
    })
  | (Common & {
      state: "POLLING";
      isPayRetryAllowed: boolean;
      isPayInFlight: boolean;
    })
  | (Common & {
      state: "CANCELLING";
      cancelReason: CancelReason;
      /** A verified paid fact arrived while cancelling: a "no trade" answer is then not believed. */
      hasPaidFact?: boolean;
    })
  | (Common & { state: "PAID" })
  | (Common & {
      state: "REFUNDING";
      refund: PendingRefund;
      resumeState: "PAID" | "PARTIALLY_REFUNDED";
    })
  | (Common & { state: "FAILED"; failureReason: string })
  | (Common & {
      state: "CANCELLED";
      cancelReason: CancelReason;
      cancelOutcome: "cancelled" | "not_found";
      action?: "close" | "refund";
    })
  | (Common & { state: "REFUNDED" })
  | (Common & { state: "PARTIALLY_REFUNDED" })
  | (Common & {
      state: "NEEDS_ATTENTION";
      attentionReason: string;
      previousState: PaymentStateName;
      refund?: PendingRefund;
    });

// ---------------------------------------------------------------------------
// Events and commands
// ---------------------------------------------------------------------------

/** Serializable description of a thrown client error. */
export type ErrorInfo = {
  name: string;
  isRetryable: boolean;
  /** `false` only when the request certainly never reached Alipay. */
  mayHaveReachedGateway: boolean;
  /** Gateway code, e.g. `SYSTEM_ERROR`, when known. */
  reason?: string;
};

/** Describes a caught error for an event. */
export function toErrorInfo(error: unknown): ErrorInfo {
  const info: ErrorInfo = {
    name: error instanceof Error ? error.name : "UnknownError",
    isRetryable: error instanceof AlipayError ? error.isRetryable : false,
    mayHaveReachedGateway: mayHaveReachedGateway(error),
  };
  const code = (error as { gatewayCode?: unknown } | null)?.gatewayCode;
  if (typeof code === "string") info.reason = code;
  return info;
}

/** Facts from a verified notification. */
export type NotificationFact = {
  status: "paid" | "closed" | "waiting_buyer" | "finished" | "other";
  alipayTransId?: string | undefined;
  amountMinor?: number | undefined;
  currency?: string | undefined;
  /** The amount as sent, for the reason when it cannot be read. */
  amountText?: string | undefined;
  /** A merchant identity the notification names that is not ours (`VerifiedNotification.foreignIdentity`). */
  foreignIdentity?: string | undefined;
  paidAtMs?: number | undefined;
};

export type StaffResolution =
  | { to: "PAID"; alipayTransId?: string }
  | { to: "FAILED" | "CANCELLED" }
  | { to: "REFUNDED" | "PARTIALLY_REFUNDED"; refundedMinor: number }
  | { to: "CANCELLING" }
  | { to: "REFUNDING" };

export type PaymentEvent =
  | { type: "pay_result"; result: PayResult }
  | { type: "pay_error"; error: ErrorInfo }
  | { type: "query_result"; result: QueryResult }
  | { type: "query_error"; error: ErrorInfo }
  | { type: "cancel_result"; result: CancelResult }
  | { type: "cancel_error"; error: ErrorInfo }
  | {
      type: "refund_requested";
      partnerRefundId: string;
      amountMinor: number;
      reason?: string;
    }
  | { type: "refund_result"; result: RefundResult }
  | { type: "refund_error"; partnerRefundId: string; error: ErrorInfo }
  | { type: "refund_query_result"; result: RefundQueryResult }
  | { type: "refund_query_error"; partnerRefundId: string; error: ErrorInfo }
  | { type: "notification"; fact: NotificationFact }
  | { type: "cancel_requested"; by: CancelReason }
  /** After a restart / lease takeover: re-issue whatever the state needs. */
  | { type: "resume" }
  | { type: "staff_resolved"; resolution: StaffResolution; note: string };

export type PaymentCommand =
  | { type: "pay"; at: number; partnerTransId: string; attempt: number }
  | { type: "query"; at: number; partnerTransId: string }
  | { type: "cancel"; at: number; partnerTransId: string; attempt: number }
  | {
      type: "refund";
      at: number;
      partnerTransId: string;
      partnerRefundId: string;
      amountMinor: number;
      reason?: string;
      attempt: number;
    }
  | {
      type: "refund_query";
      at: number;
      partnerTransId: string;
      partnerRefundId: string;
      amountMinor: number;
    }
  | { type: "issue_tickets" }
  | { type: "release_hold" }
  | { type: "escalate"; reason: string };

export type Transition = {
  state: PaymentState;
  commands: PaymentCommand[];
  /** Set when the event changed nothing: why (stale result, invalid request, …). */
  ignored?: string;
};

export type StartPaymentInput = {
  partnerTransId: string;
  amountMinor: number;
  currency: string;
};
