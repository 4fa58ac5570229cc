/**
 * Money facts, in ONE place (`@kiosk/alipay-core/money`): which currencies Alipay takes and
 * with how many decimals, how amounts look on the wire and on a screen, integer-only
 * arithmetic, and what a payment code looks like and how it is masked. Every other module
 * (core wire code, sandbox, server, kiosk, staff console, bridge, e2e) imports these; the
 * `kiosk/no-money-facts` lint rule refuses a second copy (tooling/lint/money-rule.js).
 *
 * Client-safe: no Node built-ins and no dependency but the error classes, so the kiosk page
 * and the bridge may import it. Rules and their sources: README.md, "Money rules".
 */
import { AlipayValidationError } from "./errors.ts";

/** Decimal places of a currency's minor unit, as Alipay's wire uses them. Alipay has no 3-decimal currency. */
export type CurrencyExponent = 0 | 2;

/**
 * Minor-unit exponent per currency accepted by Alipay's barcode products. Sources: MAPI
 * spot.pay `currency` list and `trans_amount` "Number(11,2) … JPY and KRW integers" (protocol
 * reference §1.4); Antom "Usage rules of the Amount object" (docs.antom.com/ac/ref/cc: ISO
 * 4217, IDR 2, JPY 0, KRW 0). Note IDR: Intl/CLDR shows it with 0 decimals, Alipay counts 2,
 * so amounts are always formatted with THIS exponent. Unknown currencies are refused.
 */
export const CURRENCY_EXPONENT: Readonly<Record<string, CurrencyExponent>> = Object.freeze({
  AED: 2,
  AUD: 2,
  CAD: 2,
  CHF: 2,
  CNY: 2,
  CZK: 2,
  DKK: 2,
  EUR: 2,
  GBP: 2,
  HKD: 2,
  IDR: 2,
  ILS: 2,
  JPY: 0,
  KRW: 0,
  LKR: 2,
  MOP: 2,
  MUR: 2,
  MYR: 2,
  NOK: 2,
  NZD: 2,
  PHP: 2,
  RUB: 2,
  SEK: 2,
  SGD: 2,
  THB: 2,
  TWD: 2,
  USD: 2,
  ZAR: 2,
});

/** The currencies of {@link CURRENCY_EXPONENT}, sorted. */
export const SUPPORTED_CURRENCIES: readonly string[] = Object.freeze(Object.keys(CURRENCY_EXPONENT).sort());

/** Largest pay / refund amount in major units (reference §1.4: 0.01–100000000.00). */
export const MAX_AMOUNT_MAJOR = 100_000_000;

export function isSupportedCurrency(currency: string): boolean {
  return Object.hasOwn(CURRENCY_EXPONENT, currency);
}

/** Exponent of `currency`. @throws AlipayValidationError for an unsupported currency. */
export function currencyExponent(currency: string): CurrencyExponent {
  const exponent = isSupportedCurrency(currency) ? CURRENCY_EXPONENT[currency] : undefined;
  if (exponent === undefined) {
    throw new AlipayValidationError(
      `Currency ${JSON.stringify(currency)} is not supported by the Alipay barcode client`,
      {
        field: "currency",
      },
    );
  }
  return exponent;
}

function assertMinor(amountMinor: number, field = "amountMinor"): void {
  if (!Number.isSafeInteger(amountMinor)) {
    throw new AlipayValidationError(`Amount ${amountMinor} is not an integer number of minor units`, { field });
  }
}

/**
 * Exact decimal text of integer minor units, by string, never by division: SGD -1234 →
 * `"-12.34"`, JPY 1234 → `"1234"`. @throws AlipayValidationError for a non-integer or an unsupported currency.
 */
export function minorToDecimal(amountMinor: number, currency: string): string {
  return decimalText(amountMinor, currencyExponent(currency));
}

