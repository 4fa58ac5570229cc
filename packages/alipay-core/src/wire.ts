/**
 * Wire formats of Alipay MAPI (global barcode, XML) and the Alipay Open Platform (OpenAPI,
 * JSON). This is the ONLY module where snake_case names and Alipay's codes appear.
 *
 * Builders return unsigned parameter bags; the client adds `sign` / `sign_type`.
 * Mappers take VERIFIED fields only (the client verifies first) and return domain values.
 *
 * @see https://global.alipay.com/docs/ac/global/spot_pay
 * @see https://global.alipay.com/docs/ac/global/overseas_query
 * @see https://global.alipay.com/docs/ac/global/acquire_cancel
 * @see https://global.alipay.com/docs/ac/global/spot_refund
 * @see https://opendocs.alipay.com/open/02ekfp (alipay.trade.pay)
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { AlipayGatewayError, AlipayResponseError, AlipayValidationError } from "./errors.ts";
import { formatChargeAmount, isPaymentCode, maskPaymentCode, parseAmount } from "./money.ts";
import type {
  CancelResult,
  PaidTrade,
  PayResult,
  QueryResult,
  RefundResult,
  SettlementRecord,
  VerifiedNotification,
} from "./types.ts";

// ---------------------------------------------------------------------------
// Service / method names and fixed values
// ---------------------------------------------------------------------------

/** MAPI service names (reference §1.0). */
export const MAPI_SERVICE = {
  pay: "alipay.acquire.overseas.spot.pay",
  query: "alipay.acquire.overseas.query",
  cancel: "alipay.acquire.cancel",
  refund: "alipay.acquire.overseas.spot.refund",
  /** @see https://docs.antom.com/ac/global/refundquery */
  refundQuery: "alipay.acquire.refund.query",
  settlementFile: "forex_liquidation_file",
  transactionFile: "forex_compare_file",
} as const;

/** OpenAPI method names (reference §3a). */
export const OPENAPI_METHOD = {
  pay: "alipay.trade.pay",
  query: "alipay.trade.query",
  cancel: "alipay.trade.cancel",
  refund: "alipay.trade.refund",
  /** @see https://opendocs.alipay.com/open/02ekfl (alipay.trade.fastpay.refund.query) */
  refundQuery: "alipay.trade.fastpay.refund.query",
  billDownloadUrl: "alipay.data.dataservice.bill.downloadurl.query",
} as const;

/** `biz_product` value for overseas barcode pay (demo: "static value which is mandatory"). */
export const MAPI_BIZ_PRODUCT = "OVERSEAS_MBARCODE_PAY";
/** Charset we always declare and sign with. */
export const MAPI_INPUT_CHARSET = "UTF-8";
/** OpenAPI product code for in-store barcode. */
export const OPENAPI_PRODUCT_CODE = "FACE_TO_FACE_PAYMENT";
/** Body the merchant answers a notification with (reference §1.8: lowercase `success`). */
export const NOTIFICATION_ACK_BODY = "success";

// ---------------------------------------------------------------------------
// Money and payment codes: one source, ./money.ts (re-exported for the wire code's callers).
// ---------------------------------------------------------------------------

export {
  CURRENCY_EXPONENT,
  currencyExponent,
  formatAmount,
  formatChargeAmount,
  maskPaymentCode,
  MAX_AMOUNT_MAJOR,
  parseAmount,
  PAYMENT_CODE_PATTERN,
} from "./money.ts";

// ---------------------------------------------------------------------------
// Time formats
// ---------------------------------------------------------------------------

/**
 * Alipay's time zone offset in minutes. The reference marks the zone of `trans_create_time`
 * / `alipay_pay_time` as uncertain; the safe reading is Beijing time (GMT+8), the zone of
 * every other Alipay timestamp (OpenAPI `timestamp`, cancel same-day rule).
 */
export const DEFAULT_ALIPAY_UTC_OFFSET_MINUTES = 480;

