/**
 * Antom (AMS, Alipay+) in-store wire format: request bodies and the mapping of answers onto
 * the protocol-neutral outcome unions of `types.ts`. JSON; every amount is
 * `{ currency, value }` with `value` the integer amount in minor units as a string.
 * `result.resultStatus` says how the CALL went (S / F / U); for inquiries the trade's state is
 * in `paymentStatus` / `refundStatus`. See the README ("Antom") for what is sure and what is guessed.
 */
import { AlipayGatewayError, AlipayResponseError, AlipayValidationError } from "../errors.ts";
import { currencyExponent, isSupportedCurrency } from "../money.ts";
import type { CancelResult, PaidTrade, PayResult, QueryResult, RefundQueryResult, RefundResult } from "../types.ts";
import { antomWalletName } from "./wallets.ts";

export const ANTOM_PATH = {
  pay: "/ams/api/v1/payments/pay",
  query: "/ams/api/v1/payments/inquiryPayment",
  cancel: "/ams/api/v1/payments/cancel",
  refund: "/ams/api/v1/payments/refund",
  refundQuery: "/ams/api/v1/payments/inquiryRefund",
  notifyPayment: "notifyPayment",
} as const;

/** Result codes the mapping treats specially (everything else with F is a plain failure). */
export const ANTOM_CODE = {
  success: "SUCCESS",
  paymentInProcess: "PAYMENT_IN_PROCESS",
  userPaying: "USER_PAYING",
  unknownException: "UNKNOWN_EXCEPTION",
  trafficLimit: "REQUEST_TRAFFIC_EXCEED_LIMIT",
  orderIsClosed: "ORDER_IS_CLOSED",
  orderNotExist: "ORDER_NOT_EXIST",
  refundInProcess: "REFUND_IN_PROCESS",
  repeatInconsistent: "REPEAT_REQ_INCONSISTENT",
} as const;

/**
 * F codes that say the CALL was refused (credentials, signature, malformed request): they are
 * configuration or programming faults, thrown as {@link AlipayGatewayError} (not retryable),
 * never read as a trade fact.
 */
export const ANTOM_GATEWAY_CODES: ReadonlySet<string> = new Set([
  "INVALID_SIGNATURE",
  "KEY_NOT_FOUND",
  "INVALID_CLIENT",
  "INVALID_CLIENT_STATUS",
  "ACCESS_DENIED",
  "INVALID_API",
  "API_INVALID",
  "NO_INTERFACE_DEF",
  "PARAM_ILLEGAL",
  "INVALID_CONTRACT",
  "MEDIA_TYPE_NOT_ACCEPTABLE",
  "METHOD_NOT_SUPPORTED",
  "INVALID_ACCESS_TOKEN",
]);

/** U codes after which the same request (same paymentRequestId) may be sent again. */
const RESENDABLE_U_CODES: ReadonlySet<string> = new Set([ANTOM_CODE.unknownException, ANTOM_CODE.trafficLimit]);

/** U codes that mean "the buyer has not confirmed yet" (PIN / password in the wallet). */
const WAITING_U_CODES: ReadonlySet<string> = new Set([ANTOM_CODE.paymentInProcess, ANTOM_CODE.userPaying]);

export type AntomAmount = { currency: string; value: string };

/** `{currency, value}` from minor units (checks the currency is supported and the amount positive). */
export function antomAmount(amountMinor: number, currency: string, field = "amountMinor"): AntomAmount {
  if (!isSupportedCurrency(currency))
    throw new AlipayValidationError(`${field}: currency ${currency} is not supported`, { field: "currency" });
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0)
    throw new AlipayValidationError(`${field} must be a positive integer of minor units`, { field });
  return { currency, value: String(amountMinor) };
}

export type AntomPayBodyInput = {
  partnerTransId: string;
  amountMinor: number;
  currency: string;
  paymentCode: string;
  subject: string;
  paymentMethodType: string;
  notifyUrl: string | undefined;
  referenceMerchantId: string | undefined;
  merchantName: string | undefined;
  merchantMcc: string | undefined;
  storeId: string | undefined;
  storeName: string | undefined;
  terminalId: string | undefined;
  /** ISO 8601, the terminal's request time. */
  terminalRequestTime: string;
};

const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;

