/**
 * OpenAPI request builders: the common parameters around `biz_content`, and each method's
 * `biz_content` (unsigned; the client adds `sign`).
 *
 * @see https://opendocs.alipay.com/open/02ekfp (alipay.trade.pay)
 */
import { formatChargeAmount } from "../money.ts";
import type { PayInput, RefundInput, RefundQueryInput } from "../shared/contract.ts";
import {
  checkText,
  validatePartnerTransId,
  validatePaymentCode,
  validateRefundIds,
  validateRefundQuery,
} from "../shared/ids.ts";
import { formatDashedTime } from "../shared/time.ts";
import { OPENAPI_PRODUCT_CODE } from "./names.ts";

export type OpenApiCommon = {
  appId: string;
  signType: "RSA" | "RSA2";
  nowMs: number;
  notifyUrl?: string | undefined;
  appAuthToken?: string | undefined;
  offsetMinutes?: number;
  /** Certificate mode: sent (and signed) as `app_cert_sn` and `alipay_root_cert_sn`. */
  certSns?: { appCertSn: string; alipayRootCertSn: string } | undefined;
};

/** Common OpenAPI params + `biz_content`. */
export function buildOpenApiParams(
  common: OpenApiCommon,
  method: string,
  bizContent: Record<string, unknown>,
): Record<string, string> {
  const params: Record<string, string> = {
    app_id: common.appId,
    method,
    format: "JSON",
    charset: "utf-8",
    sign_type: common.signType,
    timestamp: formatDashedTime(common.nowMs, common.offsetMinutes),
    version: "1.0",
    biz_content: JSON.stringify(bizContent),
  };
  if (common.notifyUrl !== undefined) params["notify_url"] = common.notifyUrl;
  if (common.appAuthToken !== undefined) params["app_auth_token"] = common.appAuthToken;
  if (common.certSns !== undefined) {
    params["app_cert_sn"] = common.certSns.appCertSn;
    params["alipay_root_cert_sn"] = common.certSns.alipayRootCertSn;
  }
  return params;
}

/** `alipay.trade.pay` biz_content with `scene=bar_code`. */
export function buildOpenApiPayBiz(
  input: PayInput & {
    storeId?: string;
    terminalId?: string;
    timeoutExpress?: string;
    settleCurrency?: string;
  },
): Record<string, unknown> {
  validatePartnerTransId(input.partnerTransId);
  validatePaymentCode(input.paymentCode);
  const biz: Record<string, unknown> = {
    out_trade_no: input.partnerTransId,
    scene: "bar_code",
    auth_code: input.paymentCode,
    product_code: OPENAPI_PRODUCT_CODE,
    subject: checkText(input.subject, "subject", 256),
    total_amount: formatChargeAmount(input.amountMinor, input.currency),
  };
  if (input.currency !== "CNY") biz["trans_currency"] = input.currency;
  if (input.settleCurrency !== undefined) biz["settle_currency"] = input.settleCurrency;
  if (input.memo !== undefined && input.memo !== "") biz["body"] = checkText(input.memo, "memo", 128);
  if (input.storeId !== undefined) biz["store_id"] = input.storeId;
  if (input.terminalId !== undefined) biz["terminal_id"] = input.terminalId;
  if (input.timeoutExpress !== undefined) biz["timeout_express"] = input.timeoutExpress;
  return biz;
}

export function buildOpenApiQueryBiz(partnerTransId: string): Record<string, unknown> {
  return { out_trade_no: validatePartnerTransId(partnerTransId) };
}

export function buildOpenApiCancelBiz(partnerTransId: string): Record<string, unknown> {
  return { out_trade_no: validatePartnerTransId(partnerTransId) };
}

export function buildOpenApiRefundBiz(input: RefundInput): Record<string, unknown> {
  validateRefundIds(input);
  const biz: Record<string, unknown> = {
    out_trade_no: input.partnerTransId,
    out_request_no: input.partnerRefundId,
    refund_amount: formatChargeAmount(input.amountMinor, input.currency),
  };
  if (input.currency !== "CNY") biz["refund_currency"] = input.currency;
  if (input.reason !== undefined && input.reason !== "") biz["refund_reason"] = checkText(input.reason, "reason", 256);
  return biz;
}

/** `alipay.trade.fastpay.refund.query` biz_content. */
export function buildOpenApiRefundQueryBiz(input: RefundQueryInput): Record<string, unknown> {
  validateRefundQuery(input);
  return {
    out_trade_no: input.partnerTransId,
    out_request_no: input.partnerRefundId,
  };
}