function shifted(epochMs: number, offsetMinutes: number): Date {
  return new Date(epochMs + offsetMinutes * 60_000);
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** `yyyyMMddHHmmss` in the given offset (MAPI `trans_create_time`). */
export function formatCompactTime(epochMs: number, offsetMinutes = DEFAULT_ALIPAY_UTC_OFFSET_MINUTES): string {
  const d = shifted(epochMs, offsetMinutes);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

/** `yyyy-MM-dd HH:mm:ss` in the given offset (OpenAPI `timestamp`). */
export function formatDashedTime(epochMs: number, offsetMinutes = DEFAULT_ALIPAY_UTC_OFFSET_MINUTES): string {
  const d = shifted(epochMs, offsetMinutes);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function toEpoch(parts: number[], offsetMinutes: number): number | undefined {
  const [y, mo, d, h = 0, mi = 0, s = 0] = parts as [number, number, number, number?, number?, number?];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(ms);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return ms - offsetMinutes * 60_000;
}

/** Parses `yyyyMMddHHmmss` or `yyyy-MM-dd HH:mm:ss` in the given offset; `undefined` if invalid. */
export function parseAlipayTime(
  text: string | undefined,
  offsetMinutes = DEFAULT_ALIPAY_UTC_OFFSET_MINUTES,
): Date | undefined {
  if (text === undefined) return undefined;
  const m =
    /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text.trim()) ??
    /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text.trim());
  if (!m) return undefined;
  const ms = toEpoch(m.slice(1).map(Number), offsetMinutes);
  return ms === undefined ? undefined : new Date(ms);
}

/** A calendar date `YYYY-MM-DD` (no time zone). */
export type CalendarDate = `${number}-${number}-${number}`;

/** Validates a `YYYY-MM-DD` calendar date. */
export function parseCalendarDate(text: string, field: string): { y: number; m: number; d: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m || toEpoch(m.slice(1).map(Number), 0) === undefined) {
    throw new AlipayValidationError(`${field} must be a calendar date YYYY-MM-DD, got ${JSON.stringify(text)}`, {
      field,
    });
  }
  return { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) };
}

// ---------------------------------------------------------------------------
// Identifiers
// ---------------------------------------------------------------------------

/**
 * partner_trans_id / out_trade_no / partner_refund_id rule: 1–64 characters of letters,
 * digits, `_` and `-`. MAPI only says String(64); OpenAPI says letters/digits/underscore but
 * real notifications carry `-`; this intersection-ish rule is safe for both.
 */
export const PARTNER_TRANS_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** MAPI partner id: 16 digits starting 2088. */
export const PARTNER_ID_PATTERN = /^2088\d{12}$/;

/** @throws AlipayValidationError unless `id` follows {@link PARTNER_TRANS_ID_PATTERN}. */
export function validatePartnerTransId(id: string, field = "partnerTransId"): string {
  if (!PARTNER_TRANS_ID_PATTERN.test(id)) {
    throw new AlipayValidationError(`${field} must be 1–64 letters, digits, '_' or '-'`, { field });
  }
  return id;
}

/** @throws AlipayValidationError unless `code` is a plausible Alipay dynamic payment code. */
export function validatePaymentCode(code: string): string {
  if (!isPaymentCode(code)) {
    // Never echo the code: it is a bearer credential for a minute.
    throw new AlipayValidationError(`Payment code ${maskPaymentCode(code)} is not 16–24 digits starting 25–30`, {
      field: "paymentCode",
    });
  }
  return code;
}

/**
 * Generates a partner transaction id: `<prefix><yyyyMMddHHmmss><random>` (≤64 chars).
 * `randomSuffix` must be unpredictable-enough and unique per attempt (e.g. 8 hex chars).
 */
export function createPartnerTransId(options: { prefix?: string; nowMs: number; randomSuffix: string }): string {
  return validatePartnerTransId(`${options.prefix ?? ""}${formatCompactTime(options.nowMs)}${options.randomSuffix}`);
}

// ---------------------------------------------------------------------------
// extend_info (MAPI)
// ---------------------------------------------------------------------------

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

/** Rejects characters Alipay documents as unsafe inside values (half-width `"`) and over-long text. */
function checkText(value: string, field: string, maxLength: number): string {
  if (value.length === 0 || value.length > maxLength || value.includes('"')) {
    throw new AlipayValidationError(`${field} must be 1–${maxLength} characters without '"'`, { field });
  }
  return value;
}

// ---------------------------------------------------------------------------
// Domain request inputs (camelCase) shared by both protocols
// ---------------------------------------------------------------------------

export type PayInput = {
  partnerTransId: string;
  amountMinor: number;
  currency: string;
  /** Scanned dynamic code (never stored unmasked). */
  paymentCode: string;
  /** Shown in the buyer's Alipay bill (MAPI `trans_name`, OpenAPI `subject`). ≤256 chars. */
  subject: string;
  memo?: string;
  /**
   * Overrides the configured secondary merchant / store / terminal for this payment (the
   * kiosk sets them per attraction). MAPI: `extend_info`; OpenAPI: `store_id`, `terminal_id`.
   */
  secondaryMerchantId?: string;
  storeId?: string;
  terminalId?: string;
  /** Time the order was created; default: the client's clock. */
  createdAtMs?: number;
};