function checkRequestId(id: string, field: string): void {
  if (!REQUEST_ID.test(id)) throw new AlipayValidationError(`${field}: 1–64 letters, digits, '_' or '-'`, { field });
}

function compact<T extends Record<string, unknown>>(object: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(object)) if (v !== undefined && v !== "") out[k] = v;
  return out as T;
}

/** `pay` (User-presented Mode): `productCode=IN_STORE_PAYMENT`, the buyer's code as `paymentMethodId`. */
export function buildAntomPayBody(input: AntomPayBodyInput): Record<string, unknown> {
  checkRequestId(input.partnerTransId, "partnerTransId");
  if (!/^\d{10,32}$/.test(input.paymentCode))
    throw new AlipayValidationError("paymentCode must be 10–32 digits", { field: "paymentCode" });
  if (input.subject.trim() === "" || input.subject.length > 256)
    throw new AlipayValidationError("subject must be 1–256 characters", { field: "subject" });
  const amount = antomAmount(input.amountMinor, input.currency);
  const store =
    input.storeId === undefined
      ? undefined
      : compact({ referenceStoreId: input.storeId, storeName: input.storeName, storeMCC: input.merchantMcc });
  const merchant =
    input.referenceMerchantId === undefined
      ? undefined
      : compact({
          referenceMerchantId: input.referenceMerchantId,
          merchantName: input.merchantName,
          merchantMCC: input.merchantMcc,
          store,
        });
  return compact({
    productCode: "IN_STORE_PAYMENT",
    paymentRequestId: input.partnerTransId,
    order: compact({
      referenceOrderId: input.partnerTransId,
      orderDescription: input.subject,
      orderAmount: amount,
      merchant,
      env: compact({ storeTerminalId: input.terminalId, storeTerminalRequestTime: input.terminalRequestTime }),
    }),
    paymentAmount: amount,
    paymentMethod: { paymentMethodType: input.paymentMethodType, paymentMethodId: input.paymentCode },
    paymentFactor: { inStorePaymentScenario: "PaymentCode" },
    paymentNotifyUrl: input.notifyUrl,
  });
}

export function buildAntomInquiryBody(partnerTransId: string): Record<string, unknown> {
  checkRequestId(partnerTransId, "partnerTransId");
  return { paymentRequestId: partnerTransId };
}

export function buildAntomCancelBody(partnerTransId: string): Record<string, unknown> {
  checkRequestId(partnerTransId, "partnerTransId");
  return { paymentRequestId: partnerTransId };
}

export function buildAntomRefundBody(input: {
  paymentId: string;
  partnerRefundId: string;
  amountMinor: number;
  currency: string;
  reason?: string | undefined;
  notifyUrl?: string | undefined;
}): Record<string, unknown> {
  checkRequestId(input.partnerRefundId, "partnerRefundId");
  return compact({
    refundRequestId: input.partnerRefundId,
    paymentId: input.paymentId,
    refundAmount: antomAmount(input.amountMinor, input.currency, "refund amountMinor"),
    refundReason: input.reason,
    refundNotifyUrl: input.notifyUrl,
  });
}

export function buildAntomRefundQueryBody(partnerRefundId: string): Record<string, unknown> {
  checkRequestId(partnerRefundId, "partnerRefundId");
  return { refundRequestId: partnerRefundId };
}

// ---------------------------------------------------------------------------
// Reading answers
// ---------------------------------------------------------------------------

type Body = Readonly<Record<string, unknown>>;

export type AntomResult = { status: "S" | "F" | "U"; code: string; message: string | undefined };

/** Parses an answer's JSON text into an object. @throws AlipayResponseError */
export function parseAntomBody(text: string): Body {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AlipayResponseError("Antom answer is not JSON", { cause: error });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new AlipayResponseError("Antom answer is not a JSON object");
  return parsed as Body;
}

function str(body: Body | undefined, key: string): string | undefined {
  const value = body?.[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}

function obj(body: Body | undefined, key: string): Body | undefined {
  const value = body?.[key];
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Body) : undefined;
}

/** `result.{resultStatus,resultCode,resultMessage}`. @throws AlipayResponseError when absent or unknown. */
export function readAntomResult(body: Body): AntomResult {
  const result = obj(body, "result");
  const status = str(result, "resultStatus");
  const code = str(result, "resultCode");
  if (status !== "S" && status !== "F" && status !== "U")
    throw new AlipayResponseError(`Antom answer has no known result.resultStatus (${status ?? "missing"})`);
  if (code === undefined) throw new AlipayResponseError("Antom answer has no result.resultCode");
  return { status, code, message: str(result, "resultMessage") };
}

