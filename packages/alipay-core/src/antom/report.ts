/**
 * Antom's transaction details report (one CSV per day on Antom's SFTP server): a header row of
 * parameter names, one row per transaction, then `<END>` on the last line (docs.antom.com,
 * "Transaction details report"). Read by header name, so column order and extra columns do not
 * matter. What is sure and what is guessed: README, "Antom settlement report".
 */
import { parse } from "csv-parse/sync";
import { AlipayResponseError } from "../errors.ts";
import { isSupportedCurrency, parseAmount } from "../money.ts";
import type { SettlementRecord } from "../types.ts";

/** The columns this package writes (the sandbox) and needs (the reader): documented names, some guessed (README). */
export const ANTOM_REPORT_COLUMNS = [
  "customerId",
  "transactionId",
  "originalTransactionId",
  "transactionRequestId",
  "referenceStoreId",
  "transactionType",
  "transactionStatus",
  "paymentMethodType",
  "pspName",
  "transactionTime",
  "transactionAmountValue",
  "transactionAmountCurrency",
  "feeAmountValue",
  "feeAmountCurrency",
  "settlementTime",
] as const;

export const ANTOM_REPORT_END = "<END>";

/** The report's file name for a day (`YYYY-MM-DD`); `{date}` in the pattern becomes `YYYYMMDD`. */
export function antomReportFileName(day: string, pattern = "transactionDetails_{date}.csv"): string {
  return pattern.replace("{date}", day.replace(/-/g, ""));
}

const REFUND_TYPES = new Set(["REFUND"]);

/** An amount cell: an integer is minor units (AMS `value` convention); a decimal is major units. */
function amountOf(text: string, currency: string): number | undefined {
  const t = text.trim();
  if (/^-?\d{1,15}$/.test(t)) return Number(t);
  return parseAmount(t, currency, { isSigned: true });
}

/**
 * The report's rows as settlement records: `partnerTransId` is `transactionRequestId`
 * (paymentRequestId, or refundRequestId for a REFUND), refunds negative, `transactionType` as
 * in the file. Rows whose `transactionStatus` is present and not SUCCESS are left out.
 * @throws AlipayResponseError when the header lacks a needed column or a row cannot be read
 */
export function parseAntomReport(text: string): SettlementRecord[] {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  while (lines.length > 0 && (lines[lines.length - 1] ?? "").trim() === "") lines.pop();
  if ((lines[lines.length - 1] ?? "").trim() !== ANTOM_REPORT_END)
    throw new AlipayResponseError(`Antom report is incomplete: its last line is not ${ANTOM_REPORT_END}`);
  lines.pop();
  const rows = parse(lines.join("\n"), { columns: true, skip_empty_lines: true, trim: true }) as Record<
    string,
    string
  >[];
  const records: SettlementRecord[] = [];
  for (const [i, row] of rows.entries()) {
    const need = (name: string): string => {
      const value = row[name];
      if (value === undefined || value === "")
        throw new AlipayResponseError(`Antom report row ${i + 2}: ${name} is missing`);
      return value;
    };
    const status = row["transactionStatus"];
    if (status !== undefined && status !== "" && status.toUpperCase() !== "SUCCESS") continue;
    const type = need("transactionType").toUpperCase();
    const currency = need("transactionAmountCurrency").toUpperCase();
    if (!isSupportedCurrency(currency))
      throw new AlipayResponseError(`Antom report row ${i + 2}: currency ${currency} is not supported`);
    const amount = amountOf(need("transactionAmountValue"), currency);
    if (amount === undefined)
      throw new AlipayResponseError(`Antom report row ${i + 2}: transactionAmountValue is not an amount`);
    const fee = row["feeAmountValue"] ? amountOf(row["feeAmountValue"], currency) : undefined;
    const time = (name: string): Date | undefined => {
      const value = row[name];
      const ms = value ? Date.parse(value) : Number.NaN;
      return Number.isNaN(ms) ? undefined : new Date(ms);
    };
    records.push({
      partnerTransId: need("transactionRequestId"),
      amountMinor: REFUND_TYPES.has(type) ? -Math.abs(amount) : amount,
      currency,
      transactionTime: time("transactionTime"),
      settlementTime: time("settlementTime"),
      transactionType: type,
      serviceChargeMinor: fee,
      status: status ?? "",
      remarks: row["originalTransactionId"] ?? "",
      raw: ANTOM_REPORT_COLUMNS.map((c) => row[c] ?? "").join(","),
    });
  }
  return records;
}
