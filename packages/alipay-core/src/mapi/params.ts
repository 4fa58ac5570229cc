/**
 * MAPI request builders (unsigned parameter bags; the client adds `sign` / `sign_type`).
 *
 * @see https://global.alipay.com/docs/ac/global/spot_pay
 * @see https://global.alipay.com/docs/ac/global/overseas_query
 * @see https://global.alipay.com/docs/ac/global/acquire_cancel
 * @see https://global.alipay.com/docs/ac/global/spot_refund
 * @see https://docs.antom.com/ac/global/refundquery
 */
import { AlipayValidationError } from "../errors.ts";
import { formatChargeAmount } from "../money.ts";
import type { PayInput, RefundInput, RefundQueryInput } from "../shared/contract.ts";
import {
  checkText,
  validatePartnerTransId,
  validatePaymentCode,
  validateRefundIds,
  validateRefundQuery,
} from "../shared/ids.ts";
import { formatCompactTime } from "../shared/time.ts";
import { MAPI_BIZ_PRODUCT, MAPI_INPUT_CHARSET, MAPI_SERVICE } from "./names.ts";

/** Secondary-merchant / store / terminal descriptors sent in MAPI `extend_info`. */
export type MerchantInfo = {
  secondaryMerchantId?: string;
  secondaryMerchantName?: string;
  /** 4-digit MCC, e.g. `"5812"`. */
  secondaryMerchantIndustry?: string;
  storeId?: string;
  storeName?: string;
  terminalId?: string;
  sysServiceProviderId?: string;
};

const EXTEND_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Compact `extend_info` JSON, keys in the order of the official demo; absent values omitted.
 * Returns `undefined` when nothing is set.
 */
export function buildExtendInfo(info: MerchantInfo): string | undefined {
  const check = (value: string | undefined, field: string): void => {
    if (value !== undefined && !EXTEND_ID_PATTERN.test(value)) {
      throw new AlipayValidationError(`${field} must be 1–32 letters, digits, '_' or '-'`, { field });
    }
  };
  check(info.secondaryMerchantId, "secondaryMerchantId");
  check(info.storeId, "storeId");
  check(info.terminalId, "terminalId");
  if (info.secondaryMerchantIndustry !== undefined && !/^\d{4}$/.test(info.secondaryMerchantIndustry)) {
    throw new AlipayValidationError("secondaryMerchantIndustry must be a 4-digit MCC", {
      field: "secondaryMerchantIndustry",
    });
  }
  const entries: Array<[string, string | undefined]> = [
    ["secondary_merchant_id", info.secondaryMerchantId],
    ["secondary_merchant_name", info.secondaryMerchantName],
    ["secondary_merchant_industry", info.secondaryMerchantIndustry],
    ["store_id", info.storeId],
    ["store_name", info.storeName],
    ["terminal_id", info.terminalId],
    ["sys_service_provider_id", info.sysServiceProviderId],
  ];
  const present = entries.filter((e): e is [string, string] => e[1] !== undefined);
  if (present.length === 0) return undefined;
  return JSON.stringify(Object.fromEntries(present));
}

export type MapiCommon = { partnerId: string; notifyUrl?: string | undefined };

/** @internal shared with refund-query.ts */
export function mapiBase(common: MapiCommon, service: string): Record<string, string> {
  return {
    service,
    partner: common.partnerId,
    _input_charset: MAPI_INPUT_CHARSET,
  };
}

/** `alipay.acquire.overseas.spot.pay` parameters. */
export function buildMapiPayParams(
  common: MapiCommon,
  input: PayInput & {
    createdAtMs: number;
    merchant: MerchantInfo;
    offsetMinutes?: number;
  },
): Record<string, string> {
  validatePartnerTransId(input.partnerTransId);
  validatePaymentCode(input.paymentCode);
  const params: Record<string, string> = Object.assign(mapiBase(common, MAPI_SERVICE.pay), {
    alipay_seller_id: common.partnerId,
    trans_name: checkText(input.subject, "subject", 256),
    partner_trans_id: input.partnerTransId,
    currency: input.currency,
    trans_amount: formatChargeAmount(input.amountMinor, input.currency),
    buyer_identity_code: input.paymentCode,
    identity_code_type: "barcode",
    trans_create_time: formatCompactTime(input.createdAtMs, input.offsetMinutes),
    biz_product: MAPI_BIZ_PRODUCT,
  });
  if (common.notifyUrl !== undefined) params["notify_url"] = common.notifyUrl;
  if (input.memo !== undefined && input.memo !== "") params["memo"] = checkText(input.memo, "memo", 256);
  const merchant: MerchantInfo = Object.assign({}, input.merchant);
  if (input.secondaryMerchantId !== undefined) merchant.secondaryMerchantId = input.secondaryMerchantId;
  if (input.storeId !== undefined) merchant.storeId = input.storeId;
  if (input.terminalId !== undefined) merchant.terminalId = input.terminalId;
  const extendInfo = buildExtendInfo(merchant);
  if (extendInfo !== undefined) params["extend_info"] = extendInfo;
  return params;
}

/** `alipay.acquire.overseas.query` parameters. */
export function buildMapiQueryParams(common: MapiCommon, partnerTransId: string): Record<string, string> {
  return Object.assign(mapiBase(common, MAPI_SERVICE.query), {
    partner_trans_id: validatePartnerTransId(partnerTransId),
  });
}

/** `alipay.acquire.cancel` parameters; `timestamp` is epoch milliseconds (global doc). */
export function buildMapiCancelParams(
  common: MapiCommon,
  partnerTransId: string,
  nowMs: number,
): Record<string, string> {
  return Object.assign(mapiBase(common, MAPI_SERVICE.cancel), {
    out_trade_no: validatePartnerTransId(partnerTransId),
    timestamp: String(nowMs),
  });
}

/** `alipay.acquire.overseas.spot.refund` parameters; always synchronous (`is_sync=Y`). */
export function buildMapiRefundParams(common: MapiCommon, input: RefundInput): Record<string, string> {
  validateRefundIds(input);
  const params: Record<string, string> = Object.assign(mapiBase(common, MAPI_SERVICE.refund), {
    partner_trans_id: input.partnerTransId,
    partner_refund_id: input.partnerRefundId,
    refund_amount: formatChargeAmount(input.amountMinor, input.currency),
    currency: input.currency,
    is_sync: "Y",
  });
  if (input.reason !== undefined && input.reason !== "")
    params["refund_reason"] = checkText(input.reason, "reason", 128);
  return params;
}

/** `alipay.acquire.refund.query` parameters. */
export function buildMapiRefundQueryParams(common: MapiCommon, input: RefundQueryInput): Record<string, string> {
  validateRefundQuery(input);
  return Object.assign(mapiBase(common, MAPI_SERVICE.refundQuery), {
    out_trade_no: input.partnerTransId,
    out_return_no: input.partnerRefundId,
  });
}