/** Throws for an F that refuses the call itself (signature, credentials, parameters). */
function checkGatewayRefusal(result: AntomResult, requestId: string | undefined): void {
  if (result.status === "F" && ANTOM_GATEWAY_CODES.has(result.code))
    throw new AlipayGatewayError(
      `Antom refused the call: ${result.code}${result.message ? ` (${result.message})` : ""}`,
      {
        gatewayCode: result.code,
        isRetryable: false,
        ...(requestId !== undefined ? { requestId } : {}),
      },
    );
}

/** Reads `{currency, value}` as minor units; checks it against what was asked. */
export function readAntomAmount(
  body: Body | undefined,
  key: string,
  expected?: { amountMinor: number; currency: string },
): { amountMinor: number; currency: string } | undefined {
  const amount = obj(body, key);
  if (amount === undefined) return undefined;
  const currency = str(amount, "currency");
  const value = str(amount, "value");
  if (currency === undefined || value === undefined || !/^\d{1,15}$/.test(value))
    throw new AlipayResponseError(`Antom ${key} is not {currency, value} in minor units`);
  if (isSupportedCurrency(currency)) currencyExponent(currency);
  const read = { amountMinor: Number(value), currency };
  if (expected !== undefined && (read.amountMinor !== expected.amountMinor || read.currency !== expected.currency))
    throw new AlipayResponseError(
      `Antom ${key} ${read.amountMinor} ${read.currency} does not match the request (${expected.amountMinor} ${expected.currency})`,
    );
  return read;
}

function checkRequestIdEcho(body: Body, key: string, expected: string): void {
  const echoed = str(body, key);
  if (echoed !== undefined && echoed !== expected)
    throw new AlipayResponseError(`Antom answered for ${key} ${echoed}, not ${expected}`);
}

function parseTime(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : new Date(time);
}

/** The paid trade of a pay / inquiry / notification answer. */
function paidTrade(body: Body, partnerTransId: string, expected: { amountMinor: number; currency: string }): PaidTrade {
  const paymentId = str(body, "paymentId");
  if (paymentId === undefined) throw new AlipayResponseError("Antom reports a success without paymentId");
  const amount = readAntomAmount(body, "paymentAmount", expected) ?? expected;
  const psp = obj(body, "pspCustomerInfo");
  const walletCode = str(psp, "pspName") ?? str(body, "walletBrandName");
  const paymentMethodType = str(obj(body, "paymentMethod"), "paymentMethodType") ?? str(body, "paymentMethodType");
  const trade: PaidTrade = {
    partnerTransId,
    alipayTransId: paymentId,
    paidAt: parseTime(str(body, "paymentTime")),
    amountMinor: amount.amountMinor,
    currency: amount.currency,
  };
  if (walletCode !== undefined) trade.paymentInst = walletCode;
  const walletName = antomWalletName(walletCode);
  if (walletName !== undefined) trade.walletName = walletName;
  if (paymentMethodType !== undefined) trade.paymentMethodType = paymentMethodType;
  const buyerId = str(psp, "pspCustomerId");
  if (buyerId !== undefined) trade.buyerUserId = buyerId;
  const quote = obj(body, "paymentQuote");
  const rate = str(quote, "quotePrice");
  if (rate !== undefined) trade.exchangeRate = rate;
  return trade;
}

/** Answer to `pay`. */
export function mapAntomPay(
  body: Body,
  request: { partnerTransId: string; amountMinor: number; currency: string },
): PayResult {
  const result = readAntomResult(body);
  const id = request.partnerTransId;
  checkGatewayRefusal(result, id);
  checkRequestIdEcho(body, "paymentRequestId", id);
  switch (result.status) {
    case "S":
      return { status: "paid", ...paidTrade(body, id, request) };
    case "U": {
      if (WAITING_U_CODES.has(result.code)) {
        const paymentId = str(body, "paymentId");
        return paymentId === undefined
          ? { status: "waiting_buyer", partnerTransId: id }
          : { status: "waiting_buyer", partnerTransId: id, alipayTransId: paymentId };
      }
      return {
        status: "unknown",
        partnerTransId: id,
        reason: result.code,
        isSystemError: RESENDABLE_U_CODES.has(result.code),
      };
    }
    case "F":
      // The same id already names a different request: its fate is not this answer's to tell.
      if (result.code === ANTOM_CODE.repeatInconsistent)
        return { status: "unknown", partnerTransId: id, reason: result.code, isSystemError: false };
      return result.message === undefined
        ? { status: "failed", partnerTransId: id, reason: result.code }
        : { status: "failed", partnerTransId: id, reason: result.code, detail: result.message };
  }
}

