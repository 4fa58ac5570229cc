import { unzipSync } from "fflate";
import { readTradeBillArchive } from "@kiosk/alipay-core";
import { describe, expect, it } from "vitest";
import { openApiBillZip, type SettlementRow } from "./settlement.ts";

const at = Date.parse("2024-01-01T10:00:00+08:00");
const base: Omit<SettlementRow, "kind" | "outRefundNo" | "amountMinor" | "feeMinor"> = {
  merchantId: "app",
  protocol: "openapi",
  tradeNo: "2024010122001",
  outTradeNo: "K1-0001",
  subject: '门票 🎟, "日场"',
  currency: "CNY",
  createdAt: at,
  at,
  storeId: undefined,
  terminalId: "K1",
  buyerLoginId: "buy***@example.com",
};

describe("openApiBillZip", () => {
  it("writes GBK CSVs (a character GBK lacks becomes ?) that alipay-core reads back", () => {
    const rows: SettlementRow[] = [
      { ...base, kind: "PAYMENT", outRefundNo: undefined, amountMinor: 8800, feeMinor: 53 },
      { ...base, kind: "REFUND", outRefundNo: "K1-0001_R1", amountMinor: 800, feeMinor: 5, at: at + 60_000 },
    ];
    const file = openApiBillZip({
      rows,
      accountId: "2088000000000001",
      billDate: "2024-01-01",
      fromMs: at - 36e6,
      toMs: at + 50e6,
      generatedAt: at + 86e6,
    });
    const [detail] = Object.values(unzipSync(file.body));
    const text = new TextDecoder("gbk").decode(detail);
    expect(text).toContain('"门票 ?, ""日场"""');
    expect(
      readTradeBillArchive(file.body).map((r) => [
        r.transactionType,
        r.partnerTransId,
        r.amountMinor,
        r.serviceChargeMinor,
      ]),
    ).toEqual([
      ["PAYMENT", "K1-0001", 8800, 53],
      ["REFUND", "K1-0001_R1", -800, -5],
    ]);
  });
});
