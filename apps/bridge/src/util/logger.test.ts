import { maskPaymentCode } from "@kiosk/alipay-core/money";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";

describe("bridge logger", () => {
  it("masks a payment code quoted anywhere with the one rule, and secrets by key", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "debug", write: (line) => lines.push(line), now: () => new Date(0) });
    const code = "287391468251730000";
    log.warn(`scan ${code} arrived while disarmed`, {
      token: "pairing-secret",
      error: new Error(`bad data ${code}`),
      data: { code },
    });
    const text = lines.join("\n");
    expect(text).not.toContain(code);
    expect(text).not.toContain("pairing-secret");
    // The message, the error's message and stack, and data.code: each masked, none in clear.
    expect(text.split(maskPaymentCode(code)).length - 1).toBe(4);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: "warn", ns: "bridge", token: "[redacted]" });
  });
});