/** Answer to `inquiryPayment`: `result` says whether the inquiry worked, `paymentStatus` the trade's state. */
export function mapAntomQuery(body: Body, request: { partnerTransId: string; currency: string }): QueryResult {
  const result = readAntomResult(body);
  const id = request.partnerTransId;
  checkGatewayRefusal(result, id);
  if (result.status === "U")
    return {
      status: "unknown",
      partnerTransId: id,
      reason: result.code,
      isSystemError: RESENDABLE_U_CODES.has(result.code),
    };
  if (result.status === "F") {
    if (result.code === ANTOM_CODE.orderNotExist) return { status: "not_found", partnerTransId: id };
    return { status: "unknown", partnerTransId: id, reason: result.code, isSystemError: false };
  }
  checkRequestIdEcho(body, "paymentRequestId", id);
  const paymentStatus = str(body, "paymentStatus");
  const paymentId = str(body, "paymentId");
  const withId = paymentId === undefined ? {} : { alipayTransId: paymentId };
  switch (paymentStatus) {
    case "SUCCESS": {
      const amount = readAntomAmount(body, "paymentAmount");
      if (amount === undefined) throw new AlipayResponseError("Antom reports a paid payment without paymentAmount");
      if (amount.currency !== request.currency)
        throw new AlipayResponseError(`Antom paymentAmount currency ${amount.currency} is not ${request.currency}`);
      return { status: "paid", ...paidTrade(body, id, amount) };
    }
    case "PROCESSING":
    case "PENDING":
      return { status: "waiting_buyer", partnerTransId: id, ...withId };
    case "FAIL":
    case "CANCELLED":
      return { status: "closed", partnerTransId: id, ...withId };
    default:
      throw new AlipayResponseError(
        `Antom inquiryPayment answered an unknown paymentStatus (${paymentStatus ?? "missing"})`,
      );
  }
}

/** Answer to `cancel`. An unpaid payment is closed, a paid one refunded (Antom does not say which). */
export function mapAntomCancel(body: Body, request: { partnerTransId: string }): CancelResult {
  const result = readAntomResult(body);
  const id = request.partnerTransId;
  checkGatewayRefusal(result, id);
  if (result.status === "U") return { status: "retry", partnerTransId: id, reason: result.code };
  if (result.status === "F") {
    if (result.code === ANTOM_CODE.orderNotExist) return { status: "not_found", partnerTransId: id };
    if (RESENDABLE_U_CODES.has(result.code)) return { status: "retry", partnerTransId: id, reason: result.code };
    if (result.code === ANTOM_CODE.orderIsClosed) {
      // Closed before this cancel (failed, expired or cancelled already): no money is held.
      const paymentId = str(body, "paymentId");
      return paymentId === undefined
        ? { status: "cancelled", partnerTransId: id, action: "close" }
        : { status: "cancelled", partnerTransId: id, alipayTransId: paymentId, action: "close" };
    }
    return { status: "failed", partnerTransId: id, reason: result.code };
  }
  checkRequestIdEcho(body, "paymentRequestId", id);
  const paymentId = str(body, "paymentId");
  if (paymentId === undefined) return { status: "not_found", partnerTransId: id };
  return { status: "cancelled", partnerTransId: id, alipayTransId: paymentId };
}

