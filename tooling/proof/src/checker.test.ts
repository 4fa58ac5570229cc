import { describe, expect, it } from "vitest";
import { checkMoneyInvariants, settlementDaysOf, type GatewayTrade, type LedgerSnapshot } from "./checker.ts";

const NOW = new Date("2026-03-01T04:00:00.000Z");
const PAID_AT = NOW.getTime() - 60_000;

/** A consistent world: one paid order with its 2 tickets, one cancelled PIN wait, one open hold. */
function cleanWorld(): { ledger: LedgerSnapshot; trades: GatewayTrade[] } {
  return {
    ledger: {
      payments: [
        { id: "pay_a", orderId: "ord_a", partnerTransId: "KA", state: "PAID", amountMinor: 5000 },
        { id: "pay_b", orderId: "ord_b", partnerTransId: "KB", state: "CANCELLED", amountMinor: 2500 },
      ],
      orders: [
        { id: "ord_a", state: "paid", expiresAt: NOW, quantity: 2, tickets: 2 },
        { id: "ord_b", state: "cancelled", expiresAt: NOW, quantity: 1, tickets: 0 },
        { id: "ord_c", state: "pending", expiresAt: new Date(NOW.getTime() + 60_000), quantity: 3, tickets: 0 },
      ],
      activeHolds: [
        {
          id: "hld_c",
          orderId: "ord_c",
          slotId: "slot_1",
          quantity: 3,
          orderExpiresAt: new Date(NOW.getTime() + 60_000),
        },
      ],
      expiredHolds: [
        {
          id: "hld_e",
          orderId: "ord_e",
          orderExpiresAt: new Date(NOW.getTime() - 30_000),
          releasedAt: new Date(NOW.getTime() - 29_000),
        },
      ],
      slots: [{ id: "slot_1", held: 3 }],
    },
    trades: [
      {
        outTradeNo: "KA",
        tradeNo: "T1",
        status: "TRADE_SUCCESS",
        amountMinor: 5000,
        refundedMinor: 0,
        paidAt: PAID_AT,
      },
      {
        outTradeNo: "KB",
        tradeNo: "T2",
        status: "TRADE_CLOSED",
        amountMinor: 2500,
        refundedMinor: 0,
        paidAt: null,
        closeReason: "cancelled",
      },
    ],
  };
}

const check = (w: ReturnType<typeof cleanWorld>, extra: Partial<Parameters<typeof checkMoneyInvariants>[0]> = {}) =>
  checkMoneyInvariants({ ledger: w.ledger, trades: w.trades, now: NOW, holdGraceMs: 5_000, ...extra });

