import { describe, expect, it } from "vitest";
import { currencyInfo, formatAmount, parseAmount, toCnyMinor, type CurrencyInfo } from "./money.ts";

const USD = currencyInfo("USD") as CurrencyInfo;
const JPY = currencyInfo("JPY") as CurrencyInfo;

describe("money", () => {
  it("parses wire amounts into minor units and back", () => {
    expect(parseAmount("0.01", USD)).toEqual({ ok: true, minor: 1 });
    expect(parseAmount("10.5", USD)).toEqual({ ok: true, minor: 1050 });
    expect(parseAmount("100000000.00", USD)).toEqual({
      ok: true,
      minor: 10_000_000_000,
    });
    expect(parseAmount("1000", JPY)).toEqual({ ok: true, minor: 1000 });
    expect(formatAmount(1050, USD)).toBe("10.50");
    expect(formatAmount(1000, JPY)).toBe("1000");
    expect(formatAmount(-5, USD)).toBe("-0.05");
  });

  it("refuses bad formats and out-of-range amounts", () => {
    for (const text of ["0", "0.00", "1.999", "-1", "1e3", "", "100000000.01"])
      expect(parseAmount(text, USD).ok).toBe(false);
    expect(parseAmount("1.5", JPY).ok).toBe(false);
  });

  it("converts to CNY fen at the fixed rate, half up", () => {
    expect(toCnyMinor(1, USD)).toBe(7); // 0.071234 → 0.07
    expect(toCnyMinor(1000, USD)).toBe(7123);
    expect(toCnyMinor(1000, JPY)).toBe(4812);
    expect(toCnyMinor(10_000_000_000, USD)).toBe(71_234_000_000);
  });
});
