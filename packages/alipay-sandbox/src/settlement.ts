/**
 * Reconciliation files built from the sandbox's own records.
 * MAPI: `forex_compare_file` / `forex_liquidation_file` text (reference §1.9).
 * OpenAPI: the `trade` bill behind `alipay.data.dataservice.bill.downloadurl.query` (a ZIP of CSVs).
 */
import { currencyInfoOrCny, formatAmount, type CurrencyInfo } from "./money.ts";
import type { Protocol, SandboxStore } from "./store.ts";
import { beijingDay, DAY_MS, formatCompactTime, formatDateTime } from "./time-format.ts";
import { encodeText } from "@kiosk/alipay-core";
import { zipSync } from "fflate";

/** GBK bytes as Alipay writes its bills; a character GBK lacks (an emoji subject) becomes `?`. */
function gbk(text: string): Buffer {
  try {
    return encodeText(text, "gbk");
  } catch {
    return Buffer.concat(
      [...text].map((ch) => {
        try {
          return encodeText(ch, "gbk");
        } catch {
          return Buffer.from("?");
        }
      }),
    );
  }
}

export type SettlementKind = "PAYMENT" | "REFUND" | "CANCEL";

export type SettlementRow = {
  kind: SettlementKind;
  merchantId: string;
  protocol: Protocol;
  tradeNo: string;
  outTradeNo: string;
  /** Refund id (`partner_refund_id` / `out_request_no`) for REFUND and CANCEL rows. */
  outRefundNo: string | undefined;
  subject: string;
  currency: string;
  amountMinor: number;
  /** Alipay's service charge for a payment; the charge returned for a refund or cancel. */
  feeMinor: number;
  createdAt: number;
  /** When the money moved (payment or refund time). */
  at: number;
  storeId: string | undefined;
  terminalId: string | undefined;
  buyerLoginId: string;
};

function fee(amountMinor: number, basisPoints: number): number {
  return Math.round((amountMinor * basisPoints) / 10_000);
}

/** Every payment, refund and cancel reversal of `merchantId` with `fromMs <= at < toMs`, oldest first. */
export function settlementRows(
  store: SandboxStore,
  query: {
    merchantId: string;
    fromMs: number;
    toMs: number;
    feeRateBasisPoints: number;
  },
): SettlementRow[] {
  const rows: SettlementRow[] = [];
  const inRange = (at: number): boolean => at >= query.fromMs && at < query.toMs;
  for (const trade of store.trades.values()) {
    if (trade.merchantId !== query.merchantId) continue;
    const base = {
      merchantId: trade.merchantId,
      protocol: trade.protocol,
      tradeNo: trade.tradeNo,
      outTradeNo: trade.outTradeNo,
      subject: trade.subject,
      currency: trade.currency,
      createdAt: trade.createdAt,
      storeId: trade.storeId,
      terminalId: trade.terminalId,
      buyerLoginId: trade.buyerLoginId,
    };
    if (trade.paidAt !== undefined && inRange(trade.paidAt)) {
      rows.push({
        kind: "PAYMENT",
        ...base,
        outRefundNo: undefined,
        amountMinor: trade.amountMinor,
        feeMinor: fee(trade.amountMinor, query.feeRateBasisPoints),
        at: trade.paidAt,
      });
    }
    for (const refund of store.refundsOf(trade.tradeNo)) {
      if (!inRange(refund.createdAt)) continue;
      rows.push({
        kind: refund.kind === "cancel" ? "CANCEL" : "REFUND",
        ...base,
        outRefundNo: refund.outRefundNo,
        amountMinor: refund.amountMinor,
        feeMinor: fee(refund.amountMinor, query.feeRateBasisPoints),
        at: refund.createdAt,
      });
    }
  }
  return rows.sort((a, b) => a.at - b.at || a.tradeNo.localeCompare(b.tradeNo));
}

function currencyOf(code: string): CurrencyInfo {
  return currencyInfoOrCny(code);
}

/** Settlement happens the next Beijing day at 09:00 (file generation time, reference §1.9). */
function settlementTime(at: number): number {
  const dayStart = Date.parse(`${beijingDay(at).replace(/(\d{4})(\d{2})(\d{2})/, "$1-$2-$3")}T00:00:00+08:00`);
  return dayStart + DAY_MS + 9 * 60 * 60 * 1000;
}

/**
 * One `|`-separated line per row:
 * `partner_transaction_id|amount|currency|transaction_time|settlement_time|transaction_type|service_charge|status|remarks`.
 * For REFUND rows the id is the `partner_refund_id` and remarks name the original payment;
 * CANCEL rows (reversal of a paid trade) carry the original `partner_trans_id`.
 */
export function mapiSettlementText(rows: readonly SettlementRow[]): string {
  return rows
    .map((row) => {
      const currency = currencyOf(row.currency);
      const id = row.kind === "REFUND" ? (row.outRefundNo ?? "") : row.outTradeNo;
      const remarks = row.kind === "PAYMENT" ? "" : `partner_trans_id=${row.outTradeNo}`;
      return [
        id,
        formatAmount(row.amountMinor, currency),
        row.currency,
        formatCompactTime(row.at),
        formatCompactTime(settlementTime(row.at)),
        row.kind,
        formatAmount(row.feeMinor, currency),
        "SUCCESS",
        remarks,
      ].join("|");
    })
    .join("\n");
}

