/**
 * Reading an OpenAPI `trade` bill archive (the file behind `bill_download_url`): a ZIP holding
 * `<account>_<yyyyMMdd>_业务明细.csv` (one row per payment / refund) and a `…(汇总).csv` summary.
 * The CSVs are GBK at Alipay (UTF-8 with a BOM is accepted too), with `#` comment lines before and
 * after the table; a quoted cell may span lines (read with csv-parse). Rows become the same
 * `SettlementRecord`s the MAPI file produces, so reconciliation does not care which protocol answered.
 */
import { parse } from "csv-parse/sync";
import { unzipSync } from "fflate";
import { AlipayResponseError } from "../errors.ts";
import type { SettlementRecord } from "../types.ts";
import { parseAmount } from "../money.ts";
import { DEFAULT_ALIPAY_UTC_OFFSET_MINUTES, parseAlipayTime } from "../shared/time.ts";

/** Largest archive accepted (compressed bytes). */
export const DEFAULT_MAX_BILL_ARCHIVE_BYTES = 16 * 1024 * 1024;
/** Largest CSV accepted once inflated (a zip bomb stops here, before inflating). */
export const DEFAULT_MAX_BILL_CSV_BYTES = 64 * 1024 * 1024;

/** The archive or its CSV is not a trade bill this parser understands. */
export class AlipayBillFormatError extends AlipayResponseError {
  readonly reason: "archive" | "size" | "columns" | "row";

  constructor(reason: AlipayBillFormatError["reason"], message: string) {
    super(message);
    this.reason = reason;
  }
}

export type ReadBillOptions = {
  /** Currency of the `（元）` amount columns; the bill has no currency column. @default "CNY" */
  currency?: string;
  /** @default DEFAULT_MAX_BILL_ARCHIVE_BYTES */
  maxArchiveBytes?: number;
  /** @default DEFAULT_MAX_BILL_CSV_BYTES */
  maxCsvBytes?: number;
  /** Offset of the bill's wall-clock times. @default Beijing (+480) */
  offsetMinutes?: number;
};

/** Columns the parser needs, by their header text (the rest are kept in `raw`). */
const COLUMN = {
  tradeNo: "支付宝交易号",
  outTradeNo: "商户订单号",
  type: "业务类型",
  finishedAt: "完成时间",
  amount: "订单金额（元）",
  refundNo: "退款批次号/请求号",
  fee: "服务费（元）",
  remarks: "备注",
} as const;

const DETAIL_FILE = /业务明细\.csv$/;

/** Decodes a CSV: UTF-8 when it carries a BOM or is valid UTF-8, GBK otherwise (Alipay's default). */
export function decodeBillText(bytes: Uint8Array): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return new TextDecoder("utf-8").decode(bytes.subarray(3));
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder("gbk").decode(bytes);
  }
}

type CsvRow = { record: string[]; raw: string; info: { lines: number } };

/**
 * The bill's CSV rows (csv-parse, RFC 4180: a quoted cell may hold commas, doubled quotes and
 * line breaks), `#` comment lines and blank lines skipped, each with its raw text and last line.
 * @throws AlipayBillFormatError (`row`) for text that is not CSV (e.g. an unclosed quote).
 */
