/**
 * Domain types of the client: camelCase, protocol-neutral, money in integer minor units.
 * Alipay's own spellings live only in `mapi/` and `openapi/` (params, responses).
 */

/** Which Alipay API a client speaks. */
export type AlipayProtocol = "mapi" | "openapi" | "antom";

/** Details of a paid trade. */
export type PaidTrade = {
  partnerTransId: string;
  alipayTransId: string;
  /** Payment time as reported by Alipay (interpreted in the configured Alipay time zone), if present. */
  paidAt: Date | undefined;
  /** Amount Alipay reports as charged, in minor units of `currency`. */
  amountMinor: number;
  currency: string;
  /** Masked buyer login id as returned by Alipay (e.g. `135***1234`). */
  buyerLoginIdMasked?: string;
  /** Alipay buyer user id (`2088…`). */
  buyerUserId?: string;
  /** Wallet, e.g. `ALIPAYCN`, `ALIPAYHK`. */
  paymentInst?: string;
  /** Forex rate currency → CNY as a decimal string, never parsed to a float. */
  exchangeRate?: string;
  /** Antom: the payment method type (e.g. `CONNECT_WALLET`). */
  paymentMethodType?: string;
  /** Antom: the wallet the buyer paid with, as a visitor reads it (e.g. `GCash`). */
  walletName?: string;
};

/**
 * Outcome of a pay call. `unknown` means: query, do not assume (and never pay again with a
 * new id). `isSystemError` marks Alipay's SYSTEM_ERROR (the machine may resend the pay with
 * the SAME partner_trans_id once a query proves no trade exists).
 */
export type PayResult =
  | ({ status: "paid" } & PaidTrade)
  | {
      status: "failed";
      partnerTransId: string;
      reason: string;
      detail?: string;
    }
  | { status: "waiting_buyer"; partnerTransId: string; alipayTransId?: string }
  | {
      status: "unknown";
      partnerTransId: string;
      reason: string | undefined;
      isSystemError: boolean;
    };

/** Outcome of a query. `closed` = unpaid and closed, or fully reversed. */
export type QueryResult =
  | ({ status: "paid" } & PaidTrade)
  | { status: "waiting_buyer"; partnerTransId: string; alipayTransId?: string }
  | { status: "closed"; partnerTransId: string; alipayTransId?: string }
  | { status: "not_found"; partnerTransId: string }
  | {
      status: "unknown";
      partnerTransId: string;
      reason: string | undefined;
      isSystemError: boolean;
    };

/**
 * Outcome of a cancel (reverse). `cancelled`: closed if unpaid, refunded if paid.
 * `retry`: Alipay says try again (retry_flag=Y, UNKNOWN, SYSTEM_ERROR).
 * `failed`: Alipay says further cancels will not succeed (retry_flag=N) — a person must look.
 */
export type CancelResult =
  | {
      status: "cancelled";
      partnerTransId: string;
      alipayTransId?: string;
      action?: "close" | "refund";
    }
  | { status: "retry"; partnerTransId: string; reason: string | undefined }
  | { status: "failed"; partnerTransId: string; reason: string }
  | { status: "not_found"; partnerTransId: string };

/**
 * Outcome of a refund. `unknown`: retry with the SAME partnerRefundId. `accepted`: Alipay took
 * the refund but says no money moved in this call (OpenAPI `code=10000` with `fund_change` not
 * `Y`) — it is NOT done; confirm it with `refundQuery` before voiding tickets or counting it.
 */
export type RefundResult =
  | {
      status: "accepted";
      partnerTransId: string;
      partnerRefundId: string;
      reason: string | undefined;
    }
  | {
      status: "refunded";
      partnerTransId: string;
      partnerRefundId: string;
      refundAmountMinor: number;
      currency: string;
      alipayTransId?: string;
    }
  | {
      status: "failed";
      partnerTransId: string;
      partnerRefundId: string;
      reason: string;
    }
  | {
      status: "unknown";
      partnerTransId: string;
      partnerRefundId: string;
      reason: string | undefined;
      isSystemError: boolean;
    };

/**
 * Outcome of a refund query (OpenAPI `alipay.trade.fastpay.refund.query`, MAPI
 * `alipay.acquire.refund.query`). Only `refunded` says the money moved.
 * `pending`: Alipay knows the refund but has not executed it yet (query again later).
 * `not_found`: Alipay has no such refund (it may be resent with the SAME partnerRefundId).
 * `failed`: Alipay says the refund failed or was cancelled — a person must look.
 * `unknown`: the query itself did not answer (query again).
 */
export type RefundQueryResult =
  | {
      status: "refunded";
      partnerTransId: string;
      partnerRefundId: string;
      refundAmountMinor: number;
      currency: string;
    }
  | {
      status: "pending";
      partnerTransId: string;
      partnerRefundId: string;
      reason: string | undefined;
    }
  | { status: "not_found"; partnerTransId: string; partnerRefundId: string }
  | {
      status: "failed";
      partnerTransId: string;
      partnerRefundId: string;
      reason: string;
    }
  | {
      status: "unknown";
      partnerTransId: string;
      partnerRefundId: string;
      reason: string | undefined;
      isSystemError: boolean;
    };

/** One line of a MAPI settlement / transaction file. */
export type SettlementRecord = {
  partnerTransId: string;
  /** Signed minor units (refunds may be negative). */
  amountMinor: number;
  currency: string;
  transactionTime: Date | undefined;
  settlementTime: Date | undefined;
  /** As in the file, e.g. `P` (payment) / `R` (refund); opaque. */
  transactionType: string;
  serviceChargeMinor: number | undefined;
  status: string;
  remarks: string;
  /** The raw line, for audit. */
  raw: string;
};

/** Result of a settlement / reconciliation download. */
export type SettlementResult =
  | { format: "records"; records: SettlementRecord[]; isSigned: false }
  | { format: "download_url"; downloadUrl: string; isSigned: true }
  | { format: "empty"; message: string };

/** A verified asynchronous notification, mapped to the domain. */
export type VerifiedNotification = {
  protocol: AlipayProtocol;
  notifyId: string | undefined;
  notifyType: string | undefined;
  partnerTransId: string;
  alipayTransId: string | undefined;
  /** `paid`, `closed`, `waiting_buyer`, `refunded` (TRADE_FINISHED / partial refund info) or `other`. */
  status: "paid" | "closed" | "waiting_buyer" | "finished" | "other";
  /** In minor units of `currency`; `undefined` when the amount or its currency is missing or unreadable. */
  amountMinor: number | undefined;
  /** The currency the amount is written in (MAPI `trans_currency` ?? `currency`; OpenAPI `trans_currency` ?? CNY). */
  currency: string | undefined;
  /** The amount as sent (`trans_amount` / `total_fee` / `total_amount`), for the reason when it cannot be read. */
  amountText: string | undefined;
  /**
   * Set when the notification names a merchant identity that is not this client's
   * (MAPI `partner` / `seller_id` / `alipay_seller_id`, OpenAPI `app_id` / `seller_id`):
   * e.g. `"partner 2088… is not ours (2088…)"`. Such a notification settles nothing.
   */
  foreignIdentity: string | undefined;
  paidAt: Date | undefined;
  /** Antom: the wallet the buyer paid with, as a visitor reads it (e.g. `GCash`), when the notification names it. */
  walletName?: string | undefined;
  /** Antom: `paymentMethodType` (e.g. `CONNECT_WALLET`), when the notification names it. */
  paymentMethodType?: string | undefined;
  /** All verified params (raw strings), for the event log. */
  params: Readonly<Record<string, string>>;
};
