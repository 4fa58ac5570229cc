/**
 * The two steps every host of the payment machine repeats: `nextCommand(state)` says what a
 * (persisted or in-memory) state needs next, `executeCommand(client, command, state)` runs one
 * gateway command and returns its answer as the machine's event. The in-memory driver
 * (`run-payment.ts`), the server's worker and the conformance validator all use these two,
 * so a command is derived and an answer converted in exactly one place.
 */
import type { AlipayClient, SignedPayRequest } from "./client.ts";
import { AlipayAbortError } from "./errors.ts";
import {
  toErrorInfo,
  type ErrorInfo,
  type PaymentCommand,
  type PaymentEvent,
  type PaymentState,
} from "./payment-machine.ts";

/** A gateway command with the time it is due. */
export type TimedCommand = Extract<PaymentCommand, { at: number }>;

/** What a state needs next: a gateway command, `resume` (a pay may be out; let the machine decide), or nothing. */
export type NextCommand = TimedCommand | { type: "resume" };

/**
 * The command a state is waiting for, derived from the state alone (a host that persisted the
 * state and lost the transition's command list). `at` is the state's `nextActionAt`.
 */
export function nextCommand(state: PaymentState): NextCommand | null {
  const at = state.nextActionAt ?? 0;
  switch (state.state) {
    case "SENDING":
      return { type: "resume" };
    case "POLLING":
      return state.isPayInFlight ? { type: "resume" } : { type: "query", at, partnerTransId: state.partnerTransId };
    case "CANCELLING":
      return { type: "cancel", at, partnerTransId: state.partnerTransId, attempt: state.cancelAttempts };
    case "REFUNDING":
      if (state.refund.confirm !== undefined) {
        // Alipay accepted the refund without moving money: confirm it, never resend it blindly.
        return {
          type: "refund_query",
          at,
          partnerTransId: state.partnerTransId,
          partnerRefundId: state.refund.partnerRefundId,
          amountMinor: state.refund.amountMinor,
        };
      }
      return {
        type: "refund",
        at,
        partnerTransId: state.partnerTransId,
        partnerRefundId: state.refund.partnerRefundId,
        amountMinor: state.refund.amountMinor,
        attempt: state.refund.attempts,
        ...(state.refund.reason !== undefined ? { reason: state.refund.reason } : {}),
      };
    default:
      return null;
  }
}

/** The client calls a driver makes. */
export type CommandClient = Pick<AlipayClient, "sendPay" | "query" | "cancel" | "refund" | "refundQuery">;

export type ExecuteOptions = {
  /** The signed first pay request to (re)send; absent when this host cannot send one (the machine then queries). */
  signedPay?: (() => SignedPayRequest | undefined | Promise<SignedPayRequest | undefined>) | undefined;
  signal?: AbortSignal | undefined;
  /** How a thrown error is described in the event (a host may add a message); default `toErrorInfo`. */
  describeError?: ((error: unknown) => ErrorInfo) | undefined;
};

const PAY_CODE_UNAVAILABLE: ErrorInfo = {
  name: "PaymentCodeUnavailable",
  isRetryable: false,
  mayHaveReachedGateway: false,
};

/**
 * Runs one gateway command and returns the machine event for its answer or its error. Never
 * throws for a gateway failure; an abort (`AlipayAbortError`, shutdown) is rethrown.
 */
export async function executeCommand(
  client: CommandClient,
  command: TimedCommand,
  state: PaymentState,
  options: ExecuteOptions = {},
): Promise<PaymentEvent> {
  const callOptions = options.signal ? { signal: options.signal } : {};
  const describe = options.describeError ?? toErrorInfo;
  const errorOf = (error: unknown): ErrorInfo => {
    if (error instanceof AlipayAbortError) throw error;
    return describe(error);
  };
  switch (command.type) {
    case "pay": {
      const signed = await options.signedPay?.();
      if (!signed) return { type: "pay_error", error: PAY_CODE_UNAVAILABLE };
      try {
        // Signed once; a resend after SYSTEM_ERROR sends the same bytes (issue 14).
        return { type: "pay_result", result: await client.sendPay(signed, callOptions) };
      } catch (error) {
        return { type: "pay_error", error: errorOf(error) };
      }
    }
    case "query":
      try {
        const input = { partnerTransId: state.partnerTransId, currency: state.currency };
        return { type: "query_result", result: await client.query(input, callOptions) };
      } catch (error) {
        return { type: "query_error", error: errorOf(error) };
      }
    case "cancel":
      try {
        return {
          type: "cancel_result",
          result: await client.cancel({ partnerTransId: state.partnerTransId }, callOptions),
        };
      } catch (error) {
        return { type: "cancel_error", error: errorOf(error) };
      }
    case "refund":
      try {
        const input = {
          partnerTransId: command.partnerTransId,
          partnerRefundId: command.partnerRefundId,
          amountMinor: command.amountMinor,
          currency: state.currency,
          ...(command.reason !== undefined ? { reason: command.reason } : {}),
          // Antom's refund names the payment by its paymentId (the other protocols ignore it).
          ...(state.alipayTransId ? { alipayTransId: state.alipayTransId } : {}),
        };
        return { type: "refund_result", result: await client.refund(input, callOptions) };
      } catch (error) {
        return { type: "refund_error", partnerRefundId: command.partnerRefundId, error: errorOf(error) };
      }
    case "refund_query":
      try {
        const input = {
          partnerTransId: command.partnerTransId,
          partnerRefundId: command.partnerRefundId,
          amountMinor: command.amountMinor,
          currency: state.currency,
        };
        return { type: "refund_query_result", result: await client.refundQuery(input, callOptions) };
      } catch (error) {
        return { type: "refund_query_error", partnerRefundId: command.partnerRefundId, error: errorOf(error) };
      }
  }
}
