/**
 * Money, numbers, dates and times per locale. Amounts are integer minor units everywhere;
 * the money rules (exponents, exact formatting) come from `@kiosk/alipay-core/money`.
 */
import { formatMinor } from "@kiosk/alipay-core/money";
import { INTL_TAGS, type Locale } from "./locales.ts";

/** Integer minor units in the visitor's language, with Alipay's exponent (IDR 2, JPY 0): exactly the amount charged. */
export function formatMoney(minor: number, currency: string, locale: Locale): string {
  return formatMinor(minor, currency, INTL_TAGS[locale]);
}

export function formatNumber(value: number, locale: Locale): string {
  return new Intl.NumberFormat(INTL_TAGS[locale]).format(value);
}

/** "Friday, 27 November" style, in the attraction's time zone. */
export function formatDate(date: Date, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(INTL_TAGS[locale], {
    timeZone,
    weekday: "long",
    month: "long",
    day: "numeric",
  }).format(date);
}

export function formatShortDate(date: Date, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(INTL_TAGS[locale], {
    timeZone,
    weekday: "short",
    month: "short",
    day: "numeric",
  }).format(date);
}

export function formatTime(date: Date, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(INTL_TAGS[locale], { timeZone, hour: "numeric", minute: "2-digit" }).format(date);
}

export function formatDateTime(date: Date, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(INTL_TAGS[locale], { timeZone, dateStyle: "medium", timeStyle: "short" }).format(date);
}

/** A time range within one day, e.g. "10:00 – 11:00". */
export function formatTimeRange(start: Date, end: Date, locale: Locale, timeZone: string): string {
  return new Intl.DateTimeFormat(INTL_TAGS[locale], { timeZone, hour: "numeric", minute: "2-digit" }).formatRange(
    start,
    end,
  );
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
