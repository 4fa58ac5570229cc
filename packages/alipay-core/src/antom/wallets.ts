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

/** The wallet codes visitors may pay with when nothing is configured: Alipay alone over MAPI / OpenAPI. */
export const ALIPAY_ONLY_WALLETS: readonly string[] = Object.freeze(["ALIPAY_CN"]);

/** True for a wallet code this package knows (case-sensitive, as stored). */
export function isKnownWalletCode(code: string): boolean {
  return BY_CODE.has(code);
}

/**
 * The accepted wallets by default: Alipay only for `mapi` / `openapi`; for `antom` the configured
 * Alipay+ wallets, or every known one when none are configured.
 */
export function defaultAcceptedWallets(
  protocol: "mapi" | "openapi" | "antom",
  configured?: readonly string[],
): readonly string[] {
  if (protocol !== "antom") return ALIPAY_ONLY_WALLETS;
  return configured !== undefined && configured.length > 0 ? configured : ANTOM_WALLETS.map((w) => w.code);
}

/** A stored wallet list (JSON array of known codes); `undefined` when absent or not such a list. */
export function parseWalletList(text: string | null | undefined): readonly string[] | undefined {
  if (text === null || text === undefined || text === "") return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value) || value.length === 0) return undefined;
    const codes = value.filter((c): c is string => typeof c === "string" && isKnownWalletCode(c));
    return codes.length === value.length ? codes : undefined;
  } catch {
    return undefined;
  }
}
