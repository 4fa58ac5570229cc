/**
 * A counter shift's till, without I/O: its totals from its payments (`totalsOf`, also the
 * terminal tills' in partner/till.ts), each payment against the gateway's answer for its trade
 * (`compareTrade`), and what a closed shift stores of its payments (`ClosingSummary`).
 */
import type { PaymentStateName } from "@kiosk/db";
import type { GatewayQueryResult } from "./gateway.ts";

/** Payments that took the buyer's money (some of it may have been refunded since). */
const CHARGED_STATES: readonly PaymentStateName[] = ["PAID", "REFUNDING", "PARTIALLY_REFUNDED", "REFUNDED"];

export interface ShiftTotals {
  salesCount: number;
  salesTotalMinor: number;
  refundsCount: number;
  refundsTotalMinor: number;
  /** Payments cancelled (by the cashier, the buyer or the deadline): nothing charged. */
  cancellationsCount: number;
  /** Payments Alipay declined (balance, expired code…): nothing charged. */
  failedCount: number;
  netTotalMinor: number;
}

export type ShiftDifferenceKind = "status_mismatch" | "amount_mismatch" | "unchecked";

export interface ShiftDifference {
  kind: ShiftDifferenceKind;
  paymentId: string;
  partnerTransId: string;
  ledgerState: string;
  ledgerAmountMinor: number;
  gatewayStatus: string;
  gatewayAmountMinor: number | null;
}

export interface ShiftLedgerPayment {
  paymentId: string;
  partnerTransId: string;
  state: string;
  amountMinor: number;
  refundedMinor: number;
}

/** A payment of the shift as the ledger has it, with its refunds. */
export interface LedgerRow {
  id: string;
  partnerTransId: string;
  state: string;
  amountMinor: number;
  currency: string;
  refunds: { amountMinor: number; state: string }[];
}

/** What a closed shift stores (its `summary` column) beside its totals. */
export interface ClosingSummary {
  differences: ShiftDifference[];
  payments: ShiftLedgerPayment[];
  failedCount: number;
}

/** Pure: the shift's totals from its payments. */
export function totalsOf(payments: readonly LedgerRow[]): ShiftTotals {
  const t: ShiftTotals = {
    salesCount: 0,
    salesTotalMinor: 0,
    refundsCount: 0,
    refundsTotalMinor: 0,
    cancellationsCount: 0,
    failedCount: 0,
    netTotalMinor: 0,
  };
  for (const p of payments) {
    if (CHARGED_STATES.includes(p.state as PaymentStateName)) {
      t.salesCount += 1;
      t.salesTotalMinor += p.amountMinor;
    } else if (p.state === "CANCELLED") t.cancellationsCount += 1;
    else if (p.state === "FAILED") t.failedCount += 1;
    for (const r of p.refunds) {
      if (r.state !== "succeeded") continue;
      t.refundsCount += 1;
      t.refundsTotalMinor += r.amountMinor;
    }
  }
  t.netTotalMinor = t.salesTotalMinor - t.refundsTotalMinor;
  return t;
}

/**
 * Pure: one payment against the gateway's answer for its trade. Returns what the gateway
 * says was charged (before refunds, which are counted from the ledger: Alipay confirmed each
 * synchronously) and the difference, if any.
 */
export function compareTrade(
  p: LedgerRow,
  answer: GatewayQueryResult | { status: "error"; message: string },
): { gatewayChargedMinor: number; difference: ShiftDifference | null } {
  const isCharged = CHARGED_STATES.includes(p.state as PaymentStateName);
  const base = {
    paymentId: p.id,
    partnerTransId: p.partnerTransId,
    ledgerState: p.state,
    ledgerAmountMinor: p.amountMinor,
    gatewayStatus: answer.status,
  };
  if (answer.status === "paid") {
    if (!isCharged)
      return {
        gatewayChargedMinor: answer.amountMinor,
        difference: { kind: "status_mismatch", ...base, gatewayAmountMinor: answer.amountMinor },
      };
    if (answer.amountMinor !== p.amountMinor)
      return {
        gatewayChargedMinor: answer.amountMinor,
        difference: { kind: "amount_mismatch", ...base, gatewayAmountMinor: answer.amountMinor },
      };
    return { gatewayChargedMinor: answer.amountMinor, difference: null };
  }
  if (answer.status === "closed" || answer.status === "not_found") {
    // A trade refunded in full reads as closed at the gateway: its charge and refund both stand.
    if (p.state === "REFUNDED") return { gatewayChargedMinor: p.amountMinor, difference: null };
    if (isCharged)
      return { gatewayChargedMinor: 0, difference: { kind: "status_mismatch", ...base, gatewayAmountMinor: 0 } };
    return { gatewayChargedMinor: 0, difference: null };
  }
  // waiting_buyer, unknown or a failed query: the gateway could not confirm either way.
  return { gatewayChargedMinor: 0, difference: { kind: "unchecked", ...base, gatewayAmountMinor: null } };
}

/** Pure: each payment as the shift's view lists it, with what of it was refunded. */
export function ledgerPayments(rows: readonly LedgerRow[]): ShiftLedgerPayment[] {
  return rows.map((p) => ({
    paymentId: p.id,
    partnerTransId: p.partnerTransId,
    state: p.state,
    amountMinor: p.amountMinor,
    refundedMinor: p.refunds.filter((r) => r.state === "succeeded").reduce((s, r) => s + r.amountMinor, 0),
  }));
}
