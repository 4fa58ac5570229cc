/**
 * MAPI settlement / transaction files: `forex_liquidation_file` / `forex_compare_file` request
 * parameters and the plain-text, `|`-separated answer.
 */
import { AlipayGatewayError, AlipayResponseError, AlipayValidationError } from "../errors.ts";
import { parseAmount } from "../money.ts";
import { DEFAULT_ALIPAY_UTC_OFFSET_MINUTES, pad, parseAlipayTime, parseCalendarDate } from "../shared/time.ts";
import type { SettlementRecord } from "../types.ts";
import { MAPI_SERVICE } from "./names.ts";
import { mapiBase, type MapiCommon } from "./params.ts";

/** `forex_liquidation_file` (settlement) / `forex_compare_file` (transactions) parameters. */
export function buildMapiSettlementParams(
  common: MapiCommon,
  input: {
    kind: "settlement" | "transactions";
    startDate: string;
    endDate: string;
  },
): Record<string, string> {
  const start = parseCalendarDate(input.startDate, "startDate");
  const end = parseCalendarDate(input.endDate, "endDate");
  const startMs = Date.UTC(start.y, start.m - 1, start.d);
  const endMs = Date.UTC(end.y, end.m - 1, end.d);
  if (endMs < startMs || endMs - startMs > 9 * 86_400_000) {
    throw new AlipayValidationError("endDate must be on or after startDate and at most 10 days later", {
      field: "endDate",
    });
  }
  const compact = (d: { y: number; m: number; d: number }): string => `${d.y}${pad(d.m)}${pad(d.d)}`;
  return Object.assign(
    {},
    mapiBase(common, input.kind === "settlement" ? MAPI_SERVICE.settlementFile : MAPI_SERVICE.transactionFile),
    { start_date: compact(start), end_date: compact(end) },
  );
}

/**
 * Parses a `forex_liquidation_file` / `forex_compare_file` body:
 * `partner_transaction_id|amount|currency|transaction_time|settlement_time|transaction_type|service_charge|status|remarks`.
 * A body without `|` is an Alipay message: "No … data …" → empty; anything else → gateway error.
 */
export function parseSettlementFile(
  body: string,
  offsetMinutes = DEFAULT_ALIPAY_UTC_OFFSET_MINUTES,
): { records: SettlementRecord[] } | { message: string } {
  const text = body.replace(/^\uFEFF/, "").trim();
  if (!text.includes("|")) {
    if (text === "" || /^no .*data/i.test(text)) return { message: text === "" ? "empty file" : text };
    throw new AlipayGatewayError(`Alipay refused the file request: ${text.slice(0, 120)}`, {
      gatewayCode: "FILE_REQUEST_REJECTED",
      isRetryable: false,
    });
  }
  const records: SettlementRecord[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    const cols = line.split("|").map((c) => c.trim());
    if (index === 0 && /^partner_trans(action)?_id$/i.test(cols[0] ?? "")) return;
    if (cols.length < 8)
      throw new AlipayResponseError(`Settlement file line ${index + 1} has ${cols.length} columns, expected 9`);
    const [id, amount, currency, txTime, settleTime, type, charge, status, ...rest] = cols as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      ...string[],
    ];
    const amountMinor = parseAmount(amount, currency, { isSigned: true });
    if (amountMinor === undefined)
      throw new AlipayResponseError(`Settlement file line ${index + 1} has an invalid amount`);
    records.push({
      partnerTransId: id,
      amountMinor,
      currency,
      transactionTime: parseAlipayTime(txTime, offsetMinutes),
      settlementTime: parseAlipayTime(settleTime, offsetMinutes),
      transactionType: type,
      serviceChargeMinor: charge === "" ? undefined : parseAmount(charge, currency, { isSigned: true }),
      status,
      remarks: rest.join("|"),
      raw: line,
    });
  });
  return { records };
}
