import { zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { AlipayBillFormatError, readTradeBillArchive } from "./bill-archive.ts";
import { encodeText } from "../charset.ts";

const HEADER =
  "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注";

function row(cells: {
  trade: string;
  out: string;
  type: string;
  subject?: string;
  amount: string;
  refundNo?: string;
  fee: string;
  remarks?: string;
}): string {
  const amount = cells.amount;
  return [
    cells.trade,
    cells.out,
    cells.type,
    cells.subject ?? "门票",
    "2026-11-26 10:00:00",
    "2026-11-26 10:00:05",
    "",
    "",
    "",
    "K1",
    "buy***@example.com",
    amount,
    amount,
    "0.00",
    "0.00",
    "0.00",
    "0.00",
    "0.00",
    "",
    "0.00",
    "0.00",
    cells.refundNo ?? "",
    cells.fee,
    "0.00",
    cells.remarks ?? "",
  ].join(",");
}

/** A trade bill laid out as Alipay writes it: comment lines around the table, CRLF. */
function billCsv(rows: string[]): string {
  return [
    "#支付宝业务明细查询",
    "#账号：[2088102146225135]",
    "#起始日期：[2026-11-26 00:00:00]   终止日期：[2026-11-27 00:00:00]",
    "#-----------------------------------------业务明细列表----------------------------------------",
    HEADER,
    ...rows,
    "#-----------------------------------------业务明细列表结束------------------------------------",
    "#交易合计：2笔，退款合计：1笔",
    "#导出时间：[2026-11-27 09:00:00]",
    "",
  ].join("\r\n");
}

function archive(csv: Uint8Array, name = "2088102146225135_20261126_业务明细.csv"): Uint8Array {
  return zipSync({ [name]: csv, "2088102146225135_20261126_业务明细(汇总).csv": encodeText("#汇总\r\n", "gbk") });
}

const ROWS = [
  row({
    trade: "2026112622001",
    out: "K1-0001",
    type: "交易",
    subject: '"成人票 ""日场"", 1张"',
    amount: "120.50",
    fee: "0.72",
  }),
  row({ trade: "2026112622002", out: "K1-0002", type: "交易", amount: "80.00", fee: "0.48" }),
  row({ trade: "2026112622001", out: "K1-0001", type: "退款", amount: "-20.50", refundNo: "RF-0001", fee: "-0.12" }),
  row({
    trade: "2026112622002",
    out: "K1-0002",
    type: "退款",
    amount: "-80.00",
    refundNo: "CX-0002",
    fee: "-0.48",
    remarks: "撤销",
  }),
];

describe("readTradeBillArchive", () => {
  it("reads a GBK trade bill into settlement records (minor units, refunds by request number, cancels by payment)", () => {
    const records = readTradeBillArchive(archive(encodeText(billCsv(ROWS), "gbk")));
    expect(
      records.map((r) => [r.transactionType, r.partnerTransId, r.amountMinor, r.serviceChargeMinor, r.currency]),
    ).toEqual([
      ["PAYMENT", "K1-0001", 12050, 72, "CNY"],
      ["PAYMENT", "K1-0002", 8000, 48, "CNY"],
      ["REFUND", "RF-0001", -2050, -12, "CNY"],
      ["CANCEL", "K1-0002", -8000, -48, "CNY"],
    ]);
    expect(records[0]?.transactionTime?.toISOString()).toBe("2026-11-26T02:00:05.000Z");
    expect(records[2]?.remarks).toContain("partner_trans_id=K1-0001");
    expect(records[0]?.raw).toContain('"成人票 ""日场"", 1张"');
  });

  it("reads the same bill written as UTF-8 with a BOM, and an integer currency by its exponent", () => {
    const utf8 = readTradeBillArchive(archive(encodeText("\uFEFF" + billCsv(ROWS), "utf-8")));
    expect(utf8.map((r) => r.amountMinor)).toEqual([12050, 8000, -2050, -8000]);
    const jpy = readTradeBillArchive(
      archive(encodeText(billCsv([row({ trade: "T1", out: "K1-9", type: "交易", amount: "1500", fee: "9" })]), "gbk")),
      { currency: "JPY" },
    );
    expect(jpy[0]).toMatchObject({ amountMinor: 1500, serviceChargeMinor: 9, currency: "JPY" });
  });

  it("reads a quoted cell that spans lines and holds a comma (RFC 4180), keeping the row whole", () => {
    const subject = '"成人票\r\n日场, 1张"';
    const rows = [
      row({ trade: "2026112622003", out: "K1-0003", type: "交易", subject, amount: "66.00", fee: "0.40" }),
      row({ trade: "2026112622004", out: "K1-0004", type: "交易", amount: "10.00", fee: "0.06" }),
    ];
    const records = readTradeBillArchive(archive(encodeText(billCsv(rows), "gbk")));
    expect(records.map((r) => [r.transactionType, r.partnerTransId, r.amountMinor, r.serviceChargeMinor])).toEqual([
      ["PAYMENT", "K1-0003", 6600, 40],
      ["PAYMENT", "K1-0004", 1000, 6],
    ]);
    expect(records[0]?.raw).toContain(subject);
  });

  it("answers an empty day as no records", () => {
    expect(readTradeBillArchive(archive(encodeText(billCsv([]), "gbk")))).toEqual([]);
  });

  it("refuses a corrupt zip, a zip without the detail CSV, unknown columns and bad amounts with a typed error", () => {
    const good = archive(encodeText(billCsv(ROWS), "gbk"));
    const corrupt = good.slice(0, good.length - 40);
    const cases: [Uint8Array, AlipayBillFormatError["reason"]][] = [
      [corrupt, "archive"],
      [new TextEncoder().encode("<html>expired</html>"), "archive"],
      [zipSync({ "readme.txt": new Uint8Array([1]) }), "archive"],
      [archive(encodeText(billCsv(ROWS).replace("订单金额（元）", "金额"), "gbk")), "columns"],
      [
        archive(encodeText(billCsv([row({ trade: "T", out: "K", type: "交易", amount: "1.005", fee: "0" })]), "gbk")),
        "row",
      ],
      [
        archive(
          encodeText(
            billCsv([row({ trade: "T", out: "K", type: "交易", subject: '"unclosed', amount: "1", fee: "0" })]),
            "gbk",
          ),
        ),
        "row",
      ],
    ];
    for (const [bytes, reason] of cases) {
      let caught: unknown;
      try {
        readTradeBillArchive(bytes);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(AlipayBillFormatError);
      expect((caught as AlipayBillFormatError).reason).toBe(reason);
    }
  });

  it("refuses archives and CSVs over the size limits before inflating", () => {
    const big = archive(encodeText(billCsv(Array.from({ length: 2000 }, () => ROWS[0] as string)), "gbk"));
    expect(() => readTradeBillArchive(big, { maxArchiveBytes: 100 })).toThrow(/over the 100-byte limit/);
    expect(() => readTradeBillArchive(big, { maxCsvBytes: 10_000 })).toThrow(/over the 10000-byte limit/);
  });
});