/** Answer to `refund`: S = the money moved; U `REFUND_IN_PROCESS` = accepted, confirm by inquiryRefund. */
export function mapAntomRefund(
  body: Body,
  request: { partnerTransId: string; partnerRefundId: string; amountMinor: number; currency: string },
): RefundResult {
  const result = readAntomResult(body);
  const ids = { partnerTransId: request.partnerTransId, partnerRefundId: request.partnerRefundId };
  checkGatewayRefusal(result, request.partnerRefundId);
  if (result.status === "U") {
    if (result.code === ANTOM_CODE.refundInProcess) return { status: "accepted", ...ids, reason: result.code };
    return { status: "unknown", ...ids, reason: result.code, isSystemError: RESENDABLE_U_CODES.has(result.code) };
  }
  if (result.status === "F") return { status: "failed", ...ids, reason: result.code };
  checkRequestIdEcho(body, "refundRequestId", request.partnerRefundId);
  const amount = readAntomAmount(body, "refundAmount", request) ?? request;
  const paymentId = str(body, "paymentId");
  return {
    status: "refunded",
    ...ids,
    refundAmountMinor: amount.amountMinor,
    currency: amount.currency,
    ...(paymentId !== undefined ? { alipayTransId: paymentId } : {}),
  };
}

/** Answer to `inquiryRefund`: only `refundStatus=SUCCESS` says the money moved. */
export function mapAntomRefundQuery(
  body: Body,
  request: { partnerTransId: string; partnerRefundId: string; amountMinor: number; currency: string },
): RefundQueryResult {
  const result = readAntomResult(body);
  const ids = { partnerTransId: request.partnerTransId, partnerRefundId: request.partnerRefundId };
  checkGatewayRefusal(result, request.partnerRefundId);
  if (result.status === "U")
    return { status: "unknown", ...ids, reason: result.code, isSystemError: RESENDABLE_U_CODES.has(result.code) };
  if (result.status === "F") {
    if (result.code === ANTOM_CODE.orderNotExist || result.code === "REFUND_NOT_EXIST")
      return { status: "not_found", ...ids };
    return { status: "unknown", ...ids, reason: result.code, isSystemError: false };
  }
  checkRequestIdEcho(body, "refundRequestId", request.partnerRefundId);
  const refundStatus = str(body, "refundStatus");
  switch (refundStatus) {
    case "SUCCESS": {
      const amount = readAntomAmount(body, "refundAmount", request) ?? request;
      return { status: "refunded", ...ids, refundAmountMinor: amount.amountMinor, currency: amount.currency };
    }
    case "PROCESSING":
      return { status: "pending", ...ids, reason: refundStatus };
    case "FAIL":
      return { status: "failed", ...ids, reason: str(body, "refundFailReason") ?? refundStatus };
    default:
      throw new AlipayResponseError(
        `Antom inquiryRefund answered an unknown refundStatus (${refundStatus ?? "missing"})`,
      );
  }
}

/** `notifyPayment` body → the fields a {@link VerifiedNotification} needs. */
export function readAntomNotification(body: Body): {
  notifyType: string | undefined;
  partnerTransId: string;
  paymentId: string | undefined;
  status: "paid" | "closed" | "other";
  amountMinor: number | undefined;
  currency: string | undefined;
  amountText: string | undefined;
  paidAt: Date | undefined;
  walletName: string | undefined;
  paymentMethodType: string | undefined;
} {
  const result = readAntomResult(body);
  const partnerTransId = str(body, "paymentRequestId");
  if (partnerTransId === undefined) throw new AlipayResponseError("Antom notification has no paymentRequestId");
  const notifyType = str(body, "notifyType");
  const amountObject = obj(body, "paymentAmount");
  let amount: { amountMinor: number; currency: string } | undefined;
  try {
    amount = readAntomAmount(body, "paymentAmount");
  } catch {
    amount = undefined;
  }
  const status =
    notifyType === "PAYMENT_RESULT" || notifyType === undefined
      ? result.status === "S"
        ? "paid"
        : result.status === "F"
          ? "closed"
          : "other"
      : "other";
  return {
    notifyType,
    partnerTransId,
    paymentId: str(body, "paymentId"),
    status,
    amountMinor: amount?.amountMinor,
    currency: amount?.currency ?? str(amountObject, "currency"),
    amountText: str(amountObject, "value"),
    paidAt: parseTime(str(body, "paymentTime")),
    walletName: antomWalletName(str(obj(body, "pspCustomerInfo"), "pspName") ?? str(body, "walletBrandName")),
    paymentMethodType: str(obj(body, "paymentMethod"), "paymentMethodType") ?? str(body, "paymentMethodType"),
  };
}

/** What a merchant answers a verified notification with. */
export const ANTOM_NOTIFICATION_ACK_BODY = JSON.stringify({
  result: { resultCode: "SUCCESS", resultStatus: "S", resultMessage: "success" },
});
