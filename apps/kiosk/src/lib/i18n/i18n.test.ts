import { beforeAll, describe, expect, it } from "vitest";
import { formatAmount } from "@kiosk/alipay-core/money";
import { addDays, formatCountdown, formatMoney } from "./format.ts";
import { LOCALES, pickI18n } from "./locales.ts";
import { en } from "./messages/en.ts";
import { MESSAGES } from "./messages/all.ts";
import { formatMessage, loadMessages, placeholdersOf, translate } from "./translate.ts";

beforeAll(async () => {
  await Promise.all(LOCALES.map((l) => loadMessages(l)));
});

describe("translations", () => {
  const keys = Object.keys(en).sort();

  it.each(LOCALES)("%s defines exactly the English keys", (locale) => {
    expect(Object.keys(MESSAGES[locale]).sort()).toEqual(keys);
  });

  it.each(LOCALES)("%s uses the same placeholders as English in every message", (locale) => {
    for (const key of keys) {
      const k = key as keyof typeof en;
      expect({ key, names: placeholdersOf(MESSAGES[locale][k]) }).toEqual({ key, names: placeholdersOf(en[k]) });
    }
  });

  it.each(LOCALES)("%s has no empty message", (locale) => {
    for (const [key, value] of Object.entries(MESSAGES[locale]))
      expect({ key, isEmpty: value.trim() === "" }).toEqual({ key, isEmpty: false });
  });

  it("non-English locales translate the visitor-facing copy instead of copying English", () => {
    for (const locale of LOCALES.filter((l) => l !== "en")) {
      const same = Object.entries(MESSAGES[locale]).filter(
        // Wallet brands (GCash, DANA…) are written the same in every language.
        ([key, value]) =>
          value === en[key as keyof typeof en] && !/\{\w+\} × \{\w+\}/.test(value) && !key.startsWith("wallet."),
      );
      expect({ locale, same: same.map(([k]) => k) }).toEqual({ locale, same: [] });
    }
  });
});

describe("formatMessage", () => {
  it("picks English plural forms and formats the count", () => {
    expect(formatMessage("{count, plural, one {# ticket} other {# tickets}}", "en", { count: 1 })).toBe("1 ticket");
    expect(formatMessage("{count, plural, one {# ticket} other {# tickets}}", "en", { count: 1200 })).toBe(
      "1,200 tickets",
    );
  });

  it("fills placeholders and leaves unknown ones visible", () => {
    expect(formatMessage("Hello {name}, {missing}", "en", { name: "Ana" })).toBe("Hello Ana, {missing}");
  });

  it("uses the other form in languages without plural inflection", () => {
    expect(translate("ja", "tickets.selected", { count: 3 })).toBe("3 枚選択中");
    expect(translate("ko", "common.seconds", { count: 1 })).toBe("1초");
  });
});

describe("money", () => {
  it("refuses fractional minor units", () => {
    expect(() => formatMoney(32.5, "SGD", "en")).toThrow(/not an integer/);
  });

  it("formats per locale and currency", () => {
    const money = (minor: number, currency: string, locale: Parameters<typeof formatMoney>[2]) =>
      formatMoney(minor, currency, locale).replace(/\u00a0/g, " ");
    expect(money(3200, "SGD", "en")).toBe("SGD 32.00");
    expect(money(123450, "SGD", "zh-Hans")).toBe("SGD 1,234.50");
    expect(money(1800, "JPY", "ja")).toBe("￥1,800");
    expect(money(1800, "JPY", "en")).toBe("¥1,800");
  });
});

describe("money on the kiosk equals the amount charged", () => {
  /** The number a visitor reads, as Alipay's wire text: grouping and symbol dropped. */
  const shown = (text: string): string => text.replace(/[^\d.]/g, "").replace(/^\.+|\.+$/g, "");

  it.each([
    [1_500_000, "IDR"], // 15,000.00 rupiah: Alipay counts IDR in 2 decimals, Intl's data says 0
    [123_456, "IDR"],
    [1800, "JPY"],
    [52_000, "KRW"],
    [3205, "SGD"],
  ])("shows %i minor units of %s as the charged amount in every locale", (minor, currency) => {
    for (const locale of LOCALES) {
      expect({ locale, shown: shown(formatMoney(minor, currency, locale)) }).toEqual({
        locale,
        shown: formatAmount(minor, currency),
      });
    }
  });

  it("Alipay has no 3-decimal currency, and an unsupported currency is refused rather than guessed", () => {
    expect(() => formatMoney(1000, "KWD", "en")).toThrow(/not supported/);
  });
});

describe("helpers", () => {
  it("counts down in minutes and seconds, never below zero", () => {
    expect(formatCountdown(65_000)).toBe("1:05");
    expect(formatCountdown(400)).toBe("0:01");
    expect(formatCountdown(-5)).toBe("0:00");
  });

  it("adds calendar days across month ends", () => {
    expect(addDays("2026-01-31", 1)).toBe("2026-02-01");
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
  });

  it("picks catalog names by locale with fallbacks", () => {
    const names = { en: "Adult", "zh-Hans": "成人", ja: "大人" };
    expect(pickI18n(names, "ja", "x")).toBe("大人");
    expect(pickI18n(names, "zh-Hant", "x")).toBe("成人");
    expect(pickI18n(names, "ko", "x")).toBe("Adult");
    expect(pickI18n(undefined, "ko", "x")).toBe("x");
  });
});
