import { describe, expect, it } from "vitest";
import { AlipayGatewayError } from "../errors.ts";
import { parseSettlementFile } from "./settlement.ts";

const T0 = Date.UTC(2024, 0, 1, 4, 0, 0); // 2024-01-01 12:00:00 GMT+8
describe("settlement files", () => {
  it("parses |-separated lines, signed amounts and a header", () => {
    const body =
      "\uFEFFpartner_transaction_id|amount|currency|transaction_time|settlement_time|transaction_type|service_charge|status|remarks\n" +
      "P1|12.34|USD|20240101120003|20240102090000|P|0.25|SUCCESS|note|with bar\r\n" +
      "\n" +
      "P1R1|-1.00|USD|20240101130000||R||SUCCESS|\n";
    const parsed = parseSettlementFile(body);
    expect("records" in parsed && parsed.records).toEqual([
      {
        partnerTransId: "P1",
        amountMinor: 1234,
        currency: "USD",
        transactionTime: new Date(T0 + 3000),
        settlementTime: new Date(Date.UTC(2024, 0, 2, 1, 0, 0)),
        transactionType: "P",
        serviceChargeMinor: 25,
        status: "SUCCESS",
        remarks: "note|with bar",
        raw: "P1|12.34|USD|20240101120003|20240102090000|P|0.25|SUCCESS|note|with bar",
      },
      {
        partnerTransId: "P1R1",
        amountMinor: -100,
        currency: "USD",
        transactionTime: new Date(T0 + 3600_000),
        settlementTime: undefined,
        transactionType: "R",
        serviceChargeMinor: undefined,
        status: "SUCCESS",
        remarks: "",
        raw: "P1R1|-1.00|USD|20240101130000||R||SUCCESS|",
      },
    ]);
  });

  it("treats 'No … data' and an empty body as empty, other messages as gateway errors", () => {
    expect(parseSettlementFile("No balance account data in the period")).toEqual({
      message: "No balance account data in the period",
    });
    expect(parseSettlementFile("  ")).toEqual({ message: "empty file" });
    expect(() => parseSettlementFile("Over 10 days to Date period")).toThrow(AlipayGatewayError);
  });

  it("rejects short lines and bad amounts", () => {
    expect(() => parseSettlementFile("P1|1.00|USD")).toThrow(/columns/);
    expect(() => parseSettlementFile("P1|1.001|USD|a|b|P|c|S|r")).toThrow(/invalid amount/);
  });
});
