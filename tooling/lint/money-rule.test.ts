import { join } from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const eslint = new ESLint({ cwd: root });

async function moneyFindings(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return (result?.messages ?? []).filter((m) => m.ruleId === "kiosk/no-money-facts").map((m) => m.message);
}

describe("kiosk/no-money-facts: money facts live only in @kiosk/alipay-core/money", () => {
  it("fires on a currency exponent table outside the money module", async () => {
    expect(
      await moneyFindings(`export const E = { SGD: 2, JPY: 0, KRW: 0 };\n`, "packages/db/src/types.ts"),
    ).toHaveLength(1);
    expect(
      await moneyFindings(
        `export const E: Record<string, number> = { "USD": 2, "IDR": 0 };\n`,
        "apps/kiosk/src/features/staff/x.ts",
      ),
    ).toHaveLength(1);
    expect(
      await moneyFindings(
        `export const L = [{ code: "JPY", exponent: 0, cnyRate: "0.048" }];\n`,
        "packages/alipay-sandbox/src/x.ts",
      ),
    ).toHaveLength(1);
  });

  it("fires on exponents taken from Intl's currency data and on Intl currency formatting", async () => {
    const fromIntl = `export const d = new Intl.NumberFormat("en", { style: "currency", currency: "IDR" }).resolvedOptions().maximumFractionDigits;\n`;
    expect((await moneyFindings(fromIntl, "apps/kiosk/src/lib/i18n/x.ts")).length).toBeGreaterThanOrEqual(1);
    expect(
      await moneyFindings(
        `export const f = (n: number) => new Intl.NumberFormat("en", { style: "currency", currency: "SGD" }).format(n);\n`,
        "e2e/tests/x.ts",
      ),
    ).toHaveLength(1);
  });

  it("fires on a copy of the payment code pattern or of the masking function", async () => {
    expect(
      await moneyFindings(`export const P = /^(2[5-9]|30)\\d{14,22}$/;\n`, "apps/kiosk/src/features/kiosk/x.ts"),
    ).toHaveLength(1);
    expect(
      await moneyFindings(`export function maskPaymentCode(c: string) { return c; }\n`, "packages/api/src/x.ts"),
    ).toHaveLength(1);
  });

  it("accepts the money module itself and ordinary code elsewhere", async () => {
    expect(
      await moneyFindings(
        `export const E = { SGD: 2, JPY: 0 };\nexport const P = /^(2[5-9]|30)\\d{14,22}$/;\n`,
        "packages/alipay-core/src/money.ts",
      ),
    ).toEqual([]);
    expect(
      await moneyFindings(
        `export const RANK = { debug: 10, info: 20 };\nexport const N = new Intl.NumberFormat("en").format(3);\nexport const C = { code: "SGD", amountMinor: 3200 };\n`,
        "apps/kiosk/src/x.ts",
      ),
    ).toEqual([]);
  });
});