export type RefundInput = {
  partnerTransId: string;
  partnerRefundId: string;
  amountMinor: number;
  currency: string;
  reason?: string;
};

// ---------------------------------------------------------------------------
// MAPI request builders (unsigned)
// ---------------------------------------------------------------------------

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
  const params: Record<string, string> = {
    ...mapiBase(common, MAPI_SERVICE.pay),
    alipay_seller_id: common.partnerId,
    trans_name: checkText(input.subject, "subject", 256),
    partner_trans_id: input.partnerTransId,
    currency: input.currency,
    trans_amount: formatChargeAmount(input.amountMinor, input.currency),
    buyer_identity_code: input.paymentCode,
    identity_code_type: "barcode",
    trans_create_time: formatCompactTime(input.createdAtMs, input.offsetMinutes),
    biz_product: MAPI_BIZ_PRODUCT,
  };
  if (common.notifyUrl !== undefined) params["notify_url"] = common.notifyUrl;
  if (input.memo !== undefined && input.memo !== "") params["memo"] = checkText(input.memo, "memo", 256);
  const extendInfo = buildExtendInfo({
    ...input.merchant,
    ...(input.secondaryMerchantId !== undefined ? { secondaryMerchantId: input.secondaryMerchantId } : {}),
    ...(input.storeId !== undefined ? { storeId: input.storeId } : {}),
    ...(input.terminalId !== undefined ? { terminalId: input.terminalId } : {}),
  });
  if (extendInfo !== undefined) params["extend_info"] = extendInfo;
  return params;
}

/** `alipay.acquire.overseas.query` parameters. */
export function buildMapiQueryParams(common: MapiCommon, partnerTransId: string): Record<string, string> {
  return {
    ...mapiBase(common, MAPI_SERVICE.query),
    partner_trans_id: validatePartnerTransId(partnerTransId),
  };
}

/** `alipay.acquire.cancel` parameters; `timestamp` is epoch milliseconds (global doc). */
export function buildMapiCancelParams(
  common: MapiCommon,
  partnerTransId: string,
  nowMs: number,
): Record<string, string> {
  return {
    ...mapiBase(common, MAPI_SERVICE.cancel),
    out_trade_no: validatePartnerTransId(partnerTransId),
    timestamp: String(nowMs),
  };
}

/** `alipay.acquire.overseas.spot.refund` parameters; always synchronous (`is_sync=Y`). */
export function buildMapiRefundParams(common: MapiCommon, input: RefundInput): Record<string, string> {
  validatePartnerTransId(input.partnerTransId);
  validatePartnerTransId(input.partnerRefundId, "partnerRefundId");
  if (input.partnerRefundId === input.partnerTransId) {
    throw new AlipayValidationError("partnerRefundId must differ from partnerTransId", { field: "partnerRefundId" });
  }
  const params: Record<string, string> = {
    ...mapiBase(common, MAPI_SERVICE.refund),
    partner_trans_id: input.partnerTransId,
    partner_refund_id: input.partnerRefundId,
    refund_amount: formatChargeAmount(input.amountMinor, input.currency),
    currency: input.currency,
    is_sync: "Y",
  };
  if (input.reason !== undefined && input.reason !== "")
    params["refund_reason"] = checkText(input.reason, "reason", 128);
  return params;
}

/** `forex_liquidation_file` (settlement) / `forex_compare_file` (transactions) parameters. */
export function buildMapiSettlementParams(
  common: MapiCommon,
  input: {
    kind: "settlement" | "transactions";
    startDate: string;
    endDate: string;
  },
): Record<string, string> {
  const start = parseCalendarDate(input.startDate, "startDate");
  const end = parseCalendarDate(input.endDate, "endDate");
  const startMs = Date.UTC(start.y, start.m - 1, start.d);
  const endMs = Date.UTC(end.y, end.m - 1, end.d);
  if (endMs < startMs || endMs - startMs > 9 * 86_400_000) {
    throw new AlipayValidationError("endDate must be on or after startDate and at most 10 days later", {
      field: "endDate",
    });
  }
  const compact = (d: { y: number; m: number; d: number }): string => `${d.y}${pad(d.m)}${pad(d.d)}`;
  return {
    ...mapiBase(common, input.kind === "settlement" ? MAPI_SERVICE.settlementFile : MAPI_SERVICE.transactionFile),
    start_date: compact(start),
    end_date: compact(end),
  };
}

