/**
 * The payment state machine of ARCHITECTURE.md as pure code:
 * `transition(state, event, policy, now) → { state, commands }`.
 *
 * No timers, no I/O, no randomness (jitter is a hash of the ids), no knowledge of orders or
 * databases. States are plain JSON (store them as `machineState`); state names are the
 * strings the database stores. Commands with `at` are "do this at epoch-ms `at`".
 *
 * Split in modules: machine-types.ts (states, events, commands), machine-policy.ts (policy and
 * back-off), machine-common.ts (shared building blocks), machine-refunds.ts (REFUNDING),
 * machine-staff.ts (staff resolutions); this file has the payment's own path (SENDING,
 * POLLING, CANCELLING) and the dispatching `transition`. Its exports are the public API.
 */
export * from "./machine-types.ts";
export * from "./machine-policy.ts";
import {
  assertNever,
  cancelling,
  commonOf,
  escalationReason,
  failed,
  ignore,
  isPaidFact,
  needsAttention,
  notificationAsQuery,
  paid,
  paidTradeOf,
  pollOrCancel,
  withTransId,
  type S,
} from "./machine-common.ts";
import { backoffDelayMs } from "./machine-policy.ts";
import { fromPaid, fromRefunding } from "./machine-refunds.ts";
import { fromNeedsAttention } from "./machine-staff.ts";
import type { PaymentPolicy } from "./machine-policy.ts";
import type { PaymentCommand, PaymentEvent, PaymentState, Transition } from "./machine-types.ts";
import type { StartPaymentInput } from "./machine-types.ts";

// ---------------------------------------------------------------------------
// Construction
// ---------------------------------------------------------------------------

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
        state: Object.assign({}, s, { isCancelRequested: true, cancelReason: event.by }),
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
      const counted = event.type === "query_result" ? Object.assign({}, s, { queryCount: s.queryCount + 1 }) : s;
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
          state: Object.assign({}, counted, {
            payAttempts: attempt,
            lastPaySentAt: now,
            isPayInFlight: true,
            nextActionAt: null,
          }),
          commands: [{ type: "pay", at: now, partnerTransId: s.partnerTransId, attempt }],
        };
      }
      const alipayTransId = r.status === "waiting_buyer" ? r.alipayTransId : undefined;
      return pollOrCancel(counted, { isPayRetryAllowed: s.isPayRetryAllowed, alipayTransId }, nextQueryAt, now);
    }
    case "query_error": {
      if (s.isPayInFlight) return ignore(s, "query error while a pay retry is in flight");
      return pollOrCancel(
        Object.assign({}, s, { queryCount: s.queryCount + 1 }),
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
    state: Object.assign({}, s, { cancelAttempts: attempt, nextActionAt: at }),
    commands: [{ type: "cancel", at, partnerTransId: s.partnerTransId, attempt }],
  };
}

/** Marks a transition into CANCELLING as having seen a paid fact (see `rememberPaidFact`). */
function withPaidFact(t: Transition): Transition {
  return t.state.state === "CANCELLING"
    ? Object.assign({}, t, { state: Object.assign({}, t.state, { hasPaidFact: true }) })
    : t;
}

/**
 * A paid fact that crosses the cancel: the cancel reverses the payment, so nothing else
 * happens now; but a later "no trade" answer must not close the payment (retry instead).
 */
function rememberPaidFact(s: S<"CANCELLING">): Transition {
  if (s.hasPaidFact === true) return ignore(s, "paid fact in CANCELLING (known)");
  return { state: Object.assign({}, s, { hasPaidFact: true }), commands: [] };
}

function fromCancelling(s: S<"CANCELLING">, event: PaymentEvent, policy: PaymentPolicy, now: number): Transition {
  switch (event.type) {
    case "cancel_result": {
      const r = event.result;
      if (r.status === "cancelled") {
        const state: PaymentState = {
          state: "CANCELLED",
          ...withTransId(commonOf(s), r.alipayTransId),
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
            state: "CANCELLED",
            ...commonOf(s),
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
        state: Object.assign({}, s, { nextActionAt: at }),
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

/** The single timed I/O command of a transition, if any (pay / query / cancel / refund). */
export function timedCommandOf(
  commands: readonly PaymentCommand[],
): Extract<PaymentCommand, { at: number }> | undefined {
  return commands.find((c): c is Extract<PaymentCommand, { at: number }> => "at" in c);
}
