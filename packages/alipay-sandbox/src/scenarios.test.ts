import { describe, expect, it } from "vitest";
import { PAYMENT_CODE_PATTERN, resolveScenario, SCENARIOS, scenarioCode } from "./scenarios.ts";

describe("scenario codes", () => {
  it("builds valid 18-digit Alipay codes that resolve back to their scenario", () => {
    for (const scenario of SCENARIOS) {
      const code = scenarioCode(scenario.id, { parameter: 7, serial: 123 });
      expect(code).toMatch(PAYMENT_CODE_PATTERN);
      expect(code).toHaveLength(18);
      const resolved = resolveScenario(code);
      expect(resolved?.scenario.id).toBe(scenario.id);
      expect(resolved?.parameter).toBe(scenario.parameter === undefined ? 0 : 7);
    }
  });

  it("has unique four-digit numbers", () => {
    const numbers = SCENARIOS.map((s) => s.number);
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const n of numbers) expect(n).toMatch(/^\d{4}$/);
  });

  it("applies defaults for 0000 parameters and treats unknown numbers as success", () => {
    expect(resolveScenario("280000000000000010")).toMatchObject({
      scenario: { id: "pin_wait_confirm" },
      parameter: 10,
    });
    expect(resolveScenario("281234567890129999")?.scenario.id).toBe("success");
    expect(resolveScenario("2512345678901234")?.scenario.id).toBe("success");
  });

  it("refuses non-Alipay codes", () => {
    expect(resolveScenario("180000000000000000")).toBeUndefined();
    expect(resolveScenario("28000")).toBeUndefined();
    expect(resolveScenario("28abc0000000000000")).toBeUndefined();
    expect(() => scenarioCode("success", { parameter: 10_000 })).toThrow(RangeError);
  });
});
