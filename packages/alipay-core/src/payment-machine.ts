/**
 * The payment state machine of ARCHITECTURE.md as pure code:
 * `transition(state, event, policy, now) → { state, commands }`.
 *
 * No timers, no I/O, no randomness (jitter is a hash of the ids), no knowledge of orders or
 * databases. States are plain JSON (store them as `machineState`); state names are the
 * strings the database stores. Commands with `at` are "do this at epoch-ms `at`".
 */
import { z } from "zod";
import { unitHash } from "./unit-hash.ts";
import { AlipayError, mayHaveReachedGateway } from "./errors.ts";
import type { CancelResult, PaidTrade, PayResult, QueryResult, RefundQueryResult, RefundResult } from "./types.ts";
import {
  DEFAULT_REFUND_PAUSE_WINDOW,
  isInRefundPauseWindow,
  RefundPauseWindowSchema,
  refundSendAt,
} from "./refund-window.ts";

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
// Policy
// ---------------------------------------------------------------------------

const BackoffSchema = z.strictObject({
  /** First retry delay. */
  baseMs: z.number().int().positive(),
  /** Upper clamp of any delay. */
  maxMs: z.number().int().positive(),
  /** Fraction of the delay removed at random-looking (deterministic) jitter, 0–1. */
  jitterRatio: z.number().min(0).max(1),
});

export type Backoff = z.infer<typeof BackoffSchema>;

export const PaymentPolicySchema = z.strictObject({
  /** First query after the pay request was sent. @default 3500 (3–4 s) */
  firstQueryDelayMs: z.number().int().nonnegative(),
  /** Between queries while WAIT_BUYER_PAY / unknown. @default 3500 (3–4 s) */
  queryIntervalMs: z.number().int().positive(),
  /** From payment start; no query is scheduled at or after it, cancel follows the last query. @default 90000 */
  paymentDeadlineMs: z.number().int().positive(),
  /** Pay resends (same partner_trans_id) after SYSTEM_ERROR once a query proves no trade exists. @default 2 */
  maxPayRetries: z.number().int().nonnegative(),
  /** A cancel answering "no such trade" this soon after the last pay send is retried (the pay may still land). @default 30000 */
  payInFlightWindowMs: z.number().int().nonnegative(),
  /** Cancel back-off. @default { baseMs: 2000, maxMs: 30000, jitterRatio: 0.2 } */
  cancelBackoff: BackoffSchema,
  /** Total cancel attempts before NEEDS_ATTENTION. @default 6 */
  maxCancelAttempts: z.number().int().positive(),
  /** Refund back-off (same partner_refund_id). @default { baseMs: 2000, maxMs: 60000, jitterRatio: 0.2 } */
  refundBackoff: BackoffSchema,
  /** Total refund attempts before NEEDS_ATTENTION. @default 5 */
  maxRefundAttempts: z.number().int().positive(),
  /** First refund query after Alipay accepted a refund without moving money (docs: ≥ 10 s). @default 10000 */
  refundConfirmFirstDelayMs: z.number().int().nonnegative(),
  /** Back-off between refund queries while the money has not moved. @default { baseMs: 10000, maxMs: 600000, jitterRatio: 0.2 } */
  refundConfirmBackoff: BackoffSchema,
  /** From the acceptance; an unconfirmed refund then goes to NEEDS_ATTENTION. @default 129600000 (36 h) */
  refundConfirmDeadlineMs: z.number().int().positive(),
  /** Nightly window in which refunds are held, not sent; `null` = never. @default 00:00–01:30 UTC+8 */
  refundPauseWindow: RefundPauseWindowSchema.nullable(),
});

export type PaymentPolicy = z.infer<typeof PaymentPolicySchema>;

/** The seed's numbers. */
export const DEFAULT_PAYMENT_POLICY: PaymentPolicy = Object.freeze({
  firstQueryDelayMs: 3_500,
  queryIntervalMs: 3_500,
  paymentDeadlineMs: 90_000,
  maxPayRetries: 2,
  payInFlightWindowMs: 30_000,
  cancelBackoff: Object.freeze({
    baseMs: 2_000,
    maxMs: 30_000,
    jitterRatio: 0.2,
  }),
  maxCancelAttempts: 6,
  refundBackoff: Object.freeze({
    baseMs: 2_000,
    maxMs: 60_000,
    jitterRatio: 0.2,
  }),
  maxRefundAttempts: 5,
  refundConfirmFirstDelayMs: 10_000,
  refundConfirmBackoff: Object.freeze({
    baseMs: 10_000,
    maxMs: 600_000,
    jitterRatio: 0.2,
  }),
  refundConfirmDeadlineMs: 36 * 3_600_000,
  refundPauseWindow: DEFAULT_REFUND_PAUSE_WINDOW,
}) as PaymentPolicy;

