/**
 * Response-mapping helpers every protocol's mappers share: required / optional fields, id
 * echoes, amounts, the shared trade statuses, notification identity checks and signatures.
 * Mappers call these with VERIFIED fields only.
 */
import { AlipayResponseError, AlipaySignatureError } from "../errors.ts";
import { parseAmount } from "../money.ts";
import { verifyParams, type SignType, type VerifyingKey } from "../signing.ts";
import type { QueryResult, VerifiedNotification } from "../types.ts";

/** Body the merchant answers a notification with (reference §1.8: lowercase `success`). */
export const NOTIFICATION_ACK_BODY = "success";

/** A plain object, or `undefined`. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** @throws AlipayResponseError when `name` is absent or empty. */
export function requireField(fields: Record<string, string | undefined>, name: string, service: string): string {
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

/**
 * The trade status both protocols share (TRADE_SUCCESS / TRADE_FINISHED / WAIT_BUYER_PAY /
 * TRADE_CLOSED), mapped to a query outcome; any other spelling is a protocol violation.
 */
export function mapQueryTradeStatus(t: {
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

/**
 * The first merchant identity a notification carries that is not ours, as a reason, or
 * `undefined`. An identity we cannot check (not configured) cannot be proven ours.
 */
export function foreignIdentityOf(
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
export function notifiedAmount(text: string | undefined, currency: string | undefined): number | undefined {
  return text === undefined || currency === undefined ? undefined : parseAmount(text, currency);
}

/** The notification's trade status in domain terms. */
export function mapTradeStatus(status: string | undefined): VerifiedNotification["status"] {
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

/** Checks a notification's signature (V1 rule) against any of `keys`. @throws AlipaySignatureError */
export function verifyNotificationSignature(
  params: Readonly<Record<string, string>>,
  expectedSignType: SignType,
  /** Any of these keys (certificate mode: every configured Alipay certificate). */
  keys: VerifyingKey | readonly VerifyingKey[],
  label: string,
): void {
  const sign = params["sign"];
  if (sign === undefined || sign === "") {
    throw new AlipaySignatureError(`${label} notification is not signed`, {
      reason: "missing_sign",
    });
  }
  const signType = params["sign_type"];
  if (signType !== undefined && signType !== "" && signType !== expectedSignType) {
    throw new AlipaySignatureError(`${label} notification is signed with ${signType}, expected ${expectedSignType}`, {
      reason: "sign_type_mismatch",
    });
  }
  const candidates = Array.isArray(keys) ? keys : [keys as VerifyingKey];
  if (!candidates.some((key) => verifyParams(params, key, "v1"))) {
    throw new AlipaySignatureError(`${label} notification signature does not verify`, { reason: "bad_sign" });
  }
}

/**
 * Parses an `application/x-www-form-urlencoded` notification body, decoding exactly once
 * (`+` → space, `%XX` → byte). Repeated keys are a protocol violation.
 */
export function parseNotificationBody(body: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    if (k in params) throw new AlipayResponseError(`Notification repeats parameter ${k}`);
    params[k] = v;
  }
  return params;
}

/** A reported refund amount must be the requested one (absent: the request's). */
export function checkRefundAmount(
  text: string | undefined,
  request: { amountMinor: number; currency: string },
  api: string,
): number {
  if (text === undefined) return request.amountMinor;
  const minor = parseRequiredAmount(text, request.currency, "refund_amount", api);
  if (minor !== request.amountMinor) {
    throw new AlipayResponseError(`${api} reports ${text} ${request.currency} refunded, not the requested amount`);
  }
  return minor;
}
