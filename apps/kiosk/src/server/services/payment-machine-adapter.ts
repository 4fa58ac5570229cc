/**
 * The payment state machine as the money path uses it: pure, `transition(state, event,
 * policy, now) → { state, commands }`, no I/O and no clock of its own.
 *
 * alipay-core's `src/payment-machine.ts` had not landed when this was written; this module is
 * the adapter the services program against. Its states are the ARCHITECTURE.md table, so
 * swapping the body for a call into alipay-core changes nothing for the callers.
 */
import type { PaymentStateName } from "@kiosk/db";
import type {
  GatewayCancelResult,
  GatewayNotification,
  GatewayPayResult,
  GatewayQueryResult,
  GatewayRefundResult,
  PaidTrade,
} from "./gateway.ts";

export interface PaymentPolicy {
  /** First query after the pay request. */
  firstQueryDelayMs: number;
  /** Interval between queries while the buyer is paying. */
  queryIntervalMs: number;
  /** From the pay request to the cancel decision. */
  deadlineMs: number;
  /** Back-off between cancel attempts; its length is the number of retries. */
  cancelBackoffMs: readonly number[];
  /** Back-off between refund attempts; its length is the number of retries. */
  refundBackoffMs: readonly number[];
  /** How long a worker owns a payment while it talks to the gateway. */
  leaseMs: number;
}

export const DEFAULT_PAYMENT_POLICY: PaymentPolicy = {
  firstQueryDelayMs: 3_500,
  queryIntervalMs: 3_500,
  deadlineMs: 60_000,
  cancelBackoffMs: [0, 2_000, 4_000, 8_000, 16_000, 32_000],
  refundBackoffMs: [0, 5_000, 15_000, 60_000, 300_000],
  leaseMs: 30_000,
};

export interface ActiveRefund {
  refundId: string;
  partnerRefundId: string;
  amountMinor: number;
  /** Tickets to void when a partial refund succeeds. */
  ticketIds?: string[];
}

/** Everything the machine needs to decide; persisted in Payment columns + `machineState`. */
export interface MachineState {
  name: PaymentStateName;
  amountMinor: number;
  currency: string;
  refundedMinor: number;
  queryCount: number;
  cancelAttempt: number;
  refundAttempt: number;
  deadlineAt: number;
  nextActionAt: number | null;
  /** The visitor asked to cancel while the pay request was still out. */
  isCancelRequested: boolean;
  /** A cancel was refused; query before deciding (the trade may already be closed). */
  isVerifyingCancel: boolean;
  refund: ActiveRefund | null;
  /** State to return to when a refund definitely failed. */
  refundReturnTo: "PAID" | "PARTIALLY_REFUNDED" | null;
  failureReason: string | null;
  attentionReason: string | null;
}

export type ErrorSummary = { name: string; message: string; isRetryable: boolean };

export type MachineEvent =
  | { type: "pay_result"; result: GatewayPayResult }
  | { type: "pay_error"; error: ErrorSummary }
  | { type: "due" }
  | { type: "query_result"; result: GatewayQueryResult }
  | { type: "query_error"; error: ErrorSummary }
  | { type: "cancel_result"; result: GatewayCancelResult }
  | { type: "cancel_error"; error: ErrorSummary }
  | { type: "cancel_requested" }
  | { type: "notification"; notification: GatewayNotification }
  | { type: "refund_requested"; refund: ActiveRefund }
  | { type: "refund_result"; result: GatewayRefundResult }
  | { type: "refund_error"; error: ErrorSummary }
  | { type: "resolve"; to: "PAID" | "FAILED" | "CANCELLED" | "REFUNDED"; reason: string; trade?: PaidTrade };

export type MachineCommand =
  | { type: "query" }
  | { type: "cancel" }
  | { type: "refund"; refund: ActiveRefund }
  /** Record the trade and issue tickets, in the transaction that records PAID. */
  | { type: "issue_tickets"; trade: PaidTrade | null }
  /** Give the capacity back and close the order as failed/cancelled. */
  | { type: "release_order"; orderState: "failed" | "cancelled" }
  | { type: "refund_succeeded"; refund: ActiveRefund; isFull: boolean }
  | { type: "refund_failed"; refund: ActiveRefund; reason: string; needsAttention: boolean };

export interface TransitionResult {
  state: MachineState;
  commands: MachineCommand[];
}

export const FINAL_STATES: readonly PaymentStateName[] = ["FAILED", "CANCELLED", "REFUNDED"];
/** States in which the worker still has something to do. */
export const ACTIVE_STATES: readonly PaymentStateName[] = ["SENDING", "POLLING", "CANCELLING", "REFUNDING"];