// ---------------------------------------------------------------------------
// MAPI response envelope (XML)
// ---------------------------------------------------------------------------

/** Parsed MAPI envelope. `fields` are the children of `response/alipay` (the signed part). */
export type MapiEnvelope =
  | { isSuccess: false; error: string }
  | {
      isSuccess: true;
      fields: Record<string, string>;
      sign: string | undefined;
      signType: string | undefined;
    };

const xmlParser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Parses a MAPI XML body. Leaves verification to the caller: the signed content is
 * `buildSignContent(fields)`. @throws AlipayResponseError for malformed XML or shapes.
 */
export function parseMapiEnvelope(xml: string): MapiEnvelope {
  // Alipay never sends a DTD; refusing one rules out entity-expansion tricks.
  if (/<!(DOCTYPE|ENTITY)/i.test(xml)) throw new AlipayResponseError("MAPI response contains a DTD");
  if (XMLValidator.validate(xml) !== true) throw new AlipayResponseError("MAPI response is not well-formed XML");
  const root = asRecord(asRecord(xmlParser.parse(xml))?.["alipay"]);
  if (!root) throw new AlipayResponseError("MAPI response has no <alipay> root element");
  const isSuccess = root["is_success"];
  if (isSuccess === "F") {
    const error = root["error"];
    return {
      isSuccess: false,
      error: typeof error === "string" && error !== "" ? error : "UNKNOWN_GATEWAY_ERROR",
    };
  }
  if (isSuccess !== "T") throw new AlipayResponseError("MAPI response has no valid <is_success>");
  const inner = asRecord(asRecord(root["response"])?.["alipay"]);
  if (!inner) throw new AlipayResponseError("MAPI response has is_success=T but no <response><alipay>");
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(inner)) {
    if (typeof value !== "string") {
      throw new AlipayResponseError(`MAPI response field <${name}> is repeated or nested`);
    }
    fields[name] = value;
  }
  const sign = root["sign"];
  const signType = root["sign_type"];
  return {
    isSuccess: true,
    fields,
    sign: typeof sign === "string" && sign !== "" ? sign : undefined,
    signType: typeof signType === "string" && signType !== "" ? signType : undefined,
  };
}

