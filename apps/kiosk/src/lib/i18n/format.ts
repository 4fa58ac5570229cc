/**
 * Money, numbers, dates and times per locale. Amounts are integer minor units everywhere;
 * they become a decimal *string* only here, at the edge, so no float ever holds money.
 */
import { INTL_TAGS, type Locale } from "./locales.ts";

const currencyDigitsCache = new Map<string, number>();

/** Minor-unit digits of an ISO 4217 currency (SGD 2, JPY 0, KRW 0, CNY 2), from the Intl data. */
export function currencyDigits(currency: string): number {
  let digits = currencyDigitsCache.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
    currencyDigitsCache.set(currency, digits);
  }
  return digits;
}

/** 3205 minor units of a 2-digit currency → "32.05"; exact for any safe integer. */
export function minorToDecimalString(minor: number, digits: number): `${number}` {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`Amount ${minor} is not an integer number of minor units`);
  const sign = minor < 0 ? "-" : "";
  const abs = String(Math.abs(minor));
  if (digits === 0) return `${sign}${abs}` as `${number}`;
  const padded = abs.padStart(digits + 1, "0");
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}` as `${number}`;
}

export function formatMoney(minor: number, currency: string, locale: Locale): string {
  const digits = currencyDigits(currency);
  return new Intl.NumberFormat(INTL_TAGS[locale], { style: "currency", currency, currencyDisplay: "symbol" }).format(minorToDecimalString(minor, digits));
}

export function formatNumber(value: number, locale: Locale): string {
  return new Intl.NumberFormat(INTL_TAGS[locale]).format(value);
}

/** "Friday, 27 November" style, in the attraction's time zone. */
export function formatDate(date: Date, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(INTL_TAGS[locale], { timeZone, weekday: "long", month: "long", day: "numeric" }).format(date);
}

export function formatShortDate(date: Date, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(INTL_TAGS[locale], { timeZone, weekday: "short", month: "short", day: "numeric" }).format(date);
}

export function formatTime(date: Date, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(INTL_TAGS[locale], { timeZone, hour: "numeric", minute: "2-digit" }).format(date);
}

export function formatDateTime(date: Date, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(INTL_TAGS[locale], { timeZone, dateStyle: "medium", timeStyle: "short" }).format(date);
}

/** A time range within one day, e.g. "10:00 – 11:00". */
export function formatTimeRange(start: Date, end: Date, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(INTL_TAGS[locale], { timeZone, hour: "numeric", minute: "2-digit" }).formatRange(start, end);
}

/** A countdown "4:05" (minutes:seconds); never negative. */
export function formatCountdown(msLeft: number): string {
  const total = Math.max(0, Math.ceil(msLeft / 1000));
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${m}:${String(s).padStart(2, "0")}`;
}

/** The day (YYYY-MM-DD) `n` days after `day`, calendar arithmetic only. */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return t.toISOString().slice(0, 10);
}

/** Noon UTC of a YYYY-MM-DD day: safe to format as that calendar date in any zone within ±11 h. */
export function dayAsDate(day: string): Date {
  return new Date(`${day}T12:00:00Z`);
}
