/**
 * MAPI response mappers. Input: the VERIFIED `response/alipay` fields (the client verifies
 * first); output: domain values. Alipay's MAPI spellings live here and in `params.ts`.
 */
import { AlipayResponseError } from "../errors.ts";
import type { RefundInput, RefundQueryInput } from "../shared/contract.ts";
import {
  checkEcho,
  checkRefundAmount,
  foreignIdentityOf,
  mapQueryTradeStatus,
  mapTradeStatus,
  notifiedAmount,
  optional,
  parseRequiredAmount,
  requireField,
} from "../shared/mapping.ts";
import { DEFAULT_ALIPAY_UTC_OFFSET_MINUTES, parseAlipayTime } from "../shared/time.ts";
import type {
  CancelResult,
  PaidTrade,
  PayResult,
  QueryResult,
  RefundQueryResult,
  RefundResult,
  VerifiedNotification,
} from "../types.ts";
import { MAPI_SERVICE, SYSTEM_ERROR } from "./names.ts";

function mapiPaidTrade(
  fields: Record<string, string>,
  request: { partnerTransId: string; currency: string },
  service: string,
  offsetMinutes: number,
): PaidTrade {
  const currency = fields["currency"] ?? request.currency;
  if (currency !== request.currency) {
    throw new AlipayResponseError(`${service} response currency ${currency} differs from ${request.currency}`);
  }
  const trade: PaidTrade = {
    partnerTransId: request.partnerTransId,
    alipayTransId: requireField(fields, "alipay_trans_id", service),
    paidAt: parseAlipayTime(fields["alipay_pay_time"], offsetMinutes),
    amountMinor: parseRequiredAmount(requireField(fields, "trans_amount", service), currency, "trans_amount", service),
    currency,
  };
  const buyerLoginIdMasked = optional(fields["alipay_buyer_login_id"]);
  const buyerUserId = optional(fields["alipay_buyer_user_id"]);
  const paymentInst = optional(fields["payment_inst"]);
  const exchangeRate = optional(fields["exchange_rate"]);
  if (buyerLoginIdMasked !== undefined) trade.buyerLoginIdMasked = buyerLoginIdMasked;
  if (buyerUserId !== undefined) trade.buyerUserId = buyerUserId;
  if (paymentInst !== undefined) trade.paymentInst = paymentInst;
  if (exchangeRate !== undefined) trade.exchangeRate = exchangeRate;
  return trade;
}

/** Maps spot.pay `result_code` SUCCESS / FAILED / UNKNOW (sic). */
export function mapMapiPay(
  fields: Record<string, string>,
  request: { partnerTransId: string; currency: string },
  offsetMinutes = DEFAULT_ALIPAY_UTC_OFFSET_MINUTES,
): PayResult {
  const service = MAPI_SERVICE.pay;
  checkEcho(fields, ["partner_trans_id"], request.partnerTransId, service);
  const resultCode = fields["result_code"];
  const error = optional(fields["error"]) ?? optional(fields["detail_error_code"]);
  switch (resultCode) {
    case "SUCCESS":
      return {
        status: "paid",
        ...mapiPaidTrade(fields, request, service, offsetMinutes),
      };
    case "FAILED":
      // SYSTEM_ERROR: outcome unknown. TRADE_HAS_SUCCESS / TRADE_HAS_CLOSE (a resend with the
      // same id) are facts about an existing trade, not a failed payment: query to learn them
      // (as the OpenAPI mapper does) — a charged trade must never become FAILED.
      if (error === SYSTEM_ERROR || error === "TRADE_HAS_SUCCESS" || error === "TRADE_HAS_CLOSE") {
        return {
          status: "unknown",
          partnerTransId: request.partnerTransId,
          reason: error,
          isSystemError: error === SYSTEM_ERROR,
        };
      }
      return {
        status: "failed",
        partnerTransId: request.partnerTransId,
        reason: error ?? "FAILED",
        ...(optional(fields["detail_error_des"]) !== undefined ? { detail: fields["detail_error_des"] as string } : {}),
      };
    case "UNKNOW":
      return {
        status: "unknown",
        partnerTransId: request.partnerTransId,
        reason: error,
        isSystemError: error === SYSTEM_ERROR,
      };
    default:
      throw new AlipayResponseError(`${service} response has an unexpected result_code ${JSON.stringify(resultCode)}`);
  }
}

