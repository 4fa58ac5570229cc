/** Identifiers and free-text fields both protocols send: partner ids, payment codes, subjects. */
import { AlipayValidationError } from "../errors.ts";
import { isPaymentCode, maskPaymentCode } from "../money.ts";
import type { RefundQueryInput } from "./contract.ts";
import { formatCompactTime } from "./time.ts";

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

/** Rejects characters Alipay documents as unsafe inside values (half-width `"`) and over-long text. */
export function checkText(value: string, field: string, maxLength: number): string {
  if (value.length === 0 || value.length > maxLength || value.includes('"')) {
    throw new AlipayValidationError(`${field} must be 1–${maxLength} characters without '"'`, { field });
  }
  return value;
}

/** A refund's ids: both valid, and the refund's differs from the payment's. */
export function validateRefundIds(input: { partnerTransId: string; partnerRefundId: string }): void {
  validatePartnerTransId(input.partnerTransId);
  validatePartnerTransId(input.partnerRefundId, "partnerRefundId");
  if (input.partnerRefundId === input.partnerTransId) {
    throw new AlipayValidationError("partnerRefundId must differ from partnerTransId", { field: "partnerRefundId" });
  }
}

/** Refund ids and amount of a refund query. (both protocols) */
export function validateRefundQuery(input: RefundQueryInput): void {
  validatePartnerTransId(input.partnerTransId);
  validatePartnerTransId(input.partnerRefundId, "partnerRefundId");
  if (!Number.isSafeInteger(input.amountMinor) || input.amountMinor <= 0) {
    throw new AlipayValidationError("amountMinor must be a positive integer", {
      field: "amountMinor",
    });
  }
}
