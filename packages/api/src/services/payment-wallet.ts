/**
 * The wallet a buyer paid with (Antom / Alipay+: `paymentMethodType` and the wallet's name, e.g.
 * "GCash"), as Payment columns written with PAID. MAPI and OpenAPI report none: nothing is written.
 */
import type { Prisma } from "@kiosk/db";

type Payment = Prisma.PaymentGetPayload<object>;

/** The wallet facts a paid trade or a verified notification may carry. */
export type WalletFacts = { paymentMethodType?: string | undefined; walletName?: string | undefined };

const MAX = 64;

/** The Payment columns for the wallet facts present (trimmed to the column's sane length). */
export function walletColumns(
  facts: WalletFacts | null | undefined,
): Partial<Pick<Payment, "paymentMethodType" | "walletName">> {
  const out: Partial<Pick<Payment, "paymentMethodType" | "walletName">> = {};
  if (facts?.paymentMethodType) out.paymentMethodType = facts.paymentMethodType.slice(0, MAX);
  if (facts?.walletName) out.walletName = facts.walletName.slice(0, MAX);
  return out;
}