function csvRows(text: string): CsvRow[] {
  try {
    return parse(text, {
      bom: true,
      comment: "#",
      comment_no_infix: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      raw: true,
      info: true,
    }) as unknown as CsvRow[];
  } catch (error) {
    throw new AlipayBillFormatError(
      "row",
      `Trade bill is not valid CSV: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Parses the `业务明细` CSV text into settlement records. */
export function parseTradeBillCsv(text: string, options: ReadBillOptions = {}): SettlementRecord[] {
  const currency = options.currency ?? "CNY";
  const offset = options.offsetMinutes ?? DEFAULT_ALIPAY_UTC_OFFSET_MINUTES;
  let index: Record<keyof typeof COLUMN, number> | undefined;
  const records: SettlementRecord[] = [];
  for (const { record: cells, raw, info } of csvRows(text)) {
    const lineNo = info.lines - 1;
    const line = raw.replace(/\r?\n$/, "");
    if (index === undefined) {
      const found = Object.fromEntries(
        Object.entries(COLUMN).map(([key, title]) => [key, cells.indexOf(title)]),
      ) as Record<keyof typeof COLUMN, number>;
      const missing = Object.entries(found)
        .filter(([, at]) => at < 0)
        .map(([key]) => COLUMN[key as keyof typeof COLUMN]);
      if (missing.length > 0)
        throw new AlipayBillFormatError(
          "columns",
          `Trade bill header lacks column(s) ${missing.join(", ")} (line ${lineNo + 1})`,
        );
      index = found;
      continue;
    }
    const at = (key: keyof typeof COLUMN): string => cells[(index as Record<string, number>)[key] as number] ?? "";
    const amountMinor = parseAmount(at("amount"), currency, { isSigned: true });
    const feeText = at("fee");
    const feeMinor = feeText === "" ? undefined : parseAmount(feeText, currency, { isSigned: true });
    if (amountMinor === undefined || (feeText !== "" && feeMinor === undefined))
      throw new AlipayBillFormatError("row", `Trade bill line ${lineNo + 1} has an invalid ${currency} amount`);
    const type = at("type");
    const isRefund = type === "退款" || amountMinor < 0;
    // A cancel of a paid trade is a refund row marked 撤销; like MAPI's CANCEL it names the payment.
    const isCancel = isRefund && at("remarks").includes("撤销");
    const refundNo = at("refundNo");
    if (isRefund && !isCancel && refundNo === "")
      throw new AlipayBillFormatError(
        "row",
        `Trade bill line ${lineNo + 1} is a refund without a refund request number`,
      );
    const when = parseAlipayTime(at("finishedAt"), offset);
    records.push({
      partnerTransId: isRefund && !isCancel ? refundNo : at("outTradeNo"),
      amountMinor,
      currency,
      transactionTime: when,
      settlementTime: undefined,
      transactionType: isCancel ? "CANCEL" : isRefund ? "REFUND" : "PAYMENT",
      serviceChargeMinor: feeMinor,
      status: "SUCCESS",
      // As in MAPI's file: refunds and cancels name the original payment.
      remarks: isRefund ? `partner_trans_id=${at("outTradeNo")}` : "",
      raw: line,
    });
  }
  if (index === undefined) throw new AlipayBillFormatError("columns", "Trade bill has no header row");
  return records;
}

/**
 * Unzips a trade bill archive and parses its detail CSV.
 * @throws AlipayBillFormatError (`archive`: not a ZIP / no detail CSV; `size`: over a limit;
 *   `columns` / `row`: a CSV this parser does not understand).
 */
export function readTradeBillArchive(bytes: Uint8Array, options: ReadBillOptions = {}): SettlementRecord[] {
  const maxArchive = options.maxArchiveBytes ?? DEFAULT_MAX_BILL_ARCHIVE_BYTES;
  const maxCsv = options.maxCsvBytes ?? DEFAULT_MAX_BILL_CSV_BYTES;
  if (bytes.length > maxArchive)
    throw new AlipayBillFormatError("size", `Bill archive is ${bytes.length} bytes, over the ${maxArchive}-byte limit`);
  let files: Record<string, Uint8Array>;
  let oversized: string | undefined;
  try {
    files = unzipSync(bytes, {
      filter: (file) => {
        if (!DETAIL_FILE.test(file.name)) return false;
        if (file.originalSize > maxCsv) {
          oversized = file.name;
          return false;
        }
        return true;
      },
    });
  } catch (error) {
    throw new AlipayBillFormatError(
      "archive",
      `Bill archive is not a readable ZIP: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (oversized !== undefined)
    throw new AlipayBillFormatError("size", `Bill CSV ${oversized} is over the ${maxCsv}-byte limit`);
  const names = Object.keys(files);
  if (names.length !== 1)
    throw new AlipayBillFormatError(
      "archive",
      `Bill archive holds ${names.length} detail CSVs (…业务明细.csv), expected 1`,
    );
  const csv = files[names[0] as string] as Uint8Array;
  if (csv.length > maxCsv) throw new AlipayBillFormatError("size", `Bill CSV is over the ${maxCsv}-byte limit`);
  return parseTradeBillCsv(decodeBillText(csv), options);
}
