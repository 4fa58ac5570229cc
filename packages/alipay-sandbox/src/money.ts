/**
 * Currencies the sandbox accepts, with a fixed CNY exchange rate. Their minor-unit exponents
 * come from the one money module (`@kiosk/alipay-core/money`), never from a table here.
 * All arithmetic is in integer minor units; rates are fixed-point with 8 decimals.
 */
import { currencyExponent, decimalText, MAX_AMOUNT_MAJOR, type CurrencyExponent } from "@kiosk/alipay-core/money";

export type CurrencyInfo = {
  readonly code: string;
  /** Decimal places on the wire (JPY and KRW are integers), from `@kiosk/alipay-core/money`. */
  readonly exponent: CurrencyExponent;
  /** Currency → CNY rate with exactly 8 decimals, as MAPI prints `exchange_rate`. */
  readonly cnyRate: string;
};

const CNY_RATES: Readonly<Record<string, string>> = {
  CNY: "1.00000000",
  USD: "7.12340000",
  EUR: "7.71200000",
  GBP: "9.02500000",
  HKD: "0.91260000",
  SGD: "5.30100000",
  AUD: "4.70300000",
  CAD: "5.21800000",
  NZD: "4.32100000",
  CHF: "8.05400000",
  THB: "0.20110000",
  MYR: "1.51900000",
  JPY: "0.04812000",
  KRW: "0.00521000",
  IDR: "0.00045000",
};

const CURRENCY_LIST: readonly CurrencyInfo[] = Object.entries(CNY_RATES).map(([code, cnyRate]) => ({
  code,
  exponent: currencyExponent(code),
  cnyRate,
}));

const CURRENCIES: ReadonlyMap<string, CurrencyInfo> = new Map(CURRENCY_LIST.map((c) => [c.code, c]));

export const SUPPORTED_CURRENCIES: readonly string[] = CURRENCY_LIST.map((c) => c.code);

export function currencyInfo(code: string): CurrencyInfo | undefined {
  return CURRENCIES.get(code);
}

const CNY = CURRENCIES.get("CNY") as CurrencyInfo;

/**
 * For showing a stored trade whose currency the sandbox no longer lists: CNY's exponent and
 * rate under the trade's own code (the gateway never accepts such a currency for a new trade).
 */
export function currencyInfoOrCny(code: string): CurrencyInfo {
  return currencyInfo(code) ?? Object.assign({}, CNY, { code });
}

/** Largest accepted amount: 100000000.00 in major units (reference §4 limits). */
const MAX_MAJOR = BigInt(MAX_AMOUNT_MAJOR);

export type ParsedAmount = { ok: true; minor: number } | { ok: false; reason: string };

/** Parses a wire amount (`"0.01"`, `"100"` for JPY) into minor units, enforcing format and range. */
export function parseAmount(text: string, currency: CurrencyInfo): ParsedAmount {
  const pattern =
    currency.exponent === 0 ? /^(\d{1,12})$/ : new RegExp(`^(\\d{1,12})(?:\\.(\\d{1,${currency.exponent}}))?$`);
  const m = pattern.exec(text);
  if (!m) {
    return {
      ok: false,
      reason:
        currency.exponent === 0
          ? `amount "${text}" must be an integer for ${currency.code}`
          : `amount "${text}" must have at most ${currency.exponent} decimals`,
    };
  }
  const whole = BigInt(m[1] as string);
  const fraction = currency.exponent === 0 ? 0n : BigInt((m[2] ?? "").padEnd(currency.exponent, "0"));
  const scale = 10n ** BigInt(currency.exponent);
  const minor = whole * scale + fraction;
  if (minor < 1n || minor > MAX_MAJOR * scale) {
    return {
      ok: false,
      reason: `amount "${text}" is outside 0.01..100000000.00`,
    };
  }
  return { ok: true, minor: Number(minor) };
}

/** Formats minor units for the wire (`1` → `"0.01"` for USD, `"1"` for JPY; negative in files). */
export function formatAmount(minor: number, currency: CurrencyInfo): string {
  return decimalText(minor, currency.exponent);
}

/** Converts minor units of `currency` into CNY fen at the fixed rate, rounding half up. */
export function toCnyMinor(minor: number, currency: CurrencyInfo): number {
  const rateE8 = BigInt(currency.cnyRate.replace(".", ""));
  // fen = minor * rate * 10^(CNY exponent - exponent); rate carries 8 decimals.
  const numerator = BigInt(minor) * rateE8 * 10n ** BigInt(CNY.exponent - currency.exponent);
  const denominator = 100_000_000n;
  return Number((numerator * 2n + denominator) / (denominator * 2n));
}

export function formatCny(minor: number): string {
  return formatAmount(minor, CNY);
}
