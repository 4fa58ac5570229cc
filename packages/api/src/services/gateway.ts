/** The Alipay client surface the money path uses, and its outcome types (all from @kiosk/alipay-core). */
import {
  toErrorInfo,
  type AlipayClient,
  type ErrorInfo,
  type CancelResult,
  type PaidTrade as CorePaidTrade,
  type PayInput,
  type PayResult,
  type QueryResult,
  type RefundInput,
  type RefundQueryResult,
  type RefundResult,
  type SettlementInput,
  type SettlementRecord,
  type SettlementResult,
  type VerifiedNotification,
} from "@kiosk/alipay-core";

// The money path's names for alipay-core's outcome types (one definition, in alipay-core).
export type PaidTrade = CorePaidTrade;
export type GatewayPayResult = PayResult;
export type GatewayQueryResult = QueryResult;
export type GatewayCancelResult = CancelResult;
export type GatewayRefundResult = RefundResult;
export type GatewayRefundQueryResult = RefundQueryResult;
export type GatewaySettlementRecord = SettlementRecord;
export type GatewaySettlementResult = SettlementResult;
export type GatewayNotification = VerifiedNotification;
export type PayRequest = PayInput;
export type RefundRequest = RefundInput;
export type SettlementRequest = SettlementInput;

/**
 * What the money services need from an Alipay client: alipay-core's `AlipayClient`, narrowed to
 * the calls they make (so a recording wrapper in tests or the key ring can stand in for it).
 * Errors are thrown, outcomes are values.
 */
export type AlipayGateway = Pick<
  AlipayClient,
  | "protocol"
  | "pay"
  | "signPay"
  | "sendPay"
  | "query"
  | "cancel"
  | "refund"
  | "refundQuery"
  | "downloadSettlement"
  | "verifyNotification"
>;

/** A short, secret-free description of a thrown gateway error for events, logs and the machine. */
/** alipay-core's `ErrorInfo` (what the machine reads) plus a short message for event rows and logs. */
export interface GatewayErrorInfo extends ErrorInfo {
  message: string;
}

export function describeGatewayError(error: unknown): GatewayErrorInfo {
  const info = toErrorInfo(error);
  const message = error instanceof Error ? error.message.slice(0, 200) : String(error).slice(0, 200);
  const isRetryable =
    info.isRetryable || (error instanceof Error && (error as { isRetryable?: unknown }).isRetryable === true);
  return {
    name: error instanceof Error ? error.name : "Unknown",
    message,
    isRetryable,
    mayHaveReachedGateway: info.mayHaveReachedGateway,
    ...(info.reason !== undefined ? { reason: info.reason } : {}),
  };
}

/** `Name: message` of a described error (the message when the description carries one). */
export function gatewayErrorText(error: ErrorInfo & { message?: string }): string {
  return error.message ? `${error.name}: ${error.message}` : error.name;
}
