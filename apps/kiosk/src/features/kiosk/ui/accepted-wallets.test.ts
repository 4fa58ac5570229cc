import { ANTOM_WALLETS } from "@kiosk/alipay-core/wallets";
import { beforeAll, describe, expect, it } from "vitest";
import { LOCALES } from "../../../lib/i18n/locales.ts";
import { loadMessages } from "../../../lib/i18n/translate.ts";
import { acceptedWalletNames } from "./accepted-wallets-names.ts";

describe("accepted wallets on the scan screen", () => {
  beforeAll(async () => {
    await Promise.all(LOCALES.map((l) => loadMessages(l)));
  });

  it.each(LOCALES)("names every known wallet in %s, in the configured order", (locale) => {
    const names = acceptedWalletNames(
      locale,
      ANTOM_WALLETS.map((w) => w.code),
    );
    expect(names).toHaveLength(ANTOM_WALLETS.length);
    for (const name of names) expect(name).toMatch(/\S/);
    expect(new Set(names).size).toBe(names.length);
  });

  it("translates Alipay's own names and keeps partner brands", () => {
    expect(acceptedWalletNames("zh-Hans", ["ALIPAY_CN", "ALIPAY_HK", "GCASH"])).toEqual([
      "支付宝",
      "支付宝香港",
      "GCash",
    ]);
    expect(acceptedWalletNames("ko", ["KAKAOPAY"])).toEqual(["카카오페이"]);
    expect(acceptedWalletNames("en", ["TNG", "TRUEMONEY", "DANA"])).toEqual([
      "Touch 'n Go eWallet",
      "TrueMoney",
      "DANA",
    ]);
  });

  it("leaves out codes it does not know rather than showing a raw code", () => {
    expect(acceptedWalletNames("en", ["GCASH", "PAYPAL"])).toEqual(["GCash"]);
  });
});
