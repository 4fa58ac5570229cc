/**
 * One masking rule end to end: payments driven through the money services on SQLite against
 * the real HTTP sandbox, with every log record (services and the Alipay client, debug level)
 * captured, then the stored strings staff see (masked code, event log). Together they may
 * reveal no more digits of the scanned code than `maskPaymentCode` keeps.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maskPaymentCode, PAYMENT_CODE_MASK } from "@kiosk/alipay-core/money";
import { scenarioCode } from "@kiosk/alipay-sandbox";
import { createMemoryLogger } from "../log.ts";
import { createHarness, type Harness } from "./__tests__/harness.ts";

/** The longest head and tail of `code` that `texts` show, across masked forms and bare digit runs. */
export function revealedDigits(texts: readonly string[], code: string): { head: number; tail: number } {
  let head = 0;
  let tail = 0;
  for (const text of texts) {
    // Masked forms: `28****3456` (same length as the code) or the log's `28…56`.
    for (const m of text.matchAll(/(\d*)(\*+|…)(\d*)/g)) {
      const [token, h = "", mask = "", t = ""] = m;
      if (mask !== "…" && token.length !== code.length) continue;
      if (h && code.startsWith(h)) head = Math.max(head, h.length);
      if (t && code.endsWith(t)) tail = Math.max(tail, t.length);
    }
    // Unmasked pieces: a run of 7+ digits that is the code's start or end.
    for (const [run] of text.matchAll(/\d{7,}/g)) {
      if (code.startsWith(run)) head = Math.max(head, run.length);
      if (code.endsWith(run)) tail = Math.max(tail, run.length);
    }
  }
  return { head, tail };
}

describe("payment code masking across logs and stored strings (SQLite, real sandbox)", () => {
  let h: Harness;
  const memory = createMemoryLogger("debug");
  beforeAll(async () => {
    h = await createHarness("sqlite", { log: memory.log });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("reveals at most the first 2 and last 4 digits of a code anywhere", async () => {
    const paid = scenarioCode("success", { prefix: 27, serial: 73_914_682, parameter: 5173 });
    const cancelled = scenarioCode("pin_wait_never", { prefix: 27, serial: 61_582_039 });
    const checks: { code: string; paymentId: string }[] = [];
    for (const code of [paid, cancelled]) {
      const { paymentId } = await h.buy({ code });
      await h.settle(paymentId);
      checks.push({ code, paymentId });
    }
    expect(memory.records.length).toBeGreaterThan(0);
    for (const { code, paymentId } of checks) {
      const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
      const events = await h.db.db.paymentEvent.findMany({ where: { paymentId } });
      const texts = [
        ...memory.records.map((r) => JSON.stringify(r)),
        payment.paymentCodeMasked,
        ...events.map((e) => e.summary ?? ""),
      ];
      expect(texts.join("\n")).not.toContain(code);
      expect(revealedDigits(texts, code)).toEqual({ head: PAYMENT_CODE_MASK.head, tail: PAYMENT_CODE_MASK.tail });
      expect(payment.paymentCodeMasked).toBe(maskPaymentCode(code));
    }
  });
});
