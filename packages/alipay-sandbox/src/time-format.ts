/**
 * Alipay times are Beijing time (GMT+8, no DST) in every format the sandbox emits.
 */
const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;
export const DAY_MS = 24 * 60 * 60 * 1000;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

function beijingParts(epochMs: number): {
  y: string;
  mo: string;
  d: string;
  h: string;
  mi: string;
  s: string;
} {
  const t = new Date(epochMs + BEIJING_OFFSET_MS);
  return {
    y: pad(t.getUTCFullYear(), 4),
    mo: pad(t.getUTCMonth() + 1),
    d: pad(t.getUTCDate()),
    h: pad(t.getUTCHours()),
    mi: pad(t.getUTCMinutes()),
    s: pad(t.getUTCSeconds()),
  };
}

/** `yyyyMMddHHmmss` (MAPI `alipay_pay_time`, settlement lines). */
export function formatCompactTime(epochMs: number): string {
  const p = beijingParts(epochMs);
  return `${p.y}${p.mo}${p.d}${p.h}${p.mi}${p.s}`;
}

/** `yyyy-MM-dd HH:mm:ss` (OpenAPI times, `notify_time`). */
export function formatDateTime(epochMs: number): string {
  const p = beijingParts(epochMs);
  return `${p.y}-${p.mo}-${p.d} ${p.h}:${p.mi}:${p.s}`;
}

/** `yyyyMMdd` of the Beijing calendar day containing `epochMs`. */
export function beijingDay(epochMs: number): string {
  const p = beijingParts(epochMs);
  return `${p.y}${p.mo}${p.d}`;
}

/** Start (epoch ms) of a Beijing calendar day given as `yyyyMMdd` or `yyyy-MM-dd`; `undefined` if not a real date. */
export function parseBeijingDay(text: string): number | undefined {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const utc = Date.UTC(y, mo - 1, d);
  const check = new Date(utc);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return undefined;
  if (text.includes("-") !== /^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  return utc - BEIJING_OFFSET_MS;
}

/** Parses an OpenAPI `timestamp` (`yyyy-MM-dd HH:mm:ss`, GMT+8); `undefined` if malformed. */
export function parseOpenApiTimestamp(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) ? undefined : ms - BEIJING_OFFSET_MS;
}