/** Maps overseas.query `result_code` SUCCESS / FAIL and `alipay_trans_status`. */
export function mapMapiQuery(
  fields: Record<string, string>,
  request: { partnerTransId: string; currency: string },
  offsetMinutes = DEFAULT_ALIPAY_UTC_OFFSET_MINUTES,
): QueryResult {
  const service = MAPI_SERVICE.query;
  checkEcho(fields, ["partner_trans_id", "out_trade_no"], request.partnerTransId, service);
  const resultCode = fields["result_code"];
  const partnerTransId = request.partnerTransId;
  const alipayTransId = optional(fields["alipay_trans_id"]);
  if (resultCode === "FAIL") {
    const error = optional(fields["error"]) ?? optional(fields["detail_error_code"]);
    if (error === "TRANS_NOT_FOUND" || error === "TRADE_NOT_EXIST") return { status: "not_found", partnerTransId };
    return {
      status: "unknown",
      partnerTransId,
      reason: error,
      isSystemError: error === SYSTEM_ERROR,
    };
  }
  if (resultCode !== "SUCCESS") {
    throw new AlipayResponseError(`${service} response has an unexpected result_code ${JSON.stringify(resultCode)}`);
  }
  return mapQueryTradeStatus({
    status: fields["alipay_trans_status"],
    field: "alipay_trans_status",
    api: service,
    partnerTransId,
    alipayTransId,
    paid: () => mapiPaidTrade(fields, request, service, offsetMinutes),
  });
}
/** Maps acquire.cancel `result_code` SUCCESS / FAIL / UNKNOWN (spelled out) and `retry_flag`. */
export function mapMapiCancel(fields: Record<string, string>, request: { partnerTransId: string }): CancelResult {
  const service = MAPI_SERVICE.cancel;
  checkEcho(fields, ["out_trade_no"], request.partnerTransId, service);
  const partnerTransId = request.partnerTransId;
  const reason = optional(fields["detail_error_code"]) ?? optional(fields["error"]);
  switch (fields["result_code"]) {
    case "SUCCESS": {
      // SUCCESS that names no trade (`trade_no`) does not prove a trade was cancelled: a gateway
      // answers so for a trade it never had, and a pay still in flight may land after it.
      const tradeNo = optional(fields["trade_no"]);
      if (tradeNo === undefined) return { status: "not_found", partnerTransId };
      return { status: "cancelled", partnerTransId, alipayTransId: tradeNo };
    }
    case "FAIL":
      if (reason === "TRADE_NOT_EXIST" || reason === "TRANS_NOT_FOUND") return { status: "not_found", partnerTransId };
      if (fields["retry_flag"] === "N") return { status: "failed", partnerTransId, reason: reason ?? "FAIL" };
      // retry_flag=Y, or absent: bounded by the machine's cancel attempts.
      return { status: "retry", partnerTransId, reason };
    case "UNKNOWN":
      return { status: "retry", partnerTransId, reason };
    default:
      throw new AlipayResponseError(
        `${service} response has an unexpected result_code ${JSON.stringify(fields["result_code"])}`,
      );
  }
}

/** Maps spot.refund `result_code` SUCCESS / FAILED / UNKNOW. */
export function mapMapiRefund(fields: Record<string, string>, request: RefundInput): RefundResult {
  const service = MAPI_SERVICE.refund;
  checkEcho(fields, ["partner_trans_id"], request.partnerTransId, service);
  checkEcho(fields, ["partner_refund_id"], request.partnerRefundId, service);
  const ids = {
    partnerTransId: request.partnerTransId,
    partnerRefundId: request.partnerRefundId,
  };
  const error = optional(fields["error"]) ?? optional(fields["detail_error_code"]);
  switch (fields["result_code"]) {
    case "SUCCESS": {
      const currency = fields["currency"] ?? request.currency;
      if (currency !== request.currency)
        throw new AlipayResponseError(`${service} response currency ${currency} differs`);
      const amountText = optional(fields["refund_amount"]);
      const refundAmountMinor =
        amountText === undefined
          ? request.amountMinor
          : parseRequiredAmount(amountText, currency, "refund_amount", service);
      if (refundAmountMinor !== request.amountMinor) {
        throw new AlipayResponseError(`${service} refunded ${amountText ?? ""} ${currency}, not the requested amount`);
      }
      const alipayTransId = optional(fields["alipay_trans_id"]);
      return {
        status: "refunded",
        ...ids,
        refundAmountMinor,
        currency,
        ...(alipayTransId !== undefined ? { alipayTransId } : {}),
      };
    }
    case "FAILED":
      if (error === SYSTEM_ERROR)
        return {
          status: "unknown",
          ...ids,
          reason: error,
          isSystemError: true,
        };
      return { status: "failed", ...ids, reason: error ?? "FAILED" };
    case "UNKNOW":
      return {
        status: "unknown",
        ...ids,
        reason: error,
        isSystemError: error === SYSTEM_ERROR,
      };
    default:
      throw new AlipayResponseError(
        `${service} response has an unexpected result_code ${JSON.stringify(fields["result_code"])}`,
      );
  }
}

