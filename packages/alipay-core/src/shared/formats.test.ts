import { describe, expect, it } from "vitest";
import { AlipayValidationError } from "../errors.ts";
import { currencyExponent, formatAmount, formatChargeAmount, maskPaymentCode, parseAmount } from "../money.ts";
import { createPartnerTransId, validatePartnerTransId, validatePaymentCode } from "./ids.ts";
import { formatCompactTime, formatDashedTime, parseAlipayTime, parseCalendarDate } from "./time.ts";

const T0 = Date.UTC(2024, 0, 1, 4, 0, 0); // 2024-01-01 12:00:00 GMT+8
describe("amounts", () => {
  it.each([
    [1234, "SGD", "12.34"],
    [1234, "JPY", "1234"],
    [1, "USD", "0.01"],
    [10, "USD", "0.10"],
    [0, "USD", "0.00"],
    [100, "KRW", "100"],
    [10_000_000_000, "USD", "100000000.00"],
  ])("formats %i %s as %s", (minor, currency, text) => {
    expect(formatAmount(minor, currency)).toBe(text);
    expect(parseAmount(text, currency)).toBe(minor);
  });

  it.each([
    ["12.3", "USD", 1230],
    ["1234.00", "JPY", 1234],
    ["0.070", "USD", 7],
    [" 3997.60 ", "HKD", 399760],
    ["-1.50", "USD", undefined],
    ["1.234", "USD", undefined],
    ["1.5", "JPY", undefined],
    ["1e3", "USD", undefined],
    ["", "USD", undefined],
    ["12.34", "XXX", undefined],
    ["9999999999999999.00", "USD", undefined],
  ])("parses %j %s → %s", (text, currency, minor) => {
    expect(parseAmount(text, currency)).toBe(minor);
  });

  it("parses signed amounts when allowed", () => {
    expect(parseAmount("-1.50", "USD", { isSigned: true })).toBe(-150);
  });

  it.each([[-1], [1.5], [Number.MAX_SAFE_INTEGER + 1], [Number.NaN]])("rejects %s minor units", (minor) => {
    expect(() => formatAmount(minor, "USD")).toThrow(AlipayValidationError);
  });

  it("rejects unknown currencies and out-of-range charges", () => {
    expect(() => currencyExponent("usd")).toThrow(/not supported/);
    expect(() => formatChargeAmount(0, "USD")).toThrow(/outside/);
    expect(() => formatChargeAmount(10_000_000_001, "USD")).toThrow(/outside/);
    expect(() => formatChargeAmount(100_000_001, "JPY")).toThrow(/outside/);
    expect(formatChargeAmount(100_000_000, "JPY")).toBe("100000000");
  });
});

describe("times", () => {
  it("formats trans_create_time and OpenAPI timestamp in GMT+8 by default", () => {
    expect(formatCompactTime(T0)).toBe("20240101120000");
    expect(formatDashedTime(T0)).toBe("2024-01-01 12:00:00");
    expect(formatCompactTime(T0, 0)).toBe("20240101040000");
  });

  it("parses both Alipay time formats", () => {
    expect(parseAlipayTime("20240101120003")?.getTime()).toBe(T0 + 3000);
    expect(parseAlipayTime("2024-01-01 12:00:03")?.getTime()).toBe(T0 + 3000);
    expect(parseAlipayTime("2024-01-01 12:00:03", 0)?.getTime()).toBe(T0 + 8 * 3600_000 + 3000);
  });

  it.each([["20240230120000"], ["20240101250000"], ["2024-01-01T12:00:00"], ["x"]])("rejects %s", (text) => {
    expect(parseAlipayTime(text)).toBeUndefined();
  });

  it("returns undefined for a missing time", () => {
    expect(parseAlipayTime(undefined)).toBeUndefined();
  });

  it("validates calendar dates", () => {
    expect(parseCalendarDate("2024-02-29", "d")).toEqual({
      y: 2024,
      m: 2,
      d: 29,
    });
    expect(() => parseCalendarDate("2023-02-29", "d")).toThrow(AlipayValidationError);
    expect(() => parseCalendarDate("20240101", "d")).toThrow(AlipayValidationError);
  });
});

describe("identifiers", () => {
  it.each([["TEST20240101120000001"], ["a-b_c"], ["x".repeat(64)]])("accepts partner_trans_id %s", (id) => {
    expect(validatePartnerTransId(id)).toBe(id);
  });

  it.each([[""], ["x".repeat(65)], ["has space"], ["中文"], ['q"uote']])("rejects partner_trans_id %j", (id) => {
    expect(() => validatePartnerTransId(id)).toThrow(AlipayValidationError);
  });

  it.each([["281234567890123456"], ["2512345678901234"], ["301234567890123456789012"]])(
    "accepts payment code %s",
    (c) => {
      expect(validatePaymentCode(c)).toBe(c);
    },
  );

  it.each([
    ["181234567890123456"],
    ["31123456789012345"],
    ["28123"],
    ["2812345678901234567890123"],
    ["28123456789012345a"],
  ])("rejects payment code %s without echoing it", (c) => {
    expect(() => validatePaymentCode(c)).toThrow(AlipayValidationError);
    try {
      validatePaymentCode(c);
    } catch (e) {
      if (c.length > 6) expect((e as Error).message).not.toContain(c);
    }
  });

  it("masks payment codes keeping the first 2 and last 4", () => {
    expect(maskPaymentCode("281234567890123456")).toBe("28************3456");
    expect(maskPaymentCode("123456")).toBe("******");
  });

  it("creates partner_trans_ids from time and a random suffix", () => {
    expect(
      createPartnerTransId({
        prefix: "K1",
        nowMs: T0,
        randomSuffix: "ab12cd34",
      }),
    ).toBe("K120240101120000ab12cd34");
    expect(createPartnerTransId({ nowMs: T0, randomSuffix: "z" })).toBe("20240101120000z");
  });
});
