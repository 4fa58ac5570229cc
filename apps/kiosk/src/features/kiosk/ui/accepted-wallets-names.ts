/** The accepted wallets' names as a visitor reads them, in the visitor's language (issue 21). */
import type { Locale } from "../../../lib/i18n/locales.ts";
import { translate, type MessageKey } from "../../../lib/i18n/translate.ts";

const WALLET_KEYS: Readonly<Record<string, MessageKey>> = {
  ALIPAY_CN: "wallet.ALIPAY_CN",
  ALIPAY_HK: "wallet.ALIPAY_HK",
  GCASH: "wallet.GCASH",
  KAKAOPAY: "wallet.KAKAOPAY",
  TNG: "wallet.TNG",
  TRUEMONEY: "wallet.TRUEMONEY",
  DANA: "wallet.DANA",
};

/** Translated names of `codes`, in their order; codes without a translated name are left out. */
export function acceptedWalletNames(locale: Locale, codes: readonly string[]): string[] {
  return codes.flatMap((code) => {
    const key = WALLET_KEYS[code];
    return key === undefined ? [] : [translate(locale, key)];
  });
}