/** Charset declared in an XML declaration or Content-Type header, lower-cased. */
export function declaredCharset(contentType: string | undefined, head: string): string {
  const fromHeader = /charset=([A-Za-z0-9_-]+)/i.exec(contentType ?? "")?.[1];
  const fromXml = /^<\?xml[^>]*encoding=["']([A-Za-z0-9_-]+)["']/i.exec(head)?.[1];
  return (fromXml ?? fromHeader ?? "utf-8").toLowerCase();
}

/** MAPI gateway errors that mean "try again" rather than "your request is wrong". */
const MAPI_RETRYABLE_GATEWAY_ERRORS = new Set(["SYSTEM_ERROR", "SESSION_TIMEOUT"]);

/** Typed error for a MAPI `is_success=F` (unsigned) rejection. */
export function mapiGatewayError(error: string, requestId: string | undefined): AlipayGatewayError {
  return new AlipayGatewayError(`Alipay gateway rejected the request: ${error}`, {
    gatewayCode: error,
    isRetryable: MAPI_RETRYABLE_GATEWAY_ERRORS.has(error),
    ...(requestId !== undefined ? { requestId } : {}),
  });
}

// ---------------------------------------------------------------------------
// MAPI response mappers (input: verified fields)
// ---------------------------------------------------------------------------

function requireField(fields: Record<string, string | undefined>, name: string, service: string): string {
  const value = fields[name];
  if (value === undefined || value === "") {
    throw new AlipayResponseError(`${service} response lacks ${name}`);
  }
  return value;
}

/** @internal */
export function checkEcho(
  fields: Record<string, string | undefined>,
  names: string[],
  expected: string,
  service: string,
): void {
  for (const name of names) {
    const value = fields[name];
    if (value !== undefined && value !== "" && value !== expected) {
      throw new AlipayResponseError(`${service} response is for ${name}=${value}, not ${expected}`);
    }
  }
}

/** @internal */
export function parseRequiredAmount(text: string, currency: string, field: string, service: string): number {
  const minor = parseAmount(text, currency);
  if (minor === undefined) throw new AlipayResponseError(`${service} response has an invalid ${field} for ${currency}`);
  return minor;
}

/** @internal */
export function optional(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

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

/** @internal */
export const SYSTEM_ERROR = "SYSTEM_ERROR";

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

/**
 * The trade status both protocols share (TRADE_SUCCESS / TRADE_FINISHED / WAIT_BUYER_PAY /
 * TRADE_CLOSED), mapped to a query outcome; any other spelling is a protocol violation.
 */
function mapQueryTradeStatus(t: {
  status: string | undefined;
  field: string;
  api: string;
  partnerTransId: string;
  alipayTransId: string | undefined;
  paid: () => Omit<Extract<QueryResult, { status: "paid" }>, "status">;
}): QueryResult {
  const withTransId = t.alipayTransId !== undefined ? { alipayTransId: t.alipayTransId } : {};
  switch (t.status) {
    case "TRADE_SUCCESS":
    case "TRADE_FINISHED":
      return { status: "paid", ...t.paid() };
    case "WAIT_BUYER_PAY":
      return { status: "waiting_buyer", partnerTransId: t.partnerTransId, ...withTransId };
    case "TRADE_CLOSED":
      return { status: "closed", partnerTransId: t.partnerTransId, ...withTransId };
    default:
      throw new AlipayResponseError(`${t.api} response has an unexpected ${t.field} ${JSON.stringify(t.status)}`);
  }
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

/**
 * The first merchant identity a notification carries that is not ours, as a reason, or
 * `undefined`. An identity we cannot check (not configured) cannot be proven ours.
 */
function foreignIdentityOf(
  params: Record<string, string>,
  checks: readonly (readonly [field: string, ours: string | undefined])[],
): string | undefined {
  for (const [field, ours] of checks) {
    const value = optional(params[field]);
    if (value === undefined || value === ours) continue;
    return ours === undefined
      ? `${field} ${value} cannot be proven ours: none is configured`
      : `${field} ${value} is not ours (${ours})`;
  }
  return undefined;
}

/** Amount in minor units when both the text and a known currency are there, else `undefined`. */
function notifiedAmount(text: string | undefined, currency: string | undefined): number | undefined {
  return text === undefined || currency === undefined ? undefined : parseAmount(text, currency);
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

function mapTradeStatus(status: string | undefined): VerifiedNotification["status"] {
  switch (status) {
    case "TRADE_SUCCESS":
      return "paid";
    case "TRADE_FINISHED":
      return "finished";
    case "TRADE_CLOSED":
      return "closed";
    case "WAIT_BUYER_PAY":
      return "waiting_buyer";
    default:
      return "other";
  }
}

// ---------------------------------------------------------------------------
// MAPI settlement / transaction files (plain text, `|`-separated)
// ---------------------------------------------------------------------------

/**
 * Parses a `forex_liquidation_file` / `forex_compare_file` body:
 * `partner_transaction_id|amount|currency|transaction_time|settlement_time|transaction_type|service_charge|status|remarks`.
 * A body without `|` is an Alipay message: "No … data …" → empty; anything else → gateway error.
 */
export function parseSettlementFile(
  body: string,
  offsetMinutes = DEFAULT_ALIPAY_UTC_OFFSET_MINUTES,
): { records: SettlementRecord[] } | { message: string } {
  const text = body.replace(/^\uFEFF/, "").trim();
  if (!text.includes("|")) {
    if (text === "" || /^no .*data/i.test(text)) return { message: text === "" ? "empty file" : text };
    throw new AlipayGatewayError(`Alipay refused the file request: ${text.slice(0, 120)}`, {
      gatewayCode: "FILE_REQUEST_REJECTED",
      isRetryable: false,
    });
  }
  const records: SettlementRecord[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    const cols = line.split("|").map((c) => c.trim());
    if (index === 0 && /^partner_trans(action)?_id$/i.test(cols[0] ?? "")) return;
    if (cols.length < 8)
      throw new AlipayResponseError(`Settlement file line ${index + 1} has ${cols.length} columns, expected 9`);
    const [id, amount, currency, txTime, settleTime, type, charge, status, ...rest] = cols as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      ...string[],
    ];
    const amountMinor = parseAmount(amount, currency, { isSigned: true });
    if (amountMinor === undefined)
      throw new AlipayResponseError(`Settlement file line ${index + 1} has an invalid amount`);
    records.push({
      partnerTransId: id,
      amountMinor,
      currency,
      transactionTime: parseAlipayTime(txTime, offsetMinutes),
      settlementTime: parseAlipayTime(settleTime, offsetMinutes),
      transactionType: type,
      serviceChargeMinor: charge === "" ? undefined : parseAmount(charge, currency, { isSigned: true }),
      status,
      remarks: rest.join("|"),
      raw: line,
    });
  });
  return { records };
}

// ---------------------------------------------------------------------------
// OpenAPI request builders (unsigned)
// ---------------------------------------------------------------------------

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
  validatePartnerTransId(input.partnerTransId);
  validatePartnerTransId(input.partnerRefundId, "partnerRefundId");
  if (input.partnerRefundId === input.partnerTransId) {
    throw new AlipayValidationError("partnerRefundId must differ from partnerTransId", { field: "partnerRefundId" });
  }
  const biz: Record<string, unknown> = {
    out_trade_no: input.partnerTransId,
    out_request_no: input.partnerRefundId,
    refund_amount: formatChargeAmount(input.amountMinor, input.currency),
  };
  if (input.currency !== "CNY") biz["refund_currency"] = input.currency;
  if (input.reason !== undefined && input.reason !== "") biz["refund_reason"] = checkText(input.reason, "reason", 256);
  return biz;
}

export function buildOpenApiBillBiz(billDate: string): Record<string, unknown> {
  parseCalendarDate(billDate, "date");
  return { bill_type: "trade", bill_date: billDate };
}

// ---------------------------------------------------------------------------
// OpenAPI response mappers (input: the VERIFIED response object)
// ---------------------------------------------------------------------------

/** Gateway codes (reference §3a). */
export const OPENAPI_CODE = {
  success: "10000",
  waitingBuyer: "10003",
  unknown: "20000",
  businessFailed: "40004",
} as const;

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

/** @internal */
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

/** @internal */
export const OPENAPI_SYSTEM_ERROR = "ACQ.SYSTEM_ERROR";
/** @internal */
export const OPENAPI_NOT_EXIST = "ACQ.TRADE_NOT_EXIST";

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

/** @internal */
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

/**
 * True for a loopback host name as `URL#hostname` spells it: `localhost`, any IPv4 address in
 * 127.0.0.0/8, and `::1` (bracketed or not).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === "localhost" || host === "::1" || host === "[::1]") return true;
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return octets !== null && octets.slice(1).every((o) => Number(o) <= 255);
}

/**
 * Hosts whose bill links may be plain http: Alipay serves `bill_download_url` as
 * `http://dwbillcenter.alipay.com/downloadBillFile.resource?…` (documentation and real
 * captures; `alipaydev.com` in Alipay's own sandbox). The link is short-lived and its
 * content is checked against the ledger, never believed as a payment fact.
 */
export const ALIPAY_BILL_HTTP_HOST_SUFFIXES = ["alipay.com", "alipaydev.com"];

function isAlipayHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return ALIPAY_BILL_HTTP_HOST_SUFFIXES.some((suffix) => host === suffix || host.endsWith(`.${suffix}`));
}

