/**
 * What a server payment state means for the visitor. Pure: the server owns the payment,
 * the page only maps its state (and Alipay's failure reason) onto screens and copy.
 */

/** Server payment states (PaymentStateName in @kiosk/db), as strings so the page needs no server import. */
export type ServerPaymentState =
  | "SENDING"
  | "POLLING"
  | "CANCELLING"
  | "PAID"
  | "FAILED"
  | "CANCELLED"
  | "REFUNDING"
  | "PARTIALLY_REFUNDED"
  | "REFUNDED"
  | "NEEDS_ATTENTION";

export type FailureReason =
  | "code_expired"
  | "insufficient_balance"
  | "cancelled"
  | "timed_out"
  | "declined"
  | "hold_expired"
  | "needs_attention"
  | "error";

export const FAILURE_REASONS: readonly FailureReason[] = [
  "code_expired",
  "insufficient_balance",
  "cancelled",
  "timed_out",
  "declined",
  "hold_expired",
  "needs_attention",
  "error",
];

export type PayingPhase = "sending" | "waiting_pin" | "cancelling";

export type PaymentOutcome =
  { kind: "active"; phase: PayingPhase } | { kind: "paid" } | { kind: "failed"; reason: FailureReason };

export interface PaymentSnapshot {
  state: string;
  failureReason: string | null;
}

/**
 * Alipay failure codes (MAPI `detail_error_code`, OpenAPI `sub_code`) → visitor reason.
 * Codes from the Alipay protocol reference and the sandbox scenarios.
 */
export function classifyFailureReason(reason: string | null): FailureReason {
  const r = (reason ?? "").toUpperCase();
  if (/BALANCE_NOT_ENOUGH|INSUFFICIENT|NOT_ENOUGH|BANKCARD_BALANCE/.test(r)) return "insufficient_balance";
  if (/AUTH_CODE|PAYMENT_CODE|SOUNDWAVE|PARSER_FAIL|BARCODE|CODE_INVALID|CODE_EXPIRED|EXPIRED_CODE|DYNAMIC_ID/.test(r))
    return "code_expired";
  if (/TRADE CLOSED|TRADE_CLOSED|BUYER_CANCEL|REJECT|CLOSED|HAS_CLOSE/.test(r)) return "declined";
  if (/TIMEOUT|TIMED OUT|DEADLINE|EXPIRE/.test(r)) return "timed_out";
  return "error";
}

/**
 * Maps a payment to what the visitor sees. `isCancelledByVisitor` tells a visitor's cancel
 * ("cancelled") from the server's deadline cancel ("timed out"); both mean nothing was charged.
 */
export function paymentOutcome(p: PaymentSnapshot, isCancelledByVisitor: boolean): PaymentOutcome {
  switch (p.state) {
    case "SENDING":
      return { kind: "active", phase: "sending" };
    case "POLLING":
      return { kind: "active", phase: isCancelledByVisitor ? "cancelling" : "waiting_pin" };
    case "CANCELLING":
      return { kind: "active", phase: "cancelling" };
    case "PAID":
    case "REFUNDING":
    case "PARTIALLY_REFUNDED":
    case "REFUNDED":
      return { kind: "paid" };
    case "FAILED":
      return { kind: "failed", reason: classifyFailureReason(p.failureReason) };
    case "CANCELLED":
      return { kind: "failed", reason: isCancelledByVisitor ? "cancelled" : "timed_out" };
    case "NEEDS_ATTENTION":
      return { kind: "failed", reason: "needs_attention" };
    default:
      return { kind: "failed", reason: "error" };
  }
}

/** Reasons where the visitor was certainly not charged (the copy says so). */
export function isNotCharged(reason: FailureReason): boolean {
  return reason !== "needs_attention";
}

/** Reasons where scanning again with the same tickets makes sense. */
export function isRetryable(reason: FailureReason): boolean {
  return reason !== "needs_attention" && reason !== "hold_expired";
}