/** Maps a verified `alipay.acquire.refund.query` answer. */
export function mapMapiRefundQuery(fields: Record<string, string>, request: RefundQueryInput): RefundQueryResult {
  const service = MAPI_SERVICE.refundQuery;
  checkEcho(fields, ["out_trade_no"], request.partnerTransId, service);
  checkEcho(fields, ["out_return_no"], request.partnerRefundId, service);
  const ids = {
    partnerTransId: request.partnerTransId,
    partnerRefundId: request.partnerRefundId,
  };
  const errorCode = optional(fields["refund_error_code"]) ?? optional(fields["error"]);
  switch (fields["response_code"]) {
    case "SUCCESS":
      break;
    case "NOT_FOUND":
    case "TRADE_NOT_EXIST":
      return { status: "not_found", ...ids };
    case "ACCESS_FORBIDDEN":
    case "QUERY_FAILED":
      return {
        status: "unknown",
        ...ids,
        reason: fields["response_code"],
        isSystemError: false,
      };
    default:
      throw new AlipayResponseError(
        `${service} response has an unexpected response_code ${JSON.stringify(fields["response_code"])}`,
      );
  }
  switch (fields["refund_result_code"]) {
    case "SUCCESS": {
      const currency = optional(fields["currency"]) ?? request.currency;
      if (currency !== request.currency)
        throw new AlipayResponseError(`${service} response currency ${currency} differs`);
      return {
        status: "refunded",
        ...ids,
        refundAmountMinor: checkRefundAmount(optional(fields["refund_amount"]), request, service),
        currency,
      };
    }
    case "PROCESSING":
      return { status: "pending", ...ids, reason: errorCode ?? "PROCESSING" };
    case "FAILED":
    case "CANCELED":
      return {
        status: "failed",
        ...ids,
        reason: errorCode ?? fields["refund_result_code"],
      };
    default:
      throw new AlipayResponseError(
        `${service} response has an unexpected refund_result_code ${JSON.stringify(fields["refund_result_code"])}`,
      );
  }
}

/**
 * Maps a verified MAPI notification (field names partly uncertain, reference §1.8). The amount
 * is in `trans_currency` when given, else `currency` (ref §1.4: `currency` is the pricing
 * currency unless `trans_currency` is given); without either it stays unknown. `partner`,
 * `seller_id` and `alipay_seller_id` must be `partnerId` (our pay sends `alipay_seller_id` =
 * `partner`, ref §1.4), else `foreignIdentity` says which is not.
 */
export function mapMapiNotification(
  params: Record<string, string>,
  ours: { partnerId?: string; utcOffsetMinutes?: number } = {},
): VerifiedNotification {
  const partnerTransId = optional(params["partner_trans_id"]) ?? optional(params["out_trade_no"]);
  if (partnerTransId === undefined) {
    throw new AlipayResponseError("Notification carries neither partner_trans_id nor out_trade_no");
  }
  const status = optional(params["trade_status"]) ?? optional(params["alipay_trans_status"]);
  const currency = optional(params["trans_currency"]) ?? optional(params["currency"]);
  const amountText = optional(params["trans_amount"]) ?? optional(params["total_fee"]);
  return {
    protocol: "mapi",
    notifyId: optional(params["notify_id"]),
    notifyType: optional(params["notify_type"]),
    partnerTransId,
    alipayTransId: optional(params["alipay_trans_id"]) ?? optional(params["trade_no"]),
    status: mapTradeStatus(status),
    amountMinor: notifiedAmount(amountText, currency),
    currency,
    amountText,
    foreignIdentity: foreignIdentityOf(
      params,
      ["partner", "seller_id", "alipay_seller_id"].map((field) => [field, ours.partnerId] as const),
    ),
    paidAt: parseAlipayTime(
      optional(params["alipay_pay_time"]) ?? optional(params["gmt_payment"]),
      ours.utcOffsetMinutes ?? DEFAULT_ALIPAY_UTC_OFFSET_MINUTES,
    ),
    params: { ...params },
  };
}