/**
 * https anywhere; plain http only to an Alipay host ({@link ALIPAY_BILL_HTTP_HOST_SUFFIXES})
 * or a loopback host (a local sandbox); anything else is refused. Redirects are refused by
 * the transport, so the host checked here is the host that answers.
 */
export function isAcceptableDownloadUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && (isLoopbackHost(url.hostname) || isAlipayHost(url.hostname));
}

/** Maps `alipay.data.dataservice.bill.downloadurl.query`. */
export function mapOpenApiBill(r: Record<string, unknown>): { downloadUrl: string } | { message: string } {
  const code = str(r, "code");
  if (code === OPENAPI_CODE.success) {
    const url = str(r, "bill_download_url");
    if (url === undefined || !isAcceptableDownloadUrl(url))
      throw new AlipayResponseError(
        "Bill response lacks an https bill_download_url (http only to an Alipay or loopback host)",
      );
    return { downloadUrl: url };
  }
  if (code === OPENAPI_CODE.businessFailed) {
    const sub = failureReason(r);
    if (/BILL_NOT_EXIST/i.test(sub)) return { message: sub };
    throw new AlipayGatewayError(`Alipay refused the bill request: ${sub}`, {
      gatewayCode: code,
      subCode: sub,
      isRetryable: false,
    });
  }
  throw new AlipayGatewayError(`Alipay bill request failed: ${failureReason(r)}`, {
    gatewayCode: code ?? "",
    isRetryable: true,
  });
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
