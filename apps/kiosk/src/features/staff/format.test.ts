import { describe, expect, it } from "vitest";
import { formatAmount } from "@kiosk/alipay-core/money";
import { formatMoney, minorToDecimalString, parseMoneyToMinor } from "./format.ts";

/** The number staff read, as Alipay's wire text: grouping and symbol dropped. */
const shown = (text: string): string => text.replace(/[^\d.]/g, "").replace(/^\.+|\.+$/g, "");

describe("staff console money", () => {
  it.each([
    [1_500_000, "IDR"],
    [1800, "JPY"],
    [52_000, "KRW"],
    [123_450, "SGD"],
  ])("shows %i minor units of %s as the charged amount", (minor, currency) => {
    expect(shown(formatMoney(minor, currency))).toBe(formatAmount(minor, currency));
    expect(minorToDecimalString(minor, currency)).toBe(formatAmount(minor, currency));
  });

  it("reads typed refund amounts with the currency's Alipay decimals", () => {
    expect(parseMoneyToMinor("15000.50", "IDR")).toBe(1_500_050);
    expect(parseMoneyToMinor("15000", "IDR")).toBe(1_500_000);
    expect(parseMoneyToMinor("1800", "JPY")).toBe(1800);
    expect(parseMoneyToMinor("1800.5", "JPY")).toBeNull();
    expect(parseMoneyToMinor("12.345", "SGD")).toBeNull();
    expect(parseMoneyToMinor("0", "SGD")).toBeNull();
    expect(parseMoneyToMinor("-1", "SGD")).toBeNull();
    expect(parseMoneyToMinor("1e3", "SGD")).toBeNull();
  });

  it("never goes through floats: exact at the largest safe amount", () => {
    // (9007199254740990 / 100).toFixed(2) is "90071992547409.91" in floats.
    expect(minorToDecimalString(9_007_199_254_740_990, "SGD")).toBe("90071992547409.90");
    expect(shown(formatMoney(9_007_199_254_740_990, "SGD"))).toBe("90071992547409.90");
    expect(minorToDecimalString(-1234, "SGD")).toBe("-12.34");
  });
});
