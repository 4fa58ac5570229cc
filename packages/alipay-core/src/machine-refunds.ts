/** The payment machine's refunds: PAID / PARTIALLY_REFUNDED → REFUNDING, sends, retries and confirmation queries. */
import { assertNever, commonOf, ignore, needsAttention, type S } from "./machine-common.ts";
import { backoffDelayMs } from "./machine-policy.ts";
import { isInRefundPauseWindow, refundSendAt } from "./refund-window.ts";
import type { PaymentPolicy } from "./machine-policy.ts";
import type { Common, PaymentCommand, PaymentEvent, PaymentState, PendingRefund, Transition } from "./machine-types.ts";

export function refundCommand(s: Common, refund: PendingRefund, at: number): PaymentCommand {
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

export function startRefund(
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
      state: "REFUNDING",
      ...base,
      refund,
      resumeState,
      nextActionAt: at,
    },
    commands: [refundCommand(base, refund, at)],
  };
}

export function fromPaid(
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

export function retryRefund(s: S<"REFUNDING">, policy: PaymentPolicy, now: number, why: string): Transition {
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
  const refund = Object.assign({}, pending, { attempts: s.refund.attempts + 1 });
  return {
    state: Object.assign({}, s, { refund, nextActionAt: at }),
    commands: [refundCommand(s, refund, at)],
  };
}

export function refundQueryCommand(s: Common, refund: PendingRefund, at: number): PaymentCommand {
  return {
    type: "refund_query",
    at,
    partnerTransId: s.partnerTransId,
    partnerRefundId: refund.partnerRefundId,
    amountMinor: refund.amountMinor,
  };
}

/** The refund's money moved: count it (tickets are voided by the caller on this transition). */
export function refundDone(s: S<"REFUNDING">): Transition {
  const refundedMinor = s.refundedMinor + s.refund.amountMinor;
  const base = Object.assign(commonOf(s), { refundedMinor, nextActionAt: null });
  return {
    state: refundedMinor >= s.amountMinor ? { state: "REFUNDED", ...base } : { state: "PARTIALLY_REFUNDED", ...base },
    commands: [],
  };
}

/** Alipay accepted the refund but moved no money: confirm it by refund queries. */
export function startConfirming(s: S<"REFUNDING">, policy: PaymentPolicy, now: number): Transition {
  const since = s.refund.confirm?.since ?? now;
  const refund: PendingRefund = Object.assign({}, s.refund, { confirm: { since, queries: 0 } });
  const at = Math.min(now + policy.refundConfirmFirstDelayMs, since + policy.refundConfirmDeadlineMs);
  return {
    state: Object.assign({}, s, { refund, nextActionAt: at }),
    commands: [refundQueryCommand(s, refund, at)],
  };
}

/** The money has not moved yet: query again on the back-off, or escalate at the deadline. */
export function nextConfirmQuery(s: S<"REFUNDING">, policy: PaymentPolicy, now: number, why: string): Transition {
  const confirm = s.refund.confirm ?? { since: now, queries: 0 };
  const queries = confirm.queries + 1;
  const deadline = confirm.since + policy.refundConfirmDeadlineMs;
  const refund: PendingRefund = Object.assign({}, s.refund, { confirm: Object.assign({}, confirm, { queries }) });
  if (now >= deadline)
    return needsAttention(s, `refund_unconfirmed: ${why} after ${queries} queries`, {
      refund,
    });
  const at = Math.min(
    deadline,
    now + backoffDelayMs(policy.refundConfirmBackoff, queries, `${s.refund.partnerRefundId}:confirm`),
  );
  return {
    state: Object.assign({}, s, { refund, nextActionAt: at }),
    commands: [refundQueryCommand(s, refund, at)],
  };
}

export function fromRefunding(s: S<"REFUNDING">, event: PaymentEvent, policy: PaymentPolicy, now: number): Transition {
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
        state: Object.assign({}, s, { nextActionAt: at }),
        commands: [
          s.refund.confirm !== undefined ? refundQueryCommand(s, s.refund, at) : refundCommand(s, s.refund, at),
        ],
      };
    }
    default:
      return ignore(s, `${event.type} in REFUNDING`);
  }
}
