/**
 * OpenAPI response mappers. Input: the VERIFIED `xxx_response` object (the client verifies
 * first); output: domain values. Alipay's OpenAPI spellings live here and in `params.ts`.
 */
import { AlipayGatewayError, AlipayResponseError } from "../errors.ts";
import type { RefundInput, RefundQueryInput } from "../shared/contract.ts";
import {
  asRecord,
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
import { SYSTEM_ERROR } from "../mapi/names.ts";
import { OPENAPI_CODE, OPENAPI_METHOD, OPENAPI_NOT_EXIST, OPENAPI_SYSTEM_ERROR } from "./names.ts";

/** Parses the verified `xxx_response` JSON text into a flat string-valued record. */
export function parseOpenApiResponse(signedContent: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(signedContent);
  } catch (error) {
    throw new AlipayResponseError("OpenAPI response object is not valid JSON", {
      cause: error,
    });
  }
  const record = asRecord(value);
  if (!record) throw new AlipayResponseError("OpenAPI response is not a JSON object");
  return record;
}

export function str(record: Record<string, unknown>, name: string): string | undefined {
  const v = record[name];
  return typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined;
}

/**
 * Throws the typed gateway error for codes that are not a business answer
 * (anything other than 10000 / 10003 / 20000 / 40004).
 */
