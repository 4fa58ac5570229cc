/**
 * Refund queries, both protocols: request builders and response mappers (wire names only here
 * and in `wire.ts`). A refund counts as done only when a query says the money moved.
 *
 * OpenAPI `alipay.trade.fastpay.refund.query` [docs: opendocs "统一收单交易退款查询"; labrador
 * `AlipayRefundQueryResponse`]: request `out_trade_no` + `out_request_no`; `code=10000` only
 * says the query worked; `refund_status=REFUND_SUCCESS` says the refund was executed; without
 * it the refund was not received or not (yet) executed. Query ≥ 10 s after the refund.
 *
 * MAPI `alipay.acquire.refund.query` [docs.antom.com/ac/global/refundquery]: request
 * `out_trade_no` + `out_return_no`; `response_code` SUCCESS / NOT_FOUND / TRADE_NOT_EXIST /
 * ACCESS_FORBIDDEN / QUERY_FAILED; `refund_result_code` SUCCESS / FAILED / CANCELED /
 * PROCESSING; `refund_error_code` for FAILED / PROCESSING. Guesses [?]: `out_return_no` carries
 * the spot.refund `partner_refund_id`; `refund_amount` / `currency`, when present, are the
 * refund's amount (checked against the request, as for spot.refund).
 */
import { AlipayResponseError, AlipayValidationError } from "./errors.ts";
import type { RefundQueryResult } from "./types.ts";
import {
  checkEcho,
  failureReason,
  MAPI_SERVICE,
  mapiBase,
  OPENAPI_CODE,
  OPENAPI_METHOD,
  OPENAPI_NOT_EXIST,
  OPENAPI_SYSTEM_ERROR,
  optional,
  parseRequiredAmount,
  str,
  SYSTEM_ERROR,
  validatePartnerTransId,
  type MapiCommon,
} from "./wire.ts";

export type RefundQueryInput = {
  partnerTransId: string;
  partnerRefundId: string;
  /** The refund's amount, checked against what Alipay reports as refunded. */
  amountMinor: number;
  currency: string;
};

function validateIds(input: RefundQueryInput): void {
  validatePartnerTransId(input.partnerTransId);
  validatePartnerTransId(input.partnerRefundId, "partnerRefundId");
  if (!Number.isSafeInteger(input.amountMinor) || input.amountMinor <= 0) {
    throw new AlipayValidationError("amountMinor must be a positive integer", {
      field: "amountMinor",
    });
  }
}

/** `alipay.acquire.refund.query` parameters (unsigned). */
export function buildMapiRefundQueryParams(common: MapiCommon, input: RefundQueryInput): Record<string, string> {
  validateIds(input);
  return {
    ...mapiBase(common, MAPI_SERVICE.refundQuery),
    out_trade_no: input.partnerTransId,
    out_return_no: input.partnerRefundId,
  };
}

/** `alipay.trade.fastpay.refund.query` biz_content. */
export function buildOpenApiRefundQueryBiz(input: RefundQueryInput): Record<string, unknown> {
  validateIds(input);
  return {
    out_trade_no: input.partnerTransId,
    out_request_no: input.partnerRefundId,
  };
}

function checkAmount(text: string | undefined, request: RefundQueryInput, api: string): number {
  if (text === undefined) return request.amountMinor;
  const minor = parseRequiredAmount(text, request.currency, "refund_amount", api);
  if (minor !== request.amountMinor) {
    throw new AlipayResponseError(`${api} reports ${text} ${request.currency} refunded, not the requested amount`);
  }
  return minor;
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
        refundAmountMinor: checkAmount(optional(fields["refund_amount"]), request, service),
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
      refundAmountMinor: checkAmount(str(r, "refund_amount"), request, method),
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
