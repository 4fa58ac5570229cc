import { describe, expect, it } from "vitest";
import { compareTrade, totalsOf } from "./shift-totals.ts";

const row = (state: string, amountMinor = 1000, refunds: { amountMinor: number; state: string }[] = []) => ({
  id: `pay_${state}`,
  partnerTransId: `K${state}`,
  state,
  amountMinor,
  currency: "SGD",
  refunds,
});
const paid = (amountMinor: number) => ({
  status: "paid" as const,
  partnerTransId: "K",
  alipayTransId: "2026",
  paidAt: undefined,
  amountMinor,
  currency: "SGD",
});

describe("till totals", () => {
  it("counts charged payments as sales, succeeded refunds only, and cancelled and declined payments apart", () => {
    const t = totalsOf([
      row("PAID", 3200),
      row("PARTIALLY_REFUNDED", 4500, [
        { amountMinor: 1500, state: "succeeded" },
        { amountMinor: 700, state: "failed" },
      ]),
      row("REFUNDED", 2000, [{ amountMinor: 2000, state: "succeeded" }]),
      row("CANCELLED", 999),
      row("FAILED", 888),
    ]);
    expect(t).toEqual({
      salesCount: 3,
      salesTotalMinor: 9700,
      refundsCount: 2,
      refundsTotalMinor: 3500,
      cancellationsCount: 1,
      failedCount: 1,
      netTotalMinor: 6200,
    });
  });
});

describe("a trade against the gateway's answer", () => {
  it.each([
    { name: "paid and paid, same amount", ledger: row("PAID"), answer: paid(1000), charged: 1000, kind: null },
    {
      name: "paid here, another amount there",
      ledger: row("PAID"),
      answer: paid(900),
      charged: 900,
      kind: "amount_mismatch",
    },
    {
      name: "cancelled here, paid there",
      ledger: row("CANCELLED"),
      answer: paid(1000),
      charged: 1000,
      kind: "status_mismatch",
    },
    {
      name: "paid here, closed there",
      ledger: row("PAID"),
      answer: { status: "closed" as const, partnerTransId: "K" },
      charged: 0,
      kind: "status_mismatch",
    },
    {
      name: "refunded in full here, closed there",
      ledger: row("REFUNDED"),
      answer: { status: "closed" as const, partnerTransId: "K" },
      charged: 1000,
      kind: null,
    },
    {
      name: "declined here, unknown there",
      ledger: row("FAILED"),
      answer: { status: "not_found" as const, partnerTransId: "K" },
      charged: 0,
      kind: null,
    },
    {
      name: "the query failed",
      ledger: row("PAID"),
      answer: { status: "error" as const, message: "timeout" },
      charged: 0,
      kind: "unchecked",
    },
    {
      name: "still waiting there",
      ledger: row("PAID"),
      answer: { status: "waiting_buyer" as const, partnerTransId: "K" },
      charged: 0,
      kind: "unchecked",
    },
  ])("$name", ({ ledger, answer, charged, kind }) => {
    const r = compareTrade(ledger, answer);
    expect(r.gatewayChargedMinor).toBe(charged);
    expect(r.difference?.kind ?? null).toBe(kind);
  });
});
