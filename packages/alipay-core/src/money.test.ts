import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { AlipayValidationError } from "./errors.ts";
import {
  CURRENCY_EXPONENT,
  currencyExponent,
  formatAmount,
  formatMinor,
  isPaymentCode,
  maskPaymentCode,
  maskPaymentCodesIn,
  minorToDecimal,
  multiplyMinor,
  parseAmount,
  parseDecimalInput,
  sumMinor,
  SUPPORTED_CURRENCIES,
} from "./money.ts";

const shown = (text: string): string => text.replace(/[^\d.-]/g, "").replace(/^\.+|\.+$/g, "");

describe("currency exponents (Alipay's, not Intl's)", () => {
  it("counts IDR in 2 decimals like Alipay's wire, JPY and KRW in none, and has no 3-decimal currency", () => {
    expect(currencyExponent("IDR")).toBe(2);
    expect(currencyExponent("JPY")).toBe(0);
    expect(currencyExponent("KRW")).toBe(0);
    expect(new Set(Object.values(CURRENCY_EXPONENT))).toEqual(new Set([0, 2]));
    expect(SUPPORTED_CURRENCIES).toContain("SGD");
  });

  it("refuses unknown currencies instead of guessing, including prototype keys", () => {
    for (const c of ["KWD", "usd", "", "toString", "__proto__"]) {
      expect(() => currencyExponent(c)).toThrow(AlipayValidationError);
      expect(parseAmount("1", c)).toBeUndefined();
      expect(parseDecimalInput("1", c)).toBeNull();
    }
  });
});

describe("formatMinor: what a person reads is what Alipay charges", () => {
  it.each([
    [1_500_000, "IDR"],
    [1, "IDR"],
    [1800, "JPY"],
    [52_000, "KRW"],
    [123_405, "SGD"],
    [10_000_000_000, "USD"],
  ])("%i %s", (minor, currency) => {
    for (const locale of ["en", "zh-CN", "zh-TW", "ja", "ko", "id"]) {
      const text = formatMinor(minor, currency, locale);
      // Indonesian groups with "." and marks decimals with ",": compare digits only there.
      const wire = formatAmount(minor, currency);
      if (locale === "id") expect(text.replace(/\D/g, "")).toBe(wire.replace(/\D/g, ""));
      else expect(shown(text)).toBe(wire);
    }
  });

  it("turns minor units into exact decimal strings (moved from the kiosk's i18n tests)", () => {
    expect(minorToDecimal(3205, "SGD")).toBe("32.05");
    expect(minorToDecimal(5, "SGD")).toBe("0.05");
    expect(minorToDecimal(-120, "SGD")).toBe("-1.20");
    expect(minorToDecimal(1800, "JPY")).toBe("1800");
    expect(minorToDecimal(9_007_199_254_740_991, "SGD")).toBe("90071992547409.91");
    expect(currencyExponent("SGD")).toBe(2);
    expect(currencyExponent("CNY")).toBe(2);
  });

  it("is exact for any safe integer and negative amounts", () => {
    expect(shown(formatMinor(9_007_199_254_740_990, "SGD", "en"))).toBe("90071992547409.90");
    expect(minorToDecimal(-1234, "SGD")).toBe("-12.34");
    expect(minorToDecimal(-5, "SGD")).toBe("-0.05");
    expect(() => minorToDecimal(1.5, "SGD")).toThrow(AlipayValidationError);
  });
});

describe("amount text", () => {
  it("parses typed amounts strictly with the currency's decimals", () => {
    expect(parseDecimalInput("15000.5", "IDR")).toBe(1_500_050);
    expect(parseDecimalInput(" 12 ", "JPY")).toBe(12);
    expect(parseDecimalInput("12.0", "JPY")).toBeNull();
    expect(parseDecimalInput("0.00", "SGD")).toBeNull();
    expect(parseDecimalInput("1.234", "SGD")).toBeNull();
    expect(parseDecimalInput("99999999999999999", "SGD")).toBeNull();
  });
});

describe("integer arithmetic", () => {
  it("sums and multiplies in integers and refuses floats or overflow", () => {
    expect(sumMinor([1, 2, 3])).toBe(6);
    expect(multiplyMinor(3200, 3)).toBe(9600);
    expect(() => sumMinor([0.1, 0.2])).toThrow(AlipayValidationError);
    expect(() => sumMinor([Number.MAX_SAFE_INTEGER, 1])).toThrow(AlipayValidationError);
    expect(() => multiplyMinor(3200, 1.5)).toThrow(AlipayValidationError);
  });
});

describe("payment codes", () => {
  it("accepts 16–24 digits starting 25–30 only", () => {
    expect(isPaymentCode("281234567890123456")).toBe(true);
    expect(isPaymentCode("301234567890123456789012")).toBe(true);
    expect(isPaymentCode("241234567890123456")).toBe(false);
    expect(isPaymentCode("31123456789012345")).toBe(false);
    expect(isPaymentCode("281234567890123")).toBe(false);
    expect(isPaymentCode("2812345678901234567890123")).toBe(false);
    expect(isPaymentCode(" 281234567890123456")).toBe(false);
  });

  it("masks with one rule: first 2 and last 4", () => {
    expect(maskPaymentCode("281234567890123456")).toBe("28************3456");
    expect(maskPaymentCode("123456")).toBe("******");
    expect(maskPaymentCodesIn("scan 281234567890123456, trade 2026030122001000100000000000123")).toBe(
      "scan 28************3456, trade 2026030122001000100000000000123",
    );
    // Quoted, after "=" or "_": masked. Inside an identifier (letters around it): left alone.
    expect(maskPaymentCodesIn(`{"code":"281234567890123456"} code=281234567890123456 pay_281234567890123456`)).toBe(
      `{"code":"28************3456"} code=28************3456 pay_28************3456`,
    );
    expect(maskPaymentCodesIn("K2026030102000012345678 TEST20240101120000001")).toBe(
      "K2026030102000012345678 TEST20240101120000001",
    );
  });
});

describe("client safety", () => {
  it("imports nothing but the error classes, which import nothing (no node:crypto in a page bundle)", () => {
    const importsOf = (file: string): string[] =>
      [
        ...readFileSync(new URL(file, import.meta.url), "utf8").matchAll(
          /^\s*(?:import|export)[^;]*?from\s+"([^"]+)"/gm,
        ),
      ].map((m) => m[1] ?? "");
    expect(importsOf("./money.ts")).toEqual(["./errors.ts"]);
    expect(importsOf("./errors.ts")).toEqual([]);
  });
});
