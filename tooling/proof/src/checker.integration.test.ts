/**
 * The checker against a real database and the real sandbox gateway: a clean money path gives
 * no finding; problems planted in the database (an amount changed, a paid order's tickets
 * voided, a hold left behind) are each found by reading the ledger, the gateway's records
 * and our reconciliation against the gateway's settlement file.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, code, type Harness } from "@kiosk/api/services/__tests__/harness.ts";
import { checkMoneyInvariants, readLedger, reconcileDays, settlementDaysOf, type GatewayTrade } from "./checker.ts";

describe("money checker on SQLite with the sandbox", () => {
  let h: Harness;
  let paidOrderId: string;

  beforeAll(async () => {
    h = await createHarness("sqlite");
    const paid = await h.buy({ code: code("success") });
    paidOrderId = paid.orderId;
    const waiting = await h.buy({ code: code("pin_wait_never") });
    await h.buy({ code: code("insufficient_balance") });
    expect(await h.settle(waiting.paymentId)).toBe("CANCELLED");
  });
  afterAll(async () => h?.close());

  const trades = (): GatewayTrade[] => [...h.sandbox.store.trades.values()];

  async function checkNow() {
    const days = settlementDaysOf(trades(), h.clock.now().getTime());
    const later = { now: () => new Date(h.clock.now().getTime() + 86_400_000) };
    const reconciliation = await reconcileDays({ db: h.db.db, alipay: h.services.gateway, clock: later, days });
    return checkMoneyInvariants({
      ledger: await readLedger(h.db.db),
      trades: trades(),
      now: h.clock.now(),
      holdGraceMs: 5_000,
      reconciliation,
    });
  }

  it("finds nothing after a clean run, including our reconciliation against the settlement file", async () => {
    h.clock.advance(86_400_000);
    await h.sandbox.tick();
    const report = await checkNow();
    expect(report.findings).toEqual([]);
    expect(report).toMatchObject({ gatewayTrades: 3, chargedTrades: 1, paidOrders: 1, ticketsIssued: 2 });
  });

  it("finds a reconciliation difference planted in the ledger", async () => {
    const payment = await h.db.db.payment.findFirstOrThrow({ where: { orderId: paidOrderId } });
    await h.db.db.payment.update({ where: { id: payment.id }, data: { amountMinor: payment.amountMinor + 1 } });
    const report = await checkNow();
    expect(report.counts.reconciliation_difference).toBe(1);
    expect(report.findings.find((f) => f.kind === "reconciliation_difference")?.detail).toContain("amount_mismatch");
    expect(report.counts.gateway_mismatch).toBe(1);
    await h.db.db.payment.update({ where: { id: payment.id }, data: { amountMinor: payment.amountMinor } });
  });

  it("finds a paid order whose tickets are gone, and a hold left past its expiry", async () => {
    await h.db.db.ticket.updateMany({ where: { orderId: paidOrderId }, data: { state: "void" } });
    // The paid order's hold back to active, as if the sale had never converted it (the day has passed).
    await h.db.db.capacityHold.updateMany({ where: { orderId: paidOrderId }, data: { state: "active" } });
    const report = await checkNow();
    expect(report.counts.loss).toBe(1);
    expect(report.counts.stale_hold).toBe(1);
    expect(report.counts.held_counter_drift).toBe(1);
  });
});
