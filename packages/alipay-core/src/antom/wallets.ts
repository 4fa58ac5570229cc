/**
 * Alipay+ wallets an Antom in-store integration may meet. `code` is what this package records
 * as `paymentInst` / `walletName` source (Antom's `pspCustomerInfo.pspName`, guessed spelling);
 * `displayName` is what a visitor reads on the scan screen and the receipt.
 */
export type AntomWallet = { code: string; displayName: string; region: string };

export const ANTOM_WALLETS: readonly AntomWallet[] = Object.freeze([
  { code: "ALIPAY_CN", displayName: "Alipay", region: "CN" },
  { code: "ALIPAY_HK", displayName: "AlipayHK", region: "HK" },
  { code: "GCASH", displayName: "GCash", region: "PH" },
  { code: "KAKAOPAY", displayName: "Kakao Pay", region: "KR" },
  { code: "TNG", displayName: "Touch 'n Go eWallet", region: "MY" },
  { code: "TRUEMONEY", displayName: "TrueMoney", region: "TH" },
  { code: "DANA", displayName: "DANA", region: "ID" },
]);

const BY_CODE: ReadonlyMap<string, AntomWallet> = new Map(ANTOM_WALLETS.map((w) => [w.code, w]));

/** The wallet for a `pspName` (case-insensitive; `undefined` when unknown). */
export function antomWalletByCode(code: string | undefined): AntomWallet | undefined {
  return code === undefined ? undefined : BY_CODE.get(code.toUpperCase());
}

/** A human name for a wallet code: the known display name, else the code as sent. */
export function antomWalletName(code: string | undefined): string | undefined {
  if (code === undefined || code === "") return undefined;
  return antomWalletByCode(code)?.displayName ?? code;
}
