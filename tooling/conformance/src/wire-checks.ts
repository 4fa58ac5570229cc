/**
 * Checks on what went over the wire in a step, shared by the steps and the runner: the query
 * schedule (Alipay: poll every 3–6 s; the server's policy: 3.5 s) and pay resends after
 * SYSTEM_ERROR (only the identical request, only once a query proved there is no trade).
 */
import type { Exchange } from "@kiosk/api/conformance/report.ts";

/** No query sooner than this after the previous pay or query of the same trade (start to start). */
export const MIN_QUERY_GAP_MS = 3_000;
/** Nor later than this after the previous one ended, while polling (Alipay's 3–6 s). */
export const MAX_QUERY_GAP_MS = 6_000;

interface CheckList {
  add(name: string, ok: boolean, detail: string): boolean;
}

/** A gateway SYSTEM_ERROR answer (MAPI `SYSTEM_ERROR`, OpenAPI `ACQ.SYSTEM_ERROR` / `isp.unknow-error`, Antom `UNKNOWN_EXCEPTION`). */
export function isSystemErrorAnswer(e: Exchange): boolean {
  return (
    e.reason === "SYSTEM_ERROR" ||
    e.reason === "ACQ.SYSTEM_ERROR" ||
    e.reason === "isp.unknow-error" ||
    e.reason === "UNKNOWN_EXCEPTION"
  );
}

const at = (e: Exchange): number => Date.parse(e.at);

/**
 * Every query starts at least 3 s after the previous pay or query of its trade started, and,
 * while polling (before any cancel of the trade), at most 6 s after that one ended. Adds
 * nothing when the step sent no query.
 */
export function checkQuerySchedule(exchanges: Exchange[], checks: CheckList): boolean | undefined {
  const ordered = [...exchanges].sort((a, b) => a.seq - b.seq);
  if (!ordered.some((e) => e.operation === "query")) return undefined;
  const last = new Map<string, Exchange>();
  const cancelling = new Set<string>();
  const gaps: string[] = [];
  const bad: string[] = [];
  for (const e of ordered) {
    const key = e.partnerTransId ?? "";
    if (e.operation === "cancel") cancelling.add(key);
    if (e.operation !== "pay" && e.operation !== "query") continue;
    const prev = last.get(key);
    last.set(key, e);
    if (e.operation !== "query" || !prev) continue;
    const sinceStart = at(e) - at(prev);
    const sinceEnd = sinceStart - prev.durationMs;
    gaps.push(`${(sinceStart / 1000).toFixed(1)} s`);
    const isTooLate = !cancelling.has(key) && sinceEnd > MAX_QUERY_GAP_MS;
    if (sinceStart < MIN_QUERY_GAP_MS || isTooLate)
      bad.push(`query #${e.seq} ${(sinceStart / 1000).toFixed(1)} s after ${prev.operation} #${prev.seq}`);
  }
  return checks.add(
    "query schedule (first ≥ 3 s after the pay, then 3–6 s apart)",
    bad.length === 0,
    bad.length === 0 ? `gaps ${gaps.join(", ")}` : bad.join("; "),
  );
}

/**
 * The pay was sent once, or resent as the identical request (same parameters apart from the
 * signature and timestamp), each resend after a SYSTEM_ERROR answer and a query that found no
 * trade (the gateway kept none).
 */
export function checkPayResends(exchanges: Exchange[], checks: CheckList): boolean {
  const name = "pay resent only as the identical request, after SYSTEM_ERROR and a query that found no trade";
  const pays = exchanges.filter((e) => e.operation === "pay");
  const first = pays[0];
  if (first === undefined) return checks.add(name, false, "no pay sent");
  const steps: string[] = [`pay #${first.seq} ${first.reason ?? first.outcome}`];
  let ok = true;
  for (let i = 1; i < pays.length; i++) {
    const prev = pays[i - 1] as Exchange;
    const pay = pays[i] as Exchange;
    const notFound = exchanges.find(
      (e) => e.operation === "query" && e.outcome === "not_found" && e.seq > prev.seq && e.seq < pay.seq,
    );
    const isIdentical = pay.repeatOf === first.seq && pay.partnerTransId === first.partnerTransId;
    const isAllowed = isSystemErrorAnswer(prev) && notFound !== undefined;
    ok &&= isIdentical && isAllowed;
    steps.push(
      `${notFound ? `query #${notFound.seq} not_found` : "no query proving no trade"} → pay #${pay.seq} ${isIdentical ? "identical" : "NOT identical"} ${pay.reason ?? pay.outcome}`,
    );
  }
  return checks.add(name, ok, steps.join(" → "));
}
