/** Building blocks the payment machine's transitions share (pure; no I/O). */
import type { PaidTrade, QueryResult } from "./types.ts";
import type {
  CancelReason,
  Common,
  NotificationFact,
  PaymentEvent,
  PaymentState,
  PaymentStateName,
  PendingRefund,
  Transition,
} from "./machine-types.ts";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

export function commonOf(s: PaymentState): Common {
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

export const ignore = (state: PaymentState, why: string): Transition => ({
  state,
  commands: [],
  ignored: why,
});

export function needsAttention(s: PaymentState, reason: string, extra: { refund?: PendingRefund } = {}): Transition {
  const state: PaymentState = {
    state: "NEEDS_ATTENTION",
    ...commonOf(s),
    attentionReason: reason,
    previousState: s.state,
    nextActionAt: null,
    ...extra,
  };
  return { state, commands: [{ type: "escalate", reason }] };
}

export function failed(s: PaymentState, reason: string): Transition {
  return {
    state: {
      state: "FAILED",
      ...commonOf(s),
      failureReason: reason,
      nextActionAt: null,
    },
    commands: [{ type: "release_hold" }],
  };
}

export function withTransId(c: Common, alipayTransId: string | undefined): Common {
  return alipayTransId === undefined ? c : Object.assign({}, c, { alipayTransId });
}

/** A verified "paid" fact: tickets, unless the amount does not match (then a person looks). */
export function paid(
  s: PaymentState,
  trade: Pick<PaidTrade, "alipayTransId" | "amountMinor" | "currency"> & {
    paidAtMs?: number | undefined;
  },
  now: number,
): Transition {
  const base = withTransId(commonOf(s), trade.alipayTransId);
  if (trade.amountMinor !== s.amountMinor || trade.currency !== s.currency) {
    return needsAttention(
      Object.assign({}, s, base),
      `amount_mismatch: paid ${trade.amountMinor} ${trade.currency}, expected ${s.amountMinor} ${s.currency}`,
    );
  }
  return {
    state: {
      state: "PAID",
      ...base,
      paidAt: trade.paidAtMs ?? now,
      nextActionAt: null,
      hasIssuedTickets: true,
    },
    commands: [{ type: "issue_tickets" }],
  };
}

export function cancelling(s: PaymentState, reason: CancelReason, now: number): Transition {
  const attempt = s.cancelAttempts + 1;
  return {
    state: {
      state: "CANCELLING",
      ...commonOf(s),
      cancelReason: reason,
      cancelAttempts: attempt,
      nextActionAt: now,
    },
    commands: [{ type: "cancel", at: now, partnerTransId: s.partnerTransId, attempt }],
  };
}

/** Next query at `at`, or — if that is at/after the deadline — cancel right away. */
export function pollOrCancel(
  s: PaymentState,
  extra: { isPayRetryAllowed: boolean; alipayTransId?: string | undefined },
  at: number,
  now: number,
): Transition {
  const base = withTransId(commonOf(s), extra.alipayTransId);
  if (at >= s.deadlineAt) return cancelling(Object.assign({}, s, base), "deadline", now);
  return {
    state: {
      state: "POLLING",
      ...base,
      isPayRetryAllowed: extra.isPayRetryAllowed,
      isPayInFlight: false,
      nextActionAt: at,
    },
    commands: [{ type: "query", at, partnerTransId: s.partnerTransId }],
  };
}

export function paidTradeOf(r: PaidTrade): {
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

export function isPaidFact(event: PaymentEvent): boolean {
  if (event.type === "pay_result" || event.type === "query_result") return event.result.status === "paid";
  if (event.type === "notification") return event.fact.status === "paid" || event.fact.status === "finished";
  return false;
}

/**
 * Why a final notification fact cannot settle this payment, or `undefined` when it proves what
 * it settles: it names no merchant identity but ours, and a paid / finished fact carries the
 * amount and its currency, both equal to the payment's (README rules N1–N5).
 */
export function unprovenReason(s: Common, fact: NotificationFact): string | undefined {
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
export function notificationAsQuery(
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
export function escalationReason(s: PaymentState, event: PaymentEvent, base: string): string {
  const reason = event.type === "notification" ? unprovenReason(s, event.fact) : undefined;
  return reason === undefined ? base : `${base}; ${reason}`;
}

export function assertNever(value: never): never {
  throw new TypeError(`Unhandled payment state ${JSON.stringify(value)}`);
}

export type S<TName extends PaymentStateName> = Extract<PaymentState, { state: TName }>;