/** Merges overrides into the defaults and validates. @throws z.ZodError on invalid numbers. */
export function resolvePaymentPolicy(overrides: Partial<PaymentPolicy> = {}): PaymentPolicy {
  return PaymentPolicySchema.parse({ ...DEFAULT_PAYMENT_POLICY, ...overrides });
}

/**
 * Delay before attempt `attempt + 1`, given `attempt` attempts made (≥1): exponential
 * `baseMs · 2^(attempt-1)`, clamped to `maxMs`, minus up to `jitterRatio` of it.
 */
export function backoffDelayMs(backoff: Backoff, attempt: number, seed: string): number {
  const raw = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = raw * (1 - backoff.jitterRatio * unitHash(`${seed}:${attempt}`));
  return Math.max(0, Math.min(backoff.maxMs, Math.round(jittered)));
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

type Common = {
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

// ---------------------------------------------------------------------------
// Construction
// ---------------------------------------------------------------------------

export type StartPaymentInput = {
  partnerTransId: string;
  amountMinor: number;
  currency: string;
};

/** The SENDING state (write it and commit BEFORE executing the `pay` command). */
export function startPayment(input: StartPaymentInput, policy: PaymentPolicy, now: number): Transition {
  if (!Number.isSafeInteger(input.amountMinor) || input.amountMinor <= 0) {
    throw new RangeError(`Payment ${input.partnerTransId}: amountMinor must be a positive integer`);
  }
  const state: PaymentState = {
    state: "SENDING",
    isCancelRequested: false,
    partnerTransId: input.partnerTransId,
    amountMinor: input.amountMinor,
    currency: input.currency,
    createdAt: now,
    deadlineAt: now + policy.paymentDeadlineMs,
    payAttempts: 1,
    lastPaySentAt: now,
    queryCount: 0,
    cancelAttempts: 0,
    nextActionAt: null,
    refundedMinor: 0,
    hasIssuedTickets: false,
  };
  return {
    state,
    commands: [
      {
        type: "pay",
        at: now,
        partnerTransId: input.partnerTransId,
        attempt: 1,
      },
    ],
  };
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function commonOf(s: PaymentState): Common {
  const {
    partnerTransId,
    amountMinor,
    currency,
    createdAt,
    deadlineAt,
    payAttempts,
    lastPaySentAt,
    queryCount,
    cancelAttempts,
    nextActionAt,
    alipayTransId,
    paidAt,
    refundedMinor,
    hasIssuedTickets,
  } = s;
  const c: Common = {
    partnerTransId,
    amountMinor,
    currency,
    createdAt,
    deadlineAt,
    payAttempts,
    lastPaySentAt,
    queryCount,
    cancelAttempts,
    nextActionAt,
    refundedMinor,
    hasIssuedTickets,
  };
  if (alipayTransId !== undefined) c.alipayTransId = alipayTransId;
  if (paidAt !== undefined) c.paidAt = paidAt;
  return c;
}

const ignore = (state: PaymentState, why: string): Transition => ({
  state,
  commands: [],
  ignored: why,
});

function needsAttention(s: PaymentState, reason: string, extra: { refund?: PendingRefund } = {}): Transition {
  const state: PaymentState = {
    ...commonOf(s),
    state: "NEEDS_ATTENTION",
    attentionReason: reason,
    previousState: s.state,
    nextActionAt: null,
    ...extra,
  };
  return { state, commands: [{ type: "escalate", reason }] };
}

function failed(s: PaymentState, reason: string): Transition {
  return {
    state: {
      ...commonOf(s),
      state: "FAILED",
      failureReason: reason,
      nextActionAt: null,
    },
    commands: [{ type: "release_hold" }],
  };
}

function withTransId(c: Common, alipayTransId: string | undefined): Common {
  return alipayTransId === undefined ? c : { ...c, alipayTransId };
}

/** A verified "paid" fact: tickets, unless the amount does not match (then a person looks). */
function paid(
  s: PaymentState,
  trade: Pick<PaidTrade, "alipayTransId" | "amountMinor" | "currency"> & {
    paidAtMs?: number | undefined;
  },
  now: number,
): Transition {
  const base = withTransId(commonOf(s), trade.alipayTransId);
  if (trade.amountMinor !== s.amountMinor || trade.currency !== s.currency) {
    return needsAttention(
      { ...s, ...base },
      `amount_mismatch: paid ${trade.amountMinor} ${trade.currency}, expected ${s.amountMinor} ${s.currency}`,
    );
  }
  return {
    state: {
      ...base,
      state: "PAID",
      paidAt: trade.paidAtMs ?? now,
      nextActionAt: null,
      hasIssuedTickets: true,
    },
    commands: [{ type: "issue_tickets" }],
  };
}

function cancelling(s: PaymentState, reason: CancelReason, now: number): Transition {
  const attempt = s.cancelAttempts + 1;
  return {
    state: {
      ...commonOf(s),
      state: "CANCELLING",
      cancelReason: reason,
      cancelAttempts: attempt,
      nextActionAt: now,
    },
    commands: [{ type: "cancel", at: now, partnerTransId: s.partnerTransId, attempt }],
  };
}

/** Next query at `at`, or — if that is at/after the deadline — cancel right away. */
function pollOrCancel(
  s: PaymentState,
  extra: { isPayRetryAllowed: boolean; alipayTransId?: string | undefined },
  at: number,
  now: number,
): Transition {
  const base = withTransId(commonOf(s), extra.alipayTransId);
  if (at >= s.deadlineAt) return cancelling({ ...s, ...base }, "deadline", now);
  return {
    state: {
      ...base,
      state: "POLLING",
      isPayRetryAllowed: extra.isPayRetryAllowed,
      isPayInFlight: false,
      nextActionAt: at,
    },
    commands: [{ type: "query", at, partnerTransId: s.partnerTransId }],
  };
}

function paidTradeOf(r: PaidTrade): {
  alipayTransId: string;
  amountMinor: number;
  currency: string;
  paidAtMs?: number;
} {
  return {
    alipayTransId: r.alipayTransId,
    amountMinor: r.amountMinor,
    currency: r.currency,
    ...(r.paidAt ? { paidAtMs: r.paidAt.getTime() } : {}),
  };
}

function isPaidFact(event: PaymentEvent): boolean {
  if (event.type === "pay_result" || event.type === "query_result") return event.result.status === "paid";
  if (event.type === "notification") return event.fact.status === "paid" || event.fact.status === "finished";
  return false;
}

/**
 * Why a final notification fact cannot settle this payment, or `undefined` when it proves what
 * it settles: it names no merchant identity but ours, and a paid / finished fact carries the
 * amount and its currency, both equal to the payment's (README rules N1–N5).
 */
function unprovenReason(s: Common, fact: NotificationFact): string | undefined {
  const isPaid = fact.status === "paid" || fact.status === "finished";
  if (!isPaid && fact.status !== "closed") return undefined;
  if (fact.foreignIdentity !== undefined) return `notification_unproven: ${fact.foreignIdentity}`;
  if (!isPaid) return undefined;
  const expected = `expected ${s.amountMinor} ${s.currency}`;
  if (fact.amountMinor === undefined || fact.currency === undefined) {
    const amount = fact.amountText === undefined ? "no amount" : `amount ${fact.amountText}`;
    const currency = fact.currency === undefined ? "without a currency" : fact.currency;
    return `notification_unproven: ${amount} ${currency}, ${expected}`;
  }
  if (fact.amountMinor !== s.amountMinor || fact.currency !== s.currency)
    return `notification_unproven: notified ${fact.amountMinor} ${fact.currency}, ${expected}`;
  return undefined;
}

/**
 * Paid / closed facts from a notification, in the shape the query handler understands; or
 * `unproven` with the reason (it must not settle anything); `undefined` for other statuses.
 */
function notificationAsQuery(
  s: PaymentState,
  fact: NotificationFact,
): QueryResult | { status: "unproven"; reason: string } | undefined {
  const reason = unprovenReason(s, fact);
  if (reason !== undefined) return { status: "unproven", reason };
  if (fact.status === "closed") {
    return {
      status: "closed",
      partnerTransId: s.partnerTransId,
      ...(fact.alipayTransId ? { alipayTransId: fact.alipayTransId } : {}),
    };
  }
  if (
    (fact.status === "paid" || fact.status === "finished") &&
    fact.alipayTransId !== undefined &&
    fact.amountMinor !== undefined &&
    fact.currency !== undefined
  ) {
    return {
      status: "paid",
      partnerTransId: s.partnerTransId,
      alipayTransId: fact.alipayTransId,
      amountMinor: fact.amountMinor,
      currency: fact.currency,
      paidAt: fact.paidAtMs !== undefined ? new Date(fact.paidAtMs) : undefined,
    };
  }
  return undefined;
}

/** `base`, with why the fact is unproven when it is a notification that proves nothing. */
function escalationReason(s: PaymentState, event: PaymentEvent, base: string): string {
  const reason = event.type === "notification" ? unprovenReason(s, event.fact) : undefined;
  return reason === undefined ? base : `${base}; ${reason}`;
}

// ---------------------------------------------------------------------------
// Transition
// ---------------------------------------------------------------------------

/**
 * Pure transition. Unknown or stale events leave the state unchanged and say why in `ignored`.
 */
export function transition(state: PaymentState, event: PaymentEvent, policy: PaymentPolicy, now: number): Transition {
  switch (state.state) {
    case "SENDING":
      return fromSending(state, event, policy, now);
    case "POLLING":
      return fromPolling(state, event, policy, now);
    case "CANCELLING":
      return fromCancelling(state, event, policy, now);
    case "PAID":
    case "PARTIALLY_REFUNDED":
      return fromPaid(state, event, policy, now);
    case "REFUNDING":
      return fromRefunding(state, event, policy, now);
    case "FAILED":
      return isPaidFact(event)
        ? needsAttention(state, escalationReason(state, event, "paid_after_failed"))
        : ignore(state, `${event.type} after FAILED`);
    case "CANCELLED":
      // A cancel that succeeded reverses a payment; but if cancel found no trade, a later "paid" is real money.
      return isPaidFact(event) && state.cancelOutcome === "not_found"
        ? needsAttention(state, escalationReason(state, event, "paid_after_cancelled"))
        : ignore(state, `${event.type} after CANCELLED`);
    case "REFUNDED":
      return ignore(state, `${event.type} after REFUNDED`);
    case "NEEDS_ATTENTION":
      return fromNeedsAttention(state, event, policy, now);
    default:
      return assertNever(state);
  }
}

function assertNever(value: never): never {
  throw new TypeError(`Unhandled payment state ${JSON.stringify(value)}`);
}

type S<TName extends PaymentStateName> = Extract<PaymentState, { state: TName }>;

function fromSending(s: S<"SENDING">, event: PaymentEvent, policy: PaymentPolicy, now: number): Transition {
  const firstQueryAt = Math.max(now, s.lastPaySentAt + policy.firstQueryDelayMs);
  switch (event.type) {
    case "pay_result": {
      const r = event.result;
      if (r.status === "failed") return failed(s, r.reason);
      if (s.isCancelRequested)
        return r.status === "paid"
          ? withPaidFact(cancelling(withTransId(s, r.alipayTransId) as S<"SENDING">, s.cancelReason ?? "visitor", now))
          : cancelling(s, s.cancelReason ?? "visitor", now);
      if (r.status === "paid") return paid(s, paidTradeOf(r), now);
      if (r.status === "waiting_buyer")
        return pollOrCancel(s, { isPayRetryAllowed: false, alipayTransId: r.alipayTransId }, firstQueryAt, now);
      return pollOrCancel(s, { isPayRetryAllowed: r.isSystemError }, firstQueryAt, now);
    }
    case "pay_error": {
      if (!event.error.mayHaveReachedGateway && !event.error.isRetryable)
        return failed(s, `not_sent:${event.error.name}`);
      if (s.isCancelRequested) return cancelling(s, s.cancelReason ?? "visitor", now);
      const isPayRetryAllowed = !event.error.mayHaveReachedGateway || event.error.reason === "SYSTEM_ERROR";
      return pollOrCancel(s, { isPayRetryAllowed }, firstQueryAt, now);
    }
    case "cancel_requested":
      return {
        state: { ...s, isCancelRequested: true, cancelReason: event.by },
        commands: [],
      };
    case "notification": {
      const q = notificationAsQuery(s, event.fact);
      if (q?.status === "unproven") return needsAttention(s, q.reason);
      if (q?.status === "paid")
        return s.isCancelRequested
          ? withPaidFact(cancelling(s, s.cancelReason ?? "visitor", now))
          : paid(s, paidTradeOf(q), now);
      if (q?.status === "closed") return failed(s, "closed");
      return ignore(s, "notification without a final status");
    }
    case "resume":
      // Crash after the row was written: the pay may or may not have been sent and no
      // SYSTEM_ERROR was seen, so only querying (a resend follows SYSTEM_ERROR only).
      return pollOrCancel(s, { isPayRetryAllowed: false }, now, now);
    default:
      return ignore(s, `${event.type} in SENDING`);
  }
}

function fromPolling(s: S<"POLLING">, event: PaymentEvent, policy: PaymentPolicy, now: number): Transition {
  const nextQueryAt = now + policy.queryIntervalMs;
  switch (event.type) {
    case "query_result":
    case "notification": {
      const r = event.type === "query_result" ? event.result : notificationAsQuery(s, event.fact);
      if (r === undefined) return ignore(s, "notification without a final status");
      if (r.status === "unproven") return needsAttention(s, r.reason);
      const counted = event.type === "query_result" ? { ...s, queryCount: s.queryCount + 1 } : s;
      if (r.status === "paid") return paid(counted, paidTradeOf(r), now);
      if (r.status === "closed") return failed(withTransId(counted, r.alipayTransId) as S<"POLLING">, "closed");
      if (event.type === "notification") return ignore(s, "notification without a final status");
      if (s.isPayInFlight) return ignore(s, "query result while a pay retry is in flight");
      if (
        r.status === "not_found" &&
        s.isPayRetryAllowed &&
        s.payAttempts <= policy.maxPayRetries &&
        now < s.deadlineAt
      ) {
        const attempt = s.payAttempts + 1;
        return {
          state: {
            ...counted,
            payAttempts: attempt,
            lastPaySentAt: now,
            isPayInFlight: true,
            nextActionAt: null,
          },
          commands: [{ type: "pay", at: now, partnerTransId: s.partnerTransId, attempt }],
        };
      }
      const alipayTransId = r.status === "waiting_buyer" ? r.alipayTransId : undefined;
      return pollOrCancel(counted, { isPayRetryAllowed: s.isPayRetryAllowed, alipayTransId }, nextQueryAt, now);
    }
    case "query_error": {
      if (s.isPayInFlight) return ignore(s, "query error while a pay retry is in flight");
      return pollOrCancel(
        { ...s, queryCount: s.queryCount + 1 },
        { isPayRetryAllowed: s.isPayRetryAllowed },
        nextQueryAt,
        now,
      );
    }
    case "pay_result": {
      if (!s.isPayInFlight) {
        return event.result.status === "paid" ? paid(s, paidTradeOf(event.result), now) : ignore(s, "stale pay result");
      }
      const r = event.result;
      if (r.status === "paid") return paid(s, paidTradeOf(r), now);
      if (r.status === "failed") return failed(s, r.reason);
      const firstQueryAt = Math.max(now, s.lastPaySentAt + policy.firstQueryDelayMs);
      const isPayRetryAllowed = r.status === "unknown" && r.isSystemError;
      return pollOrCancel(
        s,
        {
          isPayRetryAllowed,
          alipayTransId: r.status === "waiting_buyer" ? r.alipayTransId : undefined,
        },
        firstQueryAt,
        now,
      );
    }
    case "pay_error": {
      if (!s.isPayInFlight) return ignore(s, "stale pay error");
      const firstQueryAt = Math.max(now, s.lastPaySentAt + policy.firstQueryDelayMs);
      // Same rule as the first pay: a resend that met SYSTEM_ERROR may be resent again
      // (bounded by maxPayRetries) once a query proves there is no trade.
      const isPayRetryAllowed =
        (!event.error.mayHaveReachedGateway && event.error.isRetryable) || event.error.reason === "SYSTEM_ERROR";
      return pollOrCancel(s, { isPayRetryAllowed }, firstQueryAt, now);
    }
    case "cancel_requested":
      return cancelling(s, event.by, now);
    case "resume":
      return pollOrCancel(
        s,
        { isPayRetryAllowed: false },
        Math.max(now, s.isPayInFlight ? now : (s.nextActionAt ?? now)),
        now,
      );
    default:
      return ignore(s, `${event.type} in POLLING`);
  }
}

function retryCancel(s: S<"CANCELLING">, policy: PaymentPolicy, now: number, why: string): Transition {
  if (s.cancelAttempts >= policy.maxCancelAttempts) return needsAttention(s, `cancel_retries_exhausted: ${why}`);
  const at = now + backoffDelayMs(policy.cancelBackoff, s.cancelAttempts, `${s.partnerTransId}:cancel`);
  const attempt = s.cancelAttempts + 1;
  return {
    state: { ...s, cancelAttempts: attempt, nextActionAt: at },
    commands: [{ type: "cancel", at, partnerTransId: s.partnerTransId, attempt }],
  };
}

/** Marks a transition into CANCELLING as having seen a paid fact (see `rememberPaidFact`). */
function withPaidFact(t: Transition): Transition {
  return t.state.state === "CANCELLING" ? { ...t, state: { ...t.state, hasPaidFact: true } } : t;
}

/**
 * A paid fact that crosses the cancel: the cancel reverses the payment, so nothing else
 * happens now; but a later "no trade" answer must not close the payment (retry instead).
 */
function rememberPaidFact(s: S<"CANCELLING">): Transition {
  if (s.hasPaidFact === true) return ignore(s, "paid fact in CANCELLING (known)");
  return { state: { ...s, hasPaidFact: true }, commands: [] };
}

function fromCancelling(s: S<"CANCELLING">, event: PaymentEvent, policy: PaymentPolicy, now: number): Transition {
  switch (event.type) {
    case "cancel_result": {
      const r = event.result;
      if (r.status === "cancelled") {
        const state: PaymentState = {
          ...withTransId(commonOf(s), r.alipayTransId),
          state: "CANCELLED",
          cancelReason: s.cancelReason,
          cancelOutcome: "cancelled",
          nextActionAt: null,
          ...(r.action !== undefined ? { action: r.action } : {}),
        };
        return { state, commands: [{ type: "release_hold" }] };
      }
      if (r.status === "failed") return needsAttention(s, `cancel_refused: ${r.reason}`);
      if (r.status === "not_found") {
        if (now - s.lastPaySentAt < policy.payInFlightWindowMs)
          return retryCancel(s, policy, now, "not_found while pay may be in flight");
        // A signed paid fact says the trade exists: "no trade" is stale, the cancel must find it.
        if (s.hasPaidFact === true) return retryCancel(s, policy, now, "not_found after a paid fact");
        return {
          state: {
            ...commonOf(s),
            state: "CANCELLED",
            cancelReason: s.cancelReason,
            cancelOutcome: "not_found",
            nextActionAt: null,
          },
          commands: [{ type: "release_hold" }],
        };
      }
      return retryCancel(s, policy, now, r.reason ?? "retry");
    }
    case "cancel_error":
      return retryCancel(s, policy, now, event.error.name);
    case "resume": {
      const at = Math.max(now, s.nextActionAt ?? now);
      return {
        state: { ...s, nextActionAt: at },
        commands: [
          {
            type: "cancel",
            at,
            partnerTransId: s.partnerTransId,
            attempt: s.cancelAttempts,
          },
        ],
      };
    }
    case "notification": {
      const q = notificationAsQuery(s, event.fact);
      if (q?.status === "unproven") return needsAttention(s, q.reason);
      return q?.status === "paid" ? rememberPaidFact(s) : ignore(s, `${event.type} in CANCELLING`);
    }
    case "pay_result":
    case "query_result":
      return event.result.status === "paid" ? rememberPaidFact(s) : ignore(s, `${event.type} in CANCELLING`);
    default:
      return ignore(s, `${event.type} in CANCELLING`);
  }
}

function refundCommand(s: Common, refund: PendingRefund, at: number): PaymentCommand {
  return {
    type: "refund",
    at,
    partnerTransId: s.partnerTransId,
    partnerRefundId: refund.partnerRefundId,
    amountMinor: refund.amountMinor,
    attempt: refund.attempts,
    ...(refund.reason !== undefined ? { reason: refund.reason } : {}),
  };
}

function startRefund(
  s: PaymentState,
  event: Extract<PaymentEvent, { type: "refund_requested" }>,
  resumeState: "PAID" | "PARTIALLY_REFUNDED",
  policy: PaymentPolicy,
  now: number,
): Transition {
  const remaining = s.amountMinor - s.refundedMinor;
  if (!Number.isSafeInteger(event.amountMinor) || event.amountMinor <= 0 || event.amountMinor > remaining) {
    return ignore(s, `refund of ${event.amountMinor} rejected: ${remaining} ${s.currency} refundable`);
  }
  if (event.partnerRefundId === s.partnerTransId) return ignore(s, "refund id must differ from the payment id");
  const refund: PendingRefund = {
    partnerRefundId: event.partnerRefundId,
    amountMinor: event.amountMinor,
    attempts: 1,
    ...(event.reason !== undefined ? { reason: event.reason } : {}),
  };
  const base = commonOf(s);
  const at = refundSendAt(now, policy.refundPauseWindow, refund.partnerRefundId);
  return {
    state: {
      ...base,
      state: "REFUNDING",
      refund,
      resumeState,
      nextActionAt: at,
    },
    commands: [refundCommand(base, refund, at)],
  };
}

function fromPaid(
  s: S<"PAID"> | S<"PARTIALLY_REFUNDED">,
  event: PaymentEvent,
  policy: PaymentPolicy,
  now: number,
): Transition {
  switch (event.type) {
    case "refund_requested":
      return startRefund(s, event, s.state, policy, now);
    case "query_result":
    case "notification": {
      const status = event.type === "query_result" ? event.result.status : event.fact.status;
      // Closed while we hold it paid with nothing refunded by us: money moved outside this system.
      if (status === "closed" && s.state === "PAID") return needsAttention(s, "closed_after_paid");
      return ignore(s, `${event.type} (${status}) in ${s.state}`);
    }
    default:
      return ignore(s, `${event.type} in ${s.state}`);
  }
}

function retryRefund(s: S<"REFUNDING">, policy: PaymentPolicy, now: number, why: string): Transition {
  if (s.refund.attempts >= policy.maxRefundAttempts)
    return needsAttention(s, `refund_retries_exhausted: ${why}`, {
      refund: s.refund,
    });
  const at = refundSendAt(
    now + backoffDelayMs(policy.refundBackoff, s.refund.attempts, `${s.refund.partnerRefundId}:refund`),
    policy.refundPauseWindow,
    s.refund.partnerRefundId,
  );
  const { confirm: _confirm, ...pending } = s.refund;
  const refund = { ...pending, attempts: s.refund.attempts + 1 };
  return {
    state: { ...s, refund, nextActionAt: at },
    commands: [refundCommand(s, refund, at)],
  };
}

function refundQueryCommand(s: Common, refund: PendingRefund, at: number): PaymentCommand {
  return {
    type: "refund_query",
    at,
    partnerTransId: s.partnerTransId,
    partnerRefundId: refund.partnerRefundId,
    amountMinor: refund.amountMinor,
  };
}

/** The refund's money moved: count it (tickets are voided by the caller on this transition). */
function refundDone(s: S<"REFUNDING">): Transition {
  const refundedMinor = s.refundedMinor + s.refund.amountMinor;
  const base = { ...commonOf(s), refundedMinor, nextActionAt: null };
  return {
    state: refundedMinor >= s.amountMinor ? { ...base, state: "REFUNDED" } : { ...base, state: "PARTIALLY_REFUNDED" },
    commands: [],
  };
}

/** Alipay accepted the refund but moved no money: confirm it by refund queries. */
function startConfirming(s: S<"REFUNDING">, policy: PaymentPolicy, now: number): Transition {
  const since = s.refund.confirm?.since ?? now;
  const refund: PendingRefund = { ...s.refund, confirm: { since, queries: 0 } };
  const at = Math.min(now + policy.refundConfirmFirstDelayMs, since + policy.refundConfirmDeadlineMs);
  return {
    state: { ...s, refund, nextActionAt: at },
    commands: [refundQueryCommand(s, refund, at)],
  };
}

/** The money has not moved yet: query again on the back-off, or escalate at the deadline. */
function nextConfirmQuery(s: S<"REFUNDING">, policy: PaymentPolicy, now: number, why: string): Transition {
  const confirm = s.refund.confirm ?? { since: now, queries: 0 };
  const queries = confirm.queries + 1;
  const deadline = confirm.since + policy.refundConfirmDeadlineMs;
  const refund: PendingRefund = { ...s.refund, confirm: { ...confirm, queries } };
  if (now >= deadline)
    return needsAttention(s, `refund_unconfirmed: ${why} after ${queries} queries`, {
      refund,
    });
  const at = Math.min(
    deadline,
    now + backoffDelayMs(policy.refundConfirmBackoff, queries, `${s.refund.partnerRefundId}:confirm`),
  );
  return {
    state: { ...s, refund, nextActionAt: at },
    commands: [refundQueryCommand(s, refund, at)],
  };
}

function fromRefunding(s: S<"REFUNDING">, event: PaymentEvent, policy: PaymentPolicy, now: number): Transition {
  switch (event.type) {
    case "refund_result": {
      const r = event.result;
      if (r.partnerRefundId !== s.refund.partnerRefundId)
        return ignore(s, `result for another refund ${r.partnerRefundId}`);
      if (r.status === "refunded") return refundDone(s);
      if (r.status === "accepted") return startConfirming(s, policy, now);
      // Alipay executes no synchronous refund in the night window: a refusal then is retried after it.
      if (
        r.status === "failed" &&
        policy.refundPauseWindow !== null &&
        isInRefundPauseWindow(now, policy.refundPauseWindow)
      )
        return retryRefund(s, policy, now, `${r.reason} (night window)`);
      if (r.status === "failed")
        return needsAttention(s, `refund_refused: ${r.reason}`, {
          refund: s.refund,
        });
      return retryRefund(s, policy, now, r.reason ?? "unknown");
    }
    case "refund_error":
      if (event.partnerRefundId !== s.refund.partnerRefundId)
        return ignore(s, `error for another refund ${event.partnerRefundId}`);
      return retryRefund(s, policy, now, event.error.name);
    case "refund_query_result": {
      const r = event.result;
      if (r.partnerRefundId !== s.refund.partnerRefundId)
        return ignore(s, `query result for another refund ${r.partnerRefundId}`);
      if (s.refund.confirm === undefined) return ignore(s, "refund query result while no refund awaits confirmation");
      switch (r.status) {
        case "refunded":
          return refundDone(s);
        case "failed":
          return needsAttention(s, `refund_refused: ${r.reason}`, {
            refund: s.refund,
          });
        case "not_found":
          // Alipay lost the request: resend it with the same id (idempotent), bounded by attempts.
          return retryRefund(s, policy, now, "refund_not_found");
        case "pending":
        case "unknown":
          return nextConfirmQuery(s, policy, now, r.reason ?? r.status);
        default:
          return assertNever(r);
      }
    }
    case "refund_query_error":
      if (event.partnerRefundId !== s.refund.partnerRefundId)
        return ignore(s, `error for another refund ${event.partnerRefundId}`);
      if (s.refund.confirm === undefined) return ignore(s, "refund query error while no refund awaits confirmation");
      return nextConfirmQuery(s, policy, now, event.error.name);
    case "resume": {
      const at = Math.max(now, s.nextActionAt ?? now);
      return {
        state: { ...s, nextActionAt: at },
        commands: [
          s.refund.confirm !== undefined ? refundQueryCommand(s, s.refund, at) : refundCommand(s, s.refund, at),
        ],
      };
    }
    default:
      return ignore(s, `${event.type} in REFUNDING`);
  }
}

function fromNeedsAttention(
  s: S<"NEEDS_ATTENTION">,
  event: PaymentEvent,
  policy: PaymentPolicy,
  now: number,
): Transition {
  if (event.type !== "staff_resolved") return ignore(s, `${event.type} in NEEDS_ATTENTION (staff resolve it)`);
  const resolution = event.resolution;
  const base = { ...commonOf(s), nextActionAt: null };
  switch (resolution.to) {
    case "PAID": {
      const state: PaymentState = {
        ...withTransId(base, resolution.alipayTransId),
        state: "PAID",
        paidAt: s.paidAt ?? now,
        hasIssuedTickets: true,
      };
      return {
        state,
        commands: s.hasIssuedTickets ? [] : [{ type: "issue_tickets" }],
      };
    }
    case "FAILED":
      return {
        state: {
          ...base,
          state: "FAILED",
          failureReason: `staff: ${event.note}`,
        },
        commands: s.hasIssuedTickets ? [] : [{ type: "release_hold" }],
      };
    case "CANCELLED":
      return {
        state: {
          ...base,
          state: "CANCELLED",
          cancelReason: "staff",
          // A person's decision is not Alipay's proof that a trade was reversed (the console's
          // "cancel now" resolves so on a cancel that found no trade): a later paid fact escalates.
          cancelOutcome: "not_found",
        },
        commands: s.hasIssuedTickets ? [] : [{ type: "release_hold" }],
      };
    case "REFUNDED":
    case "PARTIALLY_REFUNDED": {
      if (
        !Number.isSafeInteger(resolution.refundedMinor) ||
        resolution.refundedMinor < 0 ||
        resolution.refundedMinor > s.amountMinor
      ) {
        return ignore(s, "refundedMinor out of range");
      }
      return {
        state: {
          ...base,
          state: resolution.to,
          refundedMinor: resolution.refundedMinor,
        },
        commands: [],
      };
    }
    case "CANCELLING":
      return cancelling({ ...s, cancelAttempts: 0 }, "staff", now);
    case "REFUNDING": {
      if (s.refund === undefined) return ignore(s, "no refund to retry");
      const { confirm: _confirm, ...pending } = s.refund;
      const refund = { ...pending, attempts: 1 };
      const resumeState = s.refundedMinor > 0 ? "PARTIALLY_REFUNDED" : "PAID";
      const at = refundSendAt(now, policy.refundPauseWindow, refund.partnerRefundId);
      return {
        state: {
          ...base,
          state: "REFUNDING",
          refund,
          resumeState,
          nextActionAt: at,
        },
        commands: [refundCommand(base, refund, at)],
      };
    }
    default:
      return assertNever(resolution);
  }
}

/** The single timed I/O command of a transition, if any (pay / query / cancel / refund). */
export function timedCommandOf(
  commands: readonly PaymentCommand[],
): Extract<PaymentCommand, { at: number }> | undefined {
  return commands.find((c): c is Extract<PaymentCommand, { at: number }> => "at" in c);
}