/** {@link minorToDecimal} for a known exponent (the sandbox's own currency records). */
export function decimalText(amountMinor: number, exponent: CurrencyExponent): string {
  assertMinor(amountMinor);
  const sign = amountMinor < 0 ? "-" : "";
  const digits = String(Math.abs(amountMinor));
  if (exponent === 0) return `${sign}${digits}`;
  const padded = digits.padStart(exponent + 1, "0");
  return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

/**
 * Formats integer minor units as Alipay's amount string: SGD 1234 → `"12.34"`, JPY 1234 → `"1234"`.
 * @throws AlipayValidationError if `amountMinor` is not a non-negative safe integer.
 */
export function formatAmount(amountMinor: number, currency: string): string {
  currencyExponent(currency);
  if (!Number.isSafeInteger(amountMinor) || amountMinor < 0) {
    throw new AlipayValidationError(`Amount ${amountMinor} is not a non-negative integer number of minor units`, {
      field: "amountMinor",
    });
  }
  return minorToDecimal(amountMinor, currency);
}

/** Validates a pay / refund amount range (0.01–100000000.00 major units) and formats it. */
export function formatChargeAmount(amountMinor: number, currency: string, field = "amountMinor"): string {
  const formatted = formatAmount(amountMinor, currency);
  const maxMinor = MAX_AMOUNT_MAJOR * 10 ** currencyExponent(currency);
  if (amountMinor < 1 || amountMinor > maxMinor) {
    throw new AlipayValidationError(`Amount ${formatted} ${currency} is outside 0.01–100000000.00`, { field });
  }
  return formatted;
}

/** Integer minor units of `whole` and `fraction` digit strings; `undefined` past safe integers. */
function digitsToMinor(whole: string, fraction: string, exponent: CurrencyExponent): number | undefined {
  const minor = Number(`${whole}${fraction.padEnd(exponent, "0")}`);
  return Number.isSafeInteger(minor) ? minor : undefined;
}

/**
 * Parses an Alipay amount string into integer minor units without floats.
 * Accepts fewer decimals than the exponent (`"12.3"` → 1230) and, for integer currencies,
 * an all-zero fraction (`"1234.00"`). Returns `undefined` for anything else.
 */
export function parseAmount(text: string, currency: string, options: { isSigned?: boolean } = {}): number | undefined {
  if (!isSupportedCurrency(currency)) return undefined;
  const exponent = currencyExponent(currency);
  const match = /^(-?)(\d{1,15})(?:\.(\d{1,8}))?$/.exec(text.trim());
  if (!match) return undefined;
  const [, sign = "", whole = "", fraction = ""] = match;
  if (sign === "-" && !options.isSigned) return undefined;
  const significant = fraction.replace(/0+$/, "");
  if (significant.length > exponent) return undefined;
  const minor = digitsToMinor(whole, significant, exponent);
  if (minor === undefined) return undefined;
  return sign === "-" ? -minor : minor;
}

/**
 * A positive amount a person typed (`"12.5"` CNY → 1250): digits, at most the currency's
 * decimals, no sign, no exponent. `null` for anything else (including zero).
 */
export function parseDecimalInput(text: string, currency: string): number | null {
  if (!isSupportedCurrency(currency)) return null;
  const exponent = currencyExponent(currency);
  const pattern = exponent === 0 ? /^(\d{1,15})$/ : /^(\d{1,15})(?:\.(\d{1,2}))?$/;
  const match = pattern.exec(text.trim());
  if (!match) return null;
  const minor = digitsToMinor(match[1] ?? "", match[2] ?? "", exponent);
  return minor !== undefined && minor > 0 ? minor : null;
}

const formatters = new Map<string, Intl.NumberFormat>();

/**
 * Integer minor units as a person reads them, in `locale`: IDR 1500000 → "IDR 15,000.00",
 * JPY 1500 → "¥1,500". The fraction digits are OUR exponent, set explicitly, so Intl's own
 * currency data (which says IDR has 0 decimals) can never show a different amount than the
 * one charged. The amount reaches Intl as an exact decimal string, never as a float.
 */
export function formatMinor(amountMinor: number, currency: string, locale: string): string {
  const exponent = currencyExponent(currency);
  const key = `${locale}|${currency}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.NumberFormat(locale, {
      style: "currency",
      currency,
      currencyDisplay: "symbol",
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    });
    formatters.set(key, formatter);
  }
  return formatter.format(minorToDecimal(amountMinor, currency) as `${number}`);
}

/** Sum of integer minor units. @throws AlipayValidationError for a non-integer or an overflow. */
export function sumMinor(amounts: Iterable<number>): number {
  let total = 0;
  for (const amount of amounts) {
    assertMinor(amount);
    total += amount;
    assertMinor(total, "total");
  }
  return total;
}

/** `unitMinor × quantity` in integers. @throws AlipayValidationError for a non-integer or an overflow. */
export function multiplyMinor(unitMinor: number, quantity: number): number {
  assertMinor(unitMinor);
  if (!Number.isSafeInteger(quantity))
    throw new AlipayValidationError(`Quantity ${quantity} is not an integer`, { field: "quantity" });
  const product = unitMinor * quantity;
  assertMinor(product, "total");
  return product;
}

// ---------------------------------------------------------------------------
// Payment codes
// ---------------------------------------------------------------------------

/**
 * Buyer payment code (MAPI `buyer_identity_code`, OpenAPI `auth_code`): 16–24 digits starting
 * 25–30 (reference §1.4 and §4 limits). The one format check; the kiosk, the counter, the
 * server and the core all use it.
 */
export const PAYMENT_CODE_PATTERN = /^(2[5-9]|30)\d{14,22}$/;

export function isPaymentCode(text: string): boolean {
  return PAYMENT_CODE_PATTERN.test(text);
}

/** How many leading and trailing characters a masked payment code keeps (6 of 16–24 digits). */
export const PAYMENT_CODE_MASK = Object.freeze({ head: 2, tail: 4 });

/**
 * The one masking rule for payment codes, in logs, stored rows, reports and screens:
 * `281234567890123456` → `28************3456` (first 2, last 4; 6 characters or fewer are
 * masked whole). No other module keeps more or other digits, so two masked copies together
 * never reveal more than these 6.
 */
export function maskPaymentCode(code: string): string {
  const { head, tail } = PAYMENT_CODE_MASK;
  if (code.length <= head + tail) return "*".repeat(code.length);
  return `${code.slice(0, head)}${"*".repeat(code.length - head - tail)}${code.slice(-tail)}`;
}

/**
 * A standalone run of 16–24 digits: a payment code, or anything shaped like one. A run glued
 * to letters is part of an identifier (`K20260301020000…` partner transaction ids), not a code.
 */
const CODE_LIKE_RUN = /(?<![\dA-Za-z])\d{16,24}(?![\dA-Za-z])/g;

/** Masks every 16–24 digit run in free text with {@link maskPaymentCode} (log lines, error messages). */
export function maskPaymentCodesIn(text: string): string {
  return text.replace(CODE_LIKE_RUN, (run) => maskPaymentCode(run));
}