export function checkOpenApiGatewayCode(response: Record<string, unknown>, requestId: string | undefined): void {
  const code = str(response, "code");
  if (code === undefined) throw new AlipayResponseError("OpenAPI response lacks code");
  if (Object.values(OPENAPI_CODE).includes(code as never)) return;
  const subCode = str(response, "sub_code");
  throw new AlipayGatewayError(`Alipay gateway rejected the request: ${code}${subCode ? ` ${subCode}` : ""}`, {
    gatewayCode: code,
    isRetryable: false,
    ...(subCode !== undefined ? { subCode } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
  });
}

function openApiPaidTrade(
  r: Record<string, unknown>,
  request: { partnerTransId: string; currency: string },
  method: string,
  offsetMinutes: number,
): PaidTrade {
  const currency = str(r, "trans_currency") ?? request.currency;
  if (currency !== request.currency) throw new AlipayResponseError(`${method} response currency ${currency} differs`);
  const trade: PaidTrade = {
    partnerTransId: request.partnerTransId,
    alipayTransId: requireField({ trade_no: str(r, "trade_no") }, "trade_no", method),
    paidAt: parseAlipayTime(str(r, "gmt_payment") ?? str(r, "send_pay_date"), offsetMinutes),
    amountMinor: parseRequiredAmount(
      requireField({ total_amount: str(r, "total_amount") }, "total_amount", method),
      currency,
      "total_amount",
      method,
    ),
    currency,
  };
  const login = str(r, "buyer_logon_id");
  const user = str(r, "buyer_user_id") ?? str(r, "buyer_open_id");
  const rate = str(r, "trans_pay_rate");
  if (login !== undefined) trade.buyerLoginIdMasked = login;
  if (user !== undefined) trade.buyerUserId = user;
  if (rate !== undefined) trade.exchangeRate = rate;
  return trade;
}

export function failureReason(r: Record<string, unknown>): string {
  return str(r, "sub_code") ?? str(r, "code") ?? "UNKNOWN";
}

/** Maps `alipay.trade.pay`: 10000 paid, 10003 waiting, 20000 unknown, 40004 failed (ACQ.SYSTEM_ERROR → unknown). */
export function mapOpenApiPay(
  r: Record<string, unknown>,
  request: { partnerTransId: string; currency: string },
  offsetMinutes = DEFAULT_ALIPAY_UTC_OFFSET_MINUTES,
): PayResult {
  const method = OPENAPI_METHOD.pay;
  checkEcho({ out_trade_no: str(r, "out_trade_no") }, ["out_trade_no"], request.partnerTransId, method);
  const partnerTransId = request.partnerTransId;
  switch (str(r, "code")) {
    case OPENAPI_CODE.success:
      return {
        status: "paid",
        ...openApiPaidTrade(r, request, method, offsetMinutes),
      };
    case OPENAPI_CODE.waitingBuyer: {
      const tradeNo = str(r, "trade_no");
      return {
        status: "waiting_buyer",
        partnerTransId,
        ...(tradeNo !== undefined ? { alipayTransId: tradeNo } : {}),
      };
    }
    case OPENAPI_CODE.businessFailed: {
      const sub = str(r, "sub_code");
      // TRADE_HAS_SUCCESS / TRADE_HAS_CLOSE are facts about an existing trade: query to learn them.
      if (sub === OPENAPI_SYSTEM_ERROR || sub === "ACQ.TRADE_HAS_SUCCESS" || sub === "ACQ.TRADE_HAS_CLOSE") {
        return {
          status: "unknown",
          partnerTransId,
          reason: sub,
          isSystemError: sub === OPENAPI_SYSTEM_ERROR,
        };
      }
      const detail = str(r, "sub_msg");
      return {
        status: "failed",
        partnerTransId,
        reason: failureReason(r),
        ...(detail !== undefined ? { detail } : {}),
      };
    }
    default:
      return {
        status: "unknown",
        partnerTransId,
        reason: failureReason(r),
        isSystemError: true,
      };
  }
}

/** Maps `alipay.trade.query`. */
export function mapOpenApiQuery(
  r: Record<string, unknown>,
  request: { partnerTransId: string; currency: string },
  offsetMinutes = DEFAULT_ALIPAY_UTC_OFFSET_MINUTES,
): QueryResult {
  const method = OPENAPI_METHOD.query;
  checkEcho({ out_trade_no: str(r, "out_trade_no") }, ["out_trade_no"], request.partnerTransId, method);
  const partnerTransId = request.partnerTransId;
  const code = str(r, "code");
  if (code === OPENAPI_CODE.businessFailed) {
    const sub = str(r, "sub_code");
    if (sub === OPENAPI_NOT_EXIST) return { status: "not_found", partnerTransId };
    return {
      status: "unknown",
      partnerTransId,
      reason: failureReason(r),
      isSystemError: sub === OPENAPI_SYSTEM_ERROR,
    };
  }
  if (code !== OPENAPI_CODE.success) {
    return {
      status: "unknown",
      partnerTransId,
      reason: failureReason(r),
      isSystemError: true,
    };
  }
  return mapQueryTradeStatus({
    status: str(r, "trade_status"),
    field: "trade_status",
    api: method,
    partnerTransId,
    alipayTransId: str(r, "trade_no"),
    paid: () => openApiPaidTrade(r, request, method, offsetMinutes),
  });
}

/** Maps `alipay.trade.cancel` (`action` close/refund, `retry_flag` Y/N). */
export function mapOpenApiCancel(r: Record<string, unknown>, request: { partnerTransId: string }): CancelResult {
  const method = OPENAPI_METHOD.cancel;
  checkEcho({ out_trade_no: str(r, "out_trade_no") }, ["out_trade_no"], request.partnerTransId, method);
  const partnerTransId = request.partnerTransId;
  const code = str(r, "code");
  if (code === OPENAPI_CODE.success) {
    const action = str(r, "action");
    const tradeNo = str(r, "trade_no");
    // `action` is absent when there was no trade (ref §3a): not a cancelled payment, since a
    // pay still in flight may land after it.
    if (action !== "close" && action !== "refund") return { status: "not_found", partnerTransId };
    return {
      status: "cancelled",
      partnerTransId,
      ...(tradeNo !== undefined ? { alipayTransId: tradeNo } : {}),
      action,
    };
  }
  if (code === OPENAPI_CODE.businessFailed) {
    const sub = str(r, "sub_code");
    if (sub === OPENAPI_NOT_EXIST) return { status: "not_found", partnerTransId };
    if (str(r, "retry_flag") === "N") return { status: "failed", partnerTransId, reason: failureReason(r) };
    return { status: "retry", partnerTransId, reason: failureReason(r) };
  }
  return { status: "retry", partnerTransId, reason: failureReason(r) };
}

/**
 * Maps `alipay.trade.refund`. 10000 with `fund_change=Y` = refunded; 10000 with `fund_change`
 * `N` or absent = `accepted` (no money moved in this call: a delayed refund, or a repeat of
 * one that may or may not have moved money) — confirm with the refund query.
 */
export function mapOpenApiRefund(r: Record<string, unknown>, request: RefundInput): RefundResult {
  const method = OPENAPI_METHOD.refund;
  checkEcho({ out_trade_no: str(r, "out_trade_no") }, ["out_trade_no"], request.partnerTransId, method);
  const ids = {
    partnerTransId: request.partnerTransId,
    partnerRefundId: request.partnerRefundId,
  };
  const code = str(r, "code");
  if (code === OPENAPI_CODE.success && str(r, "fund_change") !== "Y") {
    return {
      status: "accepted",
      ...ids,
      reason: `fund_change=${str(r, "fund_change") ?? "absent"}`,
    };
  }
  if (code === OPENAPI_CODE.success) {
    const tradeNo = str(r, "trade_no");
    return {
      status: "refunded",
      ...ids,
      refundAmountMinor: request.amountMinor,
      currency: request.currency,
      ...(tradeNo !== undefined ? { alipayTransId: tradeNo } : {}),
    };
  }
  if (code === OPENAPI_CODE.businessFailed) {
    const sub = str(r, "sub_code");
    if (sub === OPENAPI_SYSTEM_ERROR) return { status: "unknown", ...ids, reason: sub, isSystemError: true };
    return { status: "failed", ...ids, reason: failureReason(r) };
  }
  return {
    status: "unknown",
    ...ids,
    reason: failureReason(r),
    isSystemError: true,
  };
}

/** Maps a verified `alipay.trade.fastpay.refund.query` answer. */
export function mapOpenApiRefundQuery(r: Record<string, unknown>, request: RefundQueryInput): RefundQueryResult {
  const method = OPENAPI_METHOD.refundQuery;
  checkEcho(
    {
      out_trade_no: str(r, "out_trade_no"),
      out_request_no: str(r, "out_request_no"),
    },
    ["out_trade_no"],
    request.partnerTransId,
    method,
  );
  checkEcho({ out_request_no: str(r, "out_request_no") }, ["out_request_no"], request.partnerRefundId, method);
  const ids = {
    partnerTransId: request.partnerTransId,
    partnerRefundId: request.partnerRefundId,
  };
  const code = str(r, "code");
  if (code === OPENAPI_CODE.businessFailed) {
    const sub = str(r, "sub_code");
    if (sub === OPENAPI_NOT_EXIST) return { status: "not_found", ...ids };
    return {
      status: "unknown",
      ...ids,
      reason: failureReason(r),
      isSystemError: sub === OPENAPI_SYSTEM_ERROR || sub === SYSTEM_ERROR,
    };
  }
  if (code !== OPENAPI_CODE.success) {
    return {
      status: "unknown",
      ...ids,
      reason: failureReason(r),
      isSystemError: true,
    };
  }
  const refundStatus = str(r, "refund_status");
  if (refundStatus === "REFUND_SUCCESS") {
    return {
      status: "refunded",
      ...ids,
      refundAmountMinor: checkRefundAmount(str(r, "refund_amount"), request, method),
      currency: request.currency,
    };
  }
  // 10000 without business data: Alipay has no such refund request.
  if (str(r, "out_request_no") === undefined && str(r, "refund_amount") === undefined)
    return { status: "not_found", ...ids };
  return {
    status: "pending",
    ...ids,
    reason: refundStatus ?? "no refund_status",
  };
}

/**
 * Maps a verified OpenAPI async notification (`trade_status_sync`). `total_amount` is in
 * `trans_currency` when given, else CNY (the Open Platform prices in yuan, ref §3a; our pay
 * sends `trans_currency` for every non-CNY price): the stored payment's currency is never
 * assumed. `app_id` must be `appId` and `seller_id` must be `sellerId` (the merchant's 2088
 * user id), else `foreignIdentity` says which is not.
 */
export function mapOpenApiNotification(
  params: Record<string, string>,
  ours: { appId?: string; sellerId?: string; utcOffsetMinutes?: number } = {},
): VerifiedNotification {
  const partnerTransId = optional(params["out_trade_no"]);
  if (partnerTransId === undefined) throw new AlipayResponseError("Notification lacks out_trade_no");
  const currency = optional(params["trans_currency"]) ?? "CNY";
  const amountText = optional(params["total_amount"]);
  return {
    protocol: "openapi",
    notifyId: optional(params["notify_id"]),
    notifyType: optional(params["notify_type"]),
    partnerTransId,
    alipayTransId: optional(params["trade_no"]),
    status: mapTradeStatus(optional(params["trade_status"])),
    amountMinor: notifiedAmount(amountText, currency),
    currency,
    amountText,
    foreignIdentity: foreignIdentityOf(params, [
      ["app_id", ours.appId],
      ["seller_id", ours.sellerId],
    ]),
    paidAt: parseAlipayTime(
      optional(params["gmt_payment"]),
      ours.utcOffsetMinutes ?? DEFAULT_ALIPAY_UTC_OFFSET_MINUTES,
    ),
    params: { ...params },
  };
}
