import { describe, expect, it } from "vitest";
import type { GatewaySettlementRecord } from "./gateway.ts";
import { inLedgerCurrency } from "./reconciliation-service.ts";

function record(
  partnerTransId: string,
  amountMinor: number,
  serviceChargeMinor: number | undefined,
  currency = "CNY",
): GatewaySettlementRecord {
  return {
    partnerTransId,
    amountMinor,
    currency,
    transactionTime: undefined,
    settlementTime: undefined,
    transactionType: "PAYMENT",
    serviceChargeMinor,
    status: "SUCCESS",
    remarks: "",
    raw: "",
  };
}

describe("inLedgerCurrency (OpenAPI bills have no currency column)", () => {
  const ledger: Record<string, string> = { jpy: "JPY", sgd: "SGD", cny: "CNY" };
  const of = (r: GatewaySettlementRecord) => ledger[r.partnerTransId];

  it("brings a JPY payment read with CNY's two decimals back to yen", () => {
    // "1500" in the bill, read as CNY: 150000 fen.
    expect(inLedgerCurrency([record("jpy", 150_000, 900)], of)[0]).toMatchObject({
      amountMinor: 1500,
      serviceChargeMinor: 9,
      currency: "JPY",
    });
  });

  it("keeps amounts whose currency has the same exponent, and records the ledger currency", () => {
    expect(inLedgerCurrency([record("sgd", 2550, undefined)], of)[0]).toMatchObject({
      amountMinor: 2550,
      serviceChargeMinor: undefined,
      currency: "SGD",
    });
    expect(inLedgerCurrency([record("cny", 100, 1)], of)[0]).toMatchObject({ amountMinor: 100, currency: "CNY" });
  });

  it("leaves a record as read when the conversion is not exact or the payment is unknown, so the comparison reports it", () => {
    const inexact = record("jpy", 150_050, undefined);
    expect(inLedgerCurrency([inexact], of)[0]).toBe(inexact);
    const unknown = record("nobody", 100, undefined);
    expect(inLedgerCurrency([unknown], of)[0]).toBe(unknown);
  });

  it("scales up when the ledger has more decimals than the bill currency", () => {
    expect(inLedgerCurrency([record("sgd", 25, undefined, "JPY")], of)[0]).toMatchObject({
      amountMinor: 2500,
      currency: "SGD",
    });
  });
});