/** MAPI liquidation rows are selected by settlement day instead of transaction day. */
export function liquidationRange(fromMs: number, toMs: number): { fromMs: number; toMs: number } {
  return { fromMs: fromMs - DAY_MS, toMs: toMs - DAY_MS };
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const DETAIL_HEADER = [
  "支付宝交易号",
  "商户订单号",
  "业务类型",
  "商品名称",
  "创建时间",
  "完成时间",
  "门店编号",
  "门店名称",
  "操作员",
  "终端号",
  "对方账户",
  "订单金额（元）",
  "商家实收（元）",
  "支付宝红包（元）",
  "集分宝（元）",
  "支付宝优惠（元）",
  "商家优惠（元）",
  "券核销金额（元）",
  "券名称",
  "商家红包消费金额（元）",
  "卡消费金额（元）",
  "退款批次号/请求号",
  "服务费（元）",
  "分润（元）",
  "备注",
];

/**
 * The OpenAPI `trade` bill: `<sellerId>_<yyyyMMdd>_业务明细.csv` and `…_业务明细(汇总).csv`, zipped.
 * Layout follows Alipay's trade bill (comment header lines, one row per payment / refund,
 * refunds negative), GBK-encoded like Alipay's.
 */
export function openApiBillZip(spec: {
  rows: readonly SettlementRow[];
  accountId: string;
  billDate: string;
  fromMs: number;
  toMs: number;
  generatedAt: number;
}): { fileName: string; body: Buffer } {
  const compactDate = spec.billDate.replace(/-/g, "");
  const range = `#起始日期：[${formatDateTime(spec.fromMs)}]   终止日期：[${formatDateTime(spec.toMs)}]`;
  const detailLines = [
    "#支付宝业务明细查询",
    `#账号：[${spec.accountId}]`,
    range,
    "#-----------------------------------------业务明细列表----------------------------------------",
    DETAIL_HEADER.join(","),
    ...spec.rows.map((row) => {
      const currency = currencyOf(row.currency);
      const sign = row.kind === "PAYMENT" ? 1 : -1;
      const amount = formatAmount(sign * row.amountMinor, currency);
      const feeText = formatAmount(sign * row.feeMinor, currency);
      return [
        row.tradeNo,
        row.outTradeNo,
        row.kind === "PAYMENT" ? "交易" : "退款",
        row.subject,
        formatDateTime(row.createdAt),
        formatDateTime(row.at),
        row.storeId ?? "",
        "",
        "",
        row.terminalId ?? "",
        row.buyerLoginId,
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
        row.kind === "PAYMENT" ? "" : (row.outRefundNo ?? ""),
        feeText,
        "0.00",
        row.kind === "CANCEL" ? "撤销" : "",
      ]
        .map(csvCell)
        .join(",");
    }),
    "#-----------------------------------------业务明细列表结束------------------------------------",
    `#交易合计：${spec.rows.filter((r) => r.kind === "PAYMENT").length}笔，退款合计：${spec.rows.filter((r) => r.kind !== "PAYMENT").length}笔`,
    `#导出时间：[${formatDateTime(spec.generatedAt)}]`,
  ];

  const totals = new Map<string, { payments: number; refunds: number; amount: number; fee: number }>();
  for (const row of spec.rows) {
    const key = row.currency;
    const t = totals.get(key) ?? { payments: 0, refunds: 0, amount: 0, fee: 0 };
    const sign = row.kind === "PAYMENT" ? 1 : -1;
    if (row.kind === "PAYMENT") t.payments += 1;
    else t.refunds += 1;
    t.amount += sign * row.amountMinor;
    t.fee += sign * row.feeMinor;
    totals.set(key, t);
  }
  const summaryLines = [
    "#支付宝业务汇总查询",
    `#账号：[${spec.accountId}]`,
    range,
    "币种,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,服务费（元）",
    ...[...totals.entries()].map(([code, t]) => {
      const currency = currencyOf(code);
      return [
        code,
        String(t.payments),
        String(t.refunds),
        formatAmount(t.amount, currency),
        formatAmount(t.amount, currency),
        formatAmount(t.fee, currency),
      ].join(",");
    }),
    `#导出时间：[${formatDateTime(spec.generatedAt)}]`,
  ];

  const base = `${spec.accountId}_${compactDate}`;
  // ZIP times are wall-clock (DOS) times, which fflate reads from a Date's local fields: give it
  // Beijing's wall clock in local fields, whatever this process's time zone.
  const beijing = new Date(spec.generatedAt + 8 * 60 * 60 * 1000);
  const mtime = new Date(
    beijing.getUTCFullYear(),
    beijing.getUTCMonth(),
    beijing.getUTCDate(),
    beijing.getUTCHours(),
    beijing.getUTCMinutes(),
    beijing.getUTCSeconds(),
  );
  const body = Buffer.from(
    zipSync({
      [`${base}_业务明细.csv`]: [gbk(detailLines.join("\r\n") + "\r\n"), { mtime }],
      [`${base}_业务明细(汇总).csv`]: [gbk(summaryLines.join("\r\n") + "\r\n"), { mtime }],
    }),
  );
  return { fileName: `${base}.csv.zip`, body };
}