describe("money checker", () => {
  it("finds nothing in a consistent world", () => {
    const report = check(cleanWorld());
    expect(report.findings).toEqual([]);
    expect(report).toMatchObject({
      gatewayTrades: 2,
      chargedTrades: 1,
      paidOrders: 1,
      ticketsIssued: 2,
      longestHoldOverrunMs: 1_000,
    });
  });

  it("detects a trade the gateway charged whose order has no tickets", () => {
    const w = cleanWorld();
    w.ledger.orders[0]!.tickets = 0;
    expect(check(w).counts.loss).toBe(1);
  });

  it("detects a charge our payment does not record as paid, and one our database does not know", () => {
    const w = cleanWorld();
    w.ledger.payments[0]!.state = "CANCELLED";
    w.trades.push({
      outTradeNo: "KZ",
      tradeNo: "T9",
      status: "TRADE_SUCCESS",
      amountMinor: 100,
      refundedMinor: 0,
      paidAt: PAID_AT,
    });
    const report = check(w);
    expect(report.counts.loss).toBe(2);
    expect(report.findings.map((f) => f.subject).sort()).toEqual(["KA", "KZ"]);
  });

  it("accepts a charge that was refunded in full, and a paid trade reversed by cancel", () => {
    const w = cleanWorld();
    w.trades[0] = { ...w.trades[0]!, refundedMinor: 5000 };
    w.ledger.payments[0]!.state = "REFUNDED";
    w.ledger.orders[0]!.tickets = 0;
    w.trades[1] = { ...w.trades[1]!, paidAt: PAID_AT };
    expect(check(w).findings).toEqual([]);
  });

  it("detects an order charged twice at the gateway", () => {
    const w = cleanWorld();
    w.ledger.payments.push({
      id: "pay_a2",
      orderId: "ord_a",
      partnerTransId: "KA2",
      state: "FAILED",
      amountMinor: 5000,
    });
    w.trades.push({
      outTradeNo: "KA2",
      tradeNo: "T3",
      status: "TRADE_SUCCESS",
      amountMinor: 5000,
      refundedMinor: 0,
      paidAt: PAID_AT,
    });
    const report = check(w);
    expect(report.counts.double_charge).toBe(1);
    expect(report.findings.find((f) => f.kind === "double_charge")?.subject).toBe("ord_a");
  });

  it("detects two payments recorded as paid for one order, and tickets issued twice", () => {
    const w = cleanWorld();
    w.ledger.payments.push({ id: "pay_a2", orderId: "ord_a", partnerTransId: "KA2", state: "PAID", amountMinor: 5000 });
    w.ledger.orders[0]!.tickets = 4;
    const report = check(w);
    expect(report.counts.double_charge).toBe(1);
    expect(report.counts.tickets_twice).toBe(1);
  });

  it("detects a payment we record as paid that the gateway did not charge, or charged another amount", () => {
    const w = cleanWorld();
    w.trades[0] = { ...w.trades[0]!, status: "TRADE_CLOSED", paidAt: null };
    expect(check(w).counts.gateway_mismatch).toBe(1);
    const v = cleanWorld();
    v.ledger.payments[0]!.amountMinor = 4999;
    expect(check(v).counts.gateway_mismatch).toBe(1);
  });

  it("detects capacity held past its expiry, but not within the grace", () => {
    const w = cleanWorld();
    w.ledger.activeHolds[0]!.orderExpiresAt = new Date(NOW.getTime() - 4_000);
    expect(check(w).counts.stale_hold).toBe(0);
    w.ledger.activeHolds[0]!.orderExpiresAt = new Date(NOW.getTime() - 60_000);
    expect(check(w).counts.stale_hold).toBe(1);
  });

  it("detects places given back long after their order expired", () => {
    const w = cleanWorld();
    w.ledger.expiredHolds[0]!.releasedAt = new Date(NOW.getTime());
    const report = check(w);
    expect(report.counts.stale_hold).toBe(1);
    expect(report.longestHoldOverrunMs).toBe(30_000);
  });

  it("detects a slot whose held counter disagrees with its holds", () => {
    const w = cleanWorld();
    w.ledger.slots[0]!.held = 5;
    expect(check(w).counts.held_counter_drift).toBe(1);
  });

  it("reports payments not settled yet, reconciliation differences and failed reconciliation runs", () => {
    const w = cleanWorld();
    w.ledger.payments.push({ id: "pay_d", orderId: "ord_c", partnerTransId: "KD", state: "POLLING", amountMinor: 100 });
    const report = check(w, {
      reconciliation: {
        runs: [{ day: "2026-03-01", state: "failed", matched: 0, error: "boom" }],
        differences: [
          {
            day: "2026-03-01",
            kind: "amount_mismatch",
            partnerTransId: "KA",
            alipayTransId: "T1",
            ledgerAmountMinor: 5000,
            gatewayAmountMinor: 5001,
            details: {},
          },
        ],
      },
    });
    expect(report.counts.unsettled).toBe(1);
    expect(report.counts.reconciliation_difference).toBe(2);
  });

  it("lists the Beijing settlement days of the charged trades", () => {
    expect(
      settlementDaysOf(
        [
          {
            outTradeNo: "K",
            tradeNo: "T",
            status: "TRADE_SUCCESS",
            amountMinor: 1,
            refundedMinor: 0,
            paidAt: Date.parse("2026-03-01T17:00:00Z"),
          },
        ],
        0,
      ),
    ).toEqual(["2026-03-02"]);
  });
});
