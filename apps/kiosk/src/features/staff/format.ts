/** Formatting for the console: money in minor units (rules from @kiosk/alipay-core/money), dates, CSV. Pure. */
import { formatMinor, isSupportedCurrency, minorToDecimal, parseDecimalInput } from "@kiosk/alipay-core/money";

/** Staff read money in English with Alipay's exponent (IDR 2, JPY 0): exactly the amount charged. */
export function formatMoney(minor: number, currency: string): string {
  // A sales report over several currencies has no single currency to format in.
  if (currency === "MIXED") return String(minor);
  // An unsupported currency is shown as what it is, never guessed into decimals.
  if (!isSupportedCurrency(currency)) return `${minor} ${currency} (minor units)`;
  return formatMinor(minor, currency, "en");
}

/** "12.5" in CNY → 1250; null when not a valid positive amount with at most the currency's decimals. */
export function parseMoneyToMinor(text: string, currency: string): number | null {
  return parseDecimalInput(text, currency);
}

export function formatDateTime(d: Date | string | null | undefined): string {
  if (!d) return "—";
  const date = typeof d === "string" ? new Date(d) : d;
  return date.toLocaleString("en-GB", {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

export function formatAgo(d: Date | null | undefined, now: number): string {
  if (!d) return "never";
  const s = Math.max(0, Math.round((now - d.getTime()) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? "" : v instanceof Date ? v.toISOString() : String(v);
  return /[",\n\r]/.test(s) || /^[=+\-@]/.test(s) ? `"${(/^[=+\-@]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV; cells that a spreadsheet would run as a formula are quoted and prefixed. */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

export function downloadText(filename: string, text: string, type = "text/csv;charset=utf-8"): void {
  // The byte-order mark makes spreadsheet programs read CSV as UTF-8; other formats go as they are.
  const blob = new Blob(type.startsWith("text/csv") ? ["\uFEFF", text] : [text], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Exact decimal text of minor units ("12.34"; JPY "1234"), for CSV cells and input placeholders. */
export function minorToDecimalString(minor: number, currency: string): string {
  return minorToDecimal(minor, currency);
}
