/**
 * Alipay's time formats, both protocols: MAPI `yyyyMMddHHmmss`, OpenAPI `yyyy-MM-dd HH:mm:ss`,
 * both in Alipay's zone (Beijing by default); calendar dates for bill / settlement requests.
 */
import { AlipayValidationError } from "../errors.ts";

/**
 * Alipay's time zone offset in minutes. The reference marks the zone of `trans_create_time`
 * / `alipay_pay_time` as uncertain; the safe reading is Beijing time (GMT+8), the zone of
 * every other Alipay timestamp (OpenAPI `timestamp`, cancel same-day rule).
 */
export const DEFAULT_ALIPAY_UTC_OFFSET_MINUTES = 480;

function shifted(epochMs: number, offsetMinutes: number): Date {
  return new Date(epochMs + offsetMinutes * 60_000);
}

export const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

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
