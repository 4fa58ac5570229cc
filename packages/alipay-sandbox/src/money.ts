/**
 * Currencies the sandbox accepts, their minor-unit exponent and a fixed CNY exchange rate.
 * All arithmetic is in integer minor units; rates are fixed-point with 8 decimals.
 */
export type CurrencyInfo = {
  readonly code: string;
  /** Decimal places on the wire: JPY and KRW are integers (reference §1.4). */
  readonly exponent: 0 | 2;
  /** Currency → CNY rate with exactly 8 decimals, as MAPI prints `exchange_rate`. */
  readonly cnyRate: string;
};

const CURRENCY_LIST: readonly CurrencyInfo[] = [
  { code: "CNY", exponent: 2, cnyRate: "1.00000000" },
  { code: "USD", exponent: 2, cnyRate: "7.12340000" },
  { code: "EUR", exponent: 2, cnyRate: "7.71200000" },
  { code: "GBP", exponent: 2, cnyRate: "9.02500000" },
  { code: "HKD", exponent: 2, cnyRate: "0.91260000" },
  { code: "SGD", exponent: 2, cnyRate: "5.30100000" },
  { code: "AUD", exponent: 2, cnyRate: "4.70300000" },
  { code: "CAD", exponent: 2, cnyRate: "5.21800000" },
  { code: "NZD", exponent: 2, cnyRate: "4.32100000" },
  { code: "CHF", exponent: 2, cnyRate: "8.05400000" },
  { code: "THB", exponent: 2, cnyRate: "0.20110000" },
  { code: "MYR", exponent: 2, cnyRate: "1.51900000" },
  { code: "JPY", exponent: 0, cnyRate: "0.04812000" },
  { code: "KRW", exponent: 0, cnyRate: "0.00521000" },
];

const CURRENCIES: ReadonlyMap<string, CurrencyInfo> = new Map(
  CURRENCY_LIST.map((c) => [c.code, c]),
);

export const SUPPORTED_CURRENCIES: readonly string[] = CURRENCY_LIST.map(
  (c) => c.code,
);

export function currencyInfo(code: string): CurrencyInfo | undefined {
  return CURRENCIES.get(code);
}

/** Largest accepted amount: 100000000.00 in major units (reference §4 limits). */
const MAX_MAJOR = 100_000_000n;

export type ParsedAmount =
  { ok: true; minor: number } | { ok: false; reason: string };

/** Parses a wire amount (`"0.01"`, `"100"` for JPY) into minor units, enforcing format and range. */
export function parseAmount(
  text: string,
  currency: CurrencyInfo,
): ParsedAmount {
  const pattern =
    currency.exponent === 0 ? /^(\d{1,12})$/ : /^(\d{1,12})(?:\.(\d{1,2}))?$/;
  const m = pattern.exec(text);
  if (!m) {
    return {
      ok: false,
      reason:
        currency.exponent === 0
          ? `amount "${text}" must be an integer for ${currency.code}`
          : `amount "${text}" must have at most 2 decimals`,
    };
  }
  const whole = BigInt(m[1] as string);
  const fraction =
    currency.exponent === 0 ? 0n : BigInt((m[2] ?? "").padEnd(2, "0"));
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

/** Formats minor units for the wire (`1` → `"0.01"` for USD, `"1"` for JPY). */
export function formatAmount(minor: number, currency: CurrencyInfo): string {
  if (currency.exponent === 0) return String(minor);
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/** Converts minor units of `currency` into CNY fen at the fixed rate, rounding half up. */
export function toCnyMinor(minor: number, currency: CurrencyInfo): number {
  const rateE8 = BigInt(currency.cnyRate.replace(".", ""));
  // fen = minor * rate * 10^(2 - exponent); rate carries 8 decimals.
  const numerator =
    BigInt(minor) * rateE8 * 10n ** BigInt(2 - currency.exponent);
  const denominator = 100_000_000n;
  return Number((numerator * 2n + denominator) / (denominator * 2n));
}

const CNY = CURRENCIES.get("CNY") as CurrencyInfo;

export function formatCny(minor: number): string {
  return formatAmount(minor, CNY);
}
