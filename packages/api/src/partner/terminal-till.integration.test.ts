/**
 * Issue 18: terminal payments in the console's day figures, per terminal: the terminals'
 * till (sales, refunds, cancellations, declines and net per terminal, the counter till's
 * totals) and the sales report's "by kiosk / terminal" rows. Payments are made through the
 * partner API over real HTTP against the sandbox; the console is tRPC over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providersFor } from "../__tests__/platform-harness.ts";
import { code, PG_URL } from "../services/__tests__/harness.ts";
import { startPartnerFixture, type PartnerFixture } from "./__tests__/partner-fixture.ts";

interface TillRow {
  terminalId: string;
  name: string;
  storeId: string;
  terminalCode: string;
  totals: {
    salesCount: number;
    salesTotalMinor: number;
    refundsCount: number;
    refundsTotalMinor: number;
    cancellationsCount: number;
    failedCount: number;
    netTotalMinor: number;
  };
}

interface SalesReport {
  orders: number;
  totalMinor: number;
  byKiosk: { kioskId: string | null; terminalId?: string | null; name: string; orders: number; amountMinor: number }[];
}

for (const provider of providersFor(PG_URL)) {
  describe(`terminal sales in the till and the sales report on ${provider}`, () => {
    let f: PartnerFixture;
    const day = { fromDay: "2026-03-01", toDay: "2026-03-01", zone: "UTC" };
    beforeAll(async () => {
      f = await startPartnerFixture(provider);
      // POS-1: two sales (one partly refunded), a decline, a walk-away. Café: one sale.
      await f.call("POST", "/payments", { body: f.body(code("success"), 1000), idem: "till-1" });
      const refunded = await f.call("POST", "/payments", { body: f.body(code("success"), 500), idem: "till-2" });
      await f.until(
        f.call("POST", `/payments/${refunded.body.id}/refunds`, { body: { amount: 200 }, idem: "till-2-rf" }),
      );
      for (let i = 0; i < 5; i++) await f.step();
      await f.call("POST", "/payments", { body: f.body(code("insufficient_balance"), 300), idem: "till-3" });
      const walked = await f.call("POST", "/payments", { body: f.body(code("pin_wait_never"), 400), idem: "till-4" });
      await f.until(f.call("POST", `/payments/${walked.body.id}/cancel`));
      await f.until(f.call("GET", `/payments/${walked.body.id}?wait=20`));
      await f.call("POST", "/payments", {
        body: f.body(code("success"), 700, { storeId: "CAFE", terminalId: "ECR-9" }),
        idem: "till-cafe",
        key: f.otherKey,
      });
    });
    afterAll(async () => {
      await f?.close();
    });

    it("totals each terminal's day like a counter till: sales, refunds, cancellations, declines, net", async () => {
      const till = await f.staff<TillRow[]>("viewer", "terminal.till", day, "query");
      expect(till.error).toBeNull();
      const pos = till.data.find((t) => t.terminalCode === "POS-1")!;
      expect(pos).toMatchObject({ storeId: "GIFTSHOP", name: "Gift shop till 1" });
      expect(pos.totals).toEqual({
        salesCount: 2,
        salesTotalMinor: 1500,
        refundsCount: 1,
        refundsTotalMinor: 200,
        cancellationsCount: 1,
        failedCount: 1,
        netTotalMinor: 1300,
      });
      const cafe = till.data.find((t) => t.terminalCode === "ECR-9")!;
      expect(cafe.totals).toMatchObject({ salesCount: 1, salesTotalMinor: 700, netTotalMinor: 700 });
      // Another day: every terminal listed, nothing sold.
      const before = await f.staff<TillRow[]>(
        "viewer",
        "terminal.till",
        { ...day, fromDay: "2026-02-28", toDay: "2026-02-28" },
        "query",
      );
      expect(before.data.length).toBe(till.data.length);
      expect(before.data.every((t) => t.totals.salesCount === 0 && t.totals.netTotalMinor === 0)).toBe(true);
      // Bad input: a typed error.
      const bad = await f.staff("viewer", "terminal.till", { ...day, fromDay: "2026-03-02" }, "query");
      expect(bad.error).toBe("BAD_REQUEST");
    });

    it("shows each terminal as its own row of the console's sales report", async () => {
      const sales = await f.staff<SalesReport>("viewer", "console.sales", day, "query");
      expect(sales.error).toBeNull();
      const rows = sales.data.byKiosk.filter((k) => k.kioskId === null);
      expect(rows.map((r) => [r.name, r.orders, r.amountMinor]).sort()).toEqual(
        [
          ["Café (CAFE/ECR-9)", 1, 700],
          ["Gift shop till 1 (GIFTSHOP/POS-1)", 2, 1500],
        ].sort(),
      );
      expect(rows.every((r) => typeof r.terminalId === "string")).toBe(true);
      expect(sales.data.totalMinor).toBe(2200);
    });
  });
}