function backoff(list: readonly number[], attempt: number): number | undefined {
  return list[attempt];
}

function tradeMatches(state: MachineState, trade: PaidTrade): boolean {
  return trade.amountMinor === state.amountMinor && trade.currency === state.currency;
}

/** The pure transition function. `now` is epoch milliseconds. */
export function transition(state: MachineState, event: MachineEvent, policy: PaymentPolicy, now: number): TransitionResult {
  const s: MachineState = { ...state };
  const same: TransitionResult = { state, commands: [] };
  const toPaid = (trade: PaidTrade | null): TransitionResult => {
    if (trade && !tradeMatches(s, trade)) {
      return attention(`gateway reports ${trade.amountMinor} ${trade.currency} paid, expected ${s.amountMinor} ${s.currency}`);
    }
    if (s.isCancelRequested) {
      // The visitor cancelled while the pay was out: reverse the charge.
      return { state: { ...s, name: "CANCELLING", nextActionAt: now, cancelAttempt: 0 }, commands: [{ type: "cancel" }] };
    }
    return { state: { ...s, name: "PAID", nextActionAt: null }, commands: [{ type: "issue_tickets", trade }] };
  };
  const attention = (reason: string): TransitionResult => ({
    state: { ...s, name: "NEEDS_ATTENTION", nextActionAt: null, attentionReason: reason },
    commands: [],
  });
  const toFailed = (reason: string): TransitionResult => {
    if (s.isCancelRequested) {
      return { state: { ...s, name: "CANCELLED", nextActionAt: null, failureReason: reason }, commands: [{ type: "release_order", orderState: "cancelled" }] };
    }
    return { state: { ...s, name: "FAILED", nextActionAt: null, failureReason: reason }, commands: [{ type: "release_order", orderState: "failed" }] };
  };
  const poll = (): TransitionResult => {
    if (s.isCancelRequested || now >= s.deadlineAt) {
      return { state: { ...s, name: "CANCELLING", nextActionAt: now, cancelAttempt: 0 }, commands: [] };
    }
    const first = s.queryCount === 0 ? Math.max(now, s.deadlineAt - policy.deadlineMs + policy.firstQueryDelayMs) : now + policy.queryIntervalMs;
    return { state: { ...s, name: "POLLING", nextActionAt: Math.min(first, s.deadlineAt) }, commands: [] };
  };
  const cancelRetry = (reason: string): TransitionResult => {
    const attempt = s.cancelAttempt + 1;
    const wait = backoff(policy.cancelBackoffMs, attempt);
    if (wait === undefined) return attention(`cancel retries spent: ${reason}`);
    return { state: { ...s, name: "CANCELLING", cancelAttempt: attempt, nextActionAt: now + wait, isVerifyingCancel: false }, commands: [] };
  };
  const refundRetry = (reason: string): TransitionResult => {
    const attempt = s.refundAttempt + 1;
    const wait = backoff(policy.refundBackoffMs, attempt);
    if (wait === undefined || !s.refund) {
      const refund = s.refund;
      const next = attention(`refund retries spent: ${reason}`);
      if (refund) next.commands.push({ type: "refund_failed", refund, reason, needsAttention: true });
      return next;
    }
    return { state: { ...s, refundAttempt: attempt, nextActionAt: now + wait }, commands: [] };
  };

  switch (event.type) {
    case "pay_result": {
      if (s.name !== "SENDING") return same;
      const r = event.result;
      if (r.status === "paid") return toPaid(r);
      if (r.status === "failed") return toFailed(r.reason);
      return poll();
    }
    case "pay_error":
      return s.name === "SENDING" ? poll() : same;
    case "due": {
      if (s.name === "SENDING" || s.name === "POLLING") {
        if (s.isCancelRequested || now >= s.deadlineAt) {
          return { state: { ...s, name: "CANCELLING", nextActionAt: now, cancelAttempt: 0 }, commands: [{ type: "cancel" }] };
        }
        return { state: s, commands: [{ type: "query" }] };
      }
      if (s.name === "CANCELLING") return { state: s, commands: [s.isVerifyingCancel ? { type: "query" } : { type: "cancel" }] };
      if (s.name === "REFUNDING" && s.refund) return { state: s, commands: [{ type: "refund", refund: s.refund }] };
      return same;
    }
    case "query_result": {
      const r = event.result;
      s.queryCount += 1;
      if (s.name === "SENDING" || s.name === "POLLING") {
        if (r.status === "paid") return toPaid(r);
        if (r.status === "closed") return toFailed("trade closed");
        return poll();
      }
      if (s.name === "CANCELLING") {
        if (r.status === "closed" || r.status === "not_found") {
          return { state: { ...s, name: "CANCELLED", nextActionAt: null }, commands: [{ type: "release_order", orderState: "cancelled" }] };
        }
        if (r.status === "paid" && s.isVerifyingCancel) return attention("paid trade could not be cancelled");
        return { state: { ...s, isVerifyingCancel: false, nextActionAt: now }, commands: [] };
      }
      return { state: s, commands: [] };
    }
    case "query_error": {
      s.queryCount += 1;
      if (s.name === "SENDING" || s.name === "POLLING") return poll();
      if (s.name === "CANCELLING") return cancelRetry(event.error.message);
      return same;
    }
    case "cancel_requested": {
      if (s.name === "SENDING") return { state: { ...s, isCancelRequested: true }, commands: [] };
      if (s.name === "POLLING") {
        return { state: { ...s, isCancelRequested: true, name: "CANCELLING", nextActionAt: now, cancelAttempt: 0 }, commands: [{ type: "cancel" }] };
      }
      return same;
    }
    case "cancel_result": {
      if (s.name !== "CANCELLING") return same;
      const r = event.result;
      if (r.status === "cancelled" || r.status === "not_found") {
        return { state: { ...s, name: "CANCELLED", nextActionAt: null }, commands: [{ type: "release_order", orderState: "cancelled" }] };
      }
      if (r.status === "retry") return cancelRetry(r.reason ?? "retry");
      // Refused for good: the trade may already be closed (a cancel repeated after a crash); a query decides.
      if (s.isVerifyingCancel) return attention(`cancel refused: ${r.reason}`);
      return { state: { ...s, isVerifyingCancel: true, nextActionAt: now, failureReason: r.reason }, commands: [{ type: "query" }] };
    }
    case "cancel_error":
      return s.name === "CANCELLING" ? cancelRetry(event.error.message) : same;
    case "notification": {
      const n = event.notification;
      if (n.status === "paid") {
        if (s.name === "SENDING" || s.name === "POLLING") {
          return toPaid(
            n.alipayTransId !== undefined && n.amountMinor !== undefined && n.currency !== undefined
              ? { partnerTransId: n.partnerTransId, alipayTransId: n.alipayTransId, amountMinor: n.amountMinor, currency: n.currency, paidAt: n.paidAt }
              : null,
          );
        }
        if (s.name === "FAILED") return attention("paid notification for a payment recorded as failed");
        return same;
      }
      if (n.status === "closed" && (s.name === "SENDING" || s.name === "POLLING")) return toFailed("trade closed (notification)");
      return same;
    }
    case "refund_requested": {
      if (s.name !== "PAID" && s.name !== "PARTIALLY_REFUNDED") return same;
      return {
        state: { ...s, name: "REFUNDING", refund: event.refund, refundAttempt: 0, refundReturnTo: s.name, nextActionAt: now },
        commands: [{ type: "refund", refund: event.refund }],
      };
    }
    case "refund_result": {
      if (s.name !== "REFUNDING" || !s.refund) return same;
      const r = event.result;
      const refund = s.refund;
      if (r.status === "refunded") {
        const refunded = s.refundedMinor + refund.amountMinor;
        const isFull = refunded >= s.amountMinor;
        return {
          state: { ...s, name: isFull ? "REFUNDED" : "PARTIALLY_REFUNDED", refundedMinor: refunded, refund: null, refundReturnTo: null, nextActionAt: null },
          commands: [{ type: "refund_succeeded", refund, isFull }],
        };
      }
      if (r.status === "failed") {
        return {
          state: { ...s, name: s.refundReturnTo ?? "PAID", refund: null, refundReturnTo: null, nextActionAt: null },
          commands: [{ type: "refund_failed", refund, reason: r.reason, needsAttention: false }],
        };
      }
      return refundRetry(r.reason ?? "unknown");
    }
    case "refund_error":
      return s.name === "REFUNDING" ? refundRetry(event.error.message) : same;
    case "resolve": {
      if (s.name !== "NEEDS_ATTENTION") return same;
      if (event.to === "PAID") return { state: { ...s, name: "PAID", attentionReason: null }, commands: [{ type: "issue_tickets", trade: event.trade ?? null }] };
      if (event.to === "FAILED" || event.to === "CANCELLED") {
        return {
          state: { ...s, name: event.to, attentionReason: null, failureReason: event.reason },
          commands: [{ type: "release_order", orderState: event.to === "FAILED" ? "failed" : "cancelled" }],
        };
      }
      return { state: { ...s, name: "REFUNDED", attentionReason: null, refundedMinor: s.amountMinor }, commands: [] };
    }
  }
}
