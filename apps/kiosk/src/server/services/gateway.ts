/**
 * The part of `@kiosk/alipay-core`'s AlipayClient the money path uses, typed here so the
 * services compile and test against any client with this shape (the real client, or a
 * recording wrapper in tests). The outcome unions mirror alipay-core's `src/types.ts`.
 */
import { toErrorInfo } from "@kiosk/alipay-core";

export type PaidTrade = {
  partnerTransId: string;
  alipayTransId: string;
  paidAt: Date | undefined;
  amountMinor: number;
  currency: string;
  buyerLoginIdMasked?: string;
  buyerUserId?: string;
};

export type GatewayPayResult =
  | ({ status: "paid" } & PaidTrade)
  | { status: "failed"; partnerTransId: string; reason: string; detail?: string }
  | { status: "waiting_buyer"; partnerTransId: string; alipayTransId?: string }
  | { status: "unknown"; partnerTransId: string; reason: string | undefined; isSystemError: boolean };

export type GatewayQueryResult =
  | ({ status: "paid" } & PaidTrade)
  | { status: "waiting_buyer"; partnerTransId: string; alipayTransId?: string }
  | { status: "closed"; partnerTransId: string; alipayTransId?: string }
  | { status: "not_found"; partnerTransId: string }
  | { status: "unknown"; partnerTransId: string; reason: string | undefined; isSystemError: boolean };

export type GatewayCancelResult =
  | { status: "cancelled"; partnerTransId: string; alipayTransId?: string; action?: "close" | "refund" }
  | { status: "retry"; partnerTransId: string; reason: string | undefined }
  | { status: "failed"; partnerTransId: string; reason: string }
  | { status: "not_found"; partnerTransId: string };

export type GatewayRefundResult =
  | {
      status: "refunded";
      partnerTransId: string;
      partnerRefundId: string;
      refundAmountMinor: number;
      currency: string;
      alipayTransId?: string;
    }
  | { status: "failed"; partnerTransId: string; partnerRefundId: string; reason: string }
  | { status: "unknown"; partnerTransId: string; partnerRefundId: string; reason: string | undefined; isSystemError: boolean };

export type GatewaySettlementRecord = {
  partnerTransId: string;
  /** Signed minor units (refunds negative). */
  amountMinor: number;
  currency: string;
  transactionTime: Date | undefined;
  /** Opaque type from the file, e.g. `P` (payment) / `R` (refund). */
  transactionType: string;
  status: string;
  remarks: string;
  raw: string;
};

export type GatewaySettlementResult =
  | { format: "records"; records: GatewaySettlementRecord[] }
  | { format: "download_url"; downloadUrl: string }
  | { format: "empty"; message: string };

export type GatewayNotification = {
  notifyId: string | undefined;
  notifyType: string | undefined;
  partnerTransId: string;
  alipayTransId: string | undefined;
  status: "paid" | "closed" | "waiting_buyer" | "finished" | "other";
  amountMinor: number | undefined;
  currency: string | undefined;
  paidAt: Date | undefined;
  params: Readonly<Record<string, string>>;
};

export type PayRequest = {
  partnerTransId: string;
  amountMinor: number;
  currency: string;
  paymentCode: string;
  subject: string;
  storeId?: string;
  terminalId?: string;
};

export type RefundRequest = {
  partnerTransId: string;
  partnerRefundId: string;
  amountMinor: number;
  currency: string;
  reason?: string;
};

export type SettlementRequest = {
  /** `YYYY-MM-DD`. */
  startDate: string;
  endDate?: string;
  kind?: "settlement" | "transactions";
};

/**
 * What the money services need from an Alipay client; alipay-core's `AlipayClient` satisfies
 * it as is. Errors are thrown, outcomes are values.
 */
export interface AlipayGateway {
  readonly protocol: "mapi" | "openapi";
  pay(request: PayRequest, options?: { signal?: AbortSignal }): Promise<GatewayPayResult>;
  query(request: { partnerTransId: string; currency: string }, options?: { signal?: AbortSignal }): Promise<GatewayQueryResult>;
  cancel(request: { partnerTransId: string }, options?: { signal?: AbortSignal }): Promise<GatewayCancelResult>;
  refund(request: RefundRequest, options?: { signal?: AbortSignal }): Promise<GatewayRefundResult>;
  downloadSettlement(request: SettlementRequest, options?: { signal?: AbortSignal }): Promise<GatewaySettlementResult>;
  /** Throws when the signature (or anything else) does not verify; never returns unverified data. */
  verifyNotification(params: Readonly<Record<string, string>>, options?: { currency?: string }): GatewayNotification;
}

/** A short, secret-free description of a thrown gateway error for events, logs and the machine. */
export interface GatewayErrorInfo {
  name: string;
  message: string;
  isRetryable: boolean;
  /** `false` only when the request certainly never reached Alipay; absent means "may have". */
  mayHaveReachedGateway?: boolean;
  /** Gateway code such as `SYSTEM_ERROR`, when known. */
  reason?: string;
}

export function describeGatewayError(error: unknown): GatewayErrorInfo {
  const info = toErrorInfo(error);
  const message = error instanceof Error ? error.message.slice(0, 200) : String(error).slice(0, 200);
  const isRetryable = info.isRetryable || (error instanceof Error && (error as { isRetryable?: unknown }).isRetryable === true);
  return {
    name: error instanceof Error ? error.name : "Unknown",
    message,
    isRetryable,
    mayHaveReachedGateway: info.mayHaveReachedGateway,
    ...(info.reason !== undefined ? { reason: info.reason } : {}),
  };
}
