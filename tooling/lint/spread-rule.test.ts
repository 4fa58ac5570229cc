import { join } from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const eslint = new ESLint({ cwd: root });

async function spreadFindings(code: string, filePath: string): Promise<number> {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return (result?.messages ?? []).filter((m) => m.ruleId === "kiosk/no-leading-spread").length;
}

describe("kiosk/no-leading-spread: server literals keep V8's cached hidden classes", () => {
  it("fires on a literal that starts with a spread and then adds keys, in server code", async () => {
    const code = `export const f = (row: { a: number }, b: object) => [{ ...row, updatedAt: 1 }, { ...row, ...b }];\n`;
    expect(await spreadFindings(code, "packages/api/src/services/x.ts")).toBe(2);
    expect(await spreadFindings(code, "packages/alipay-core/src/x.ts")).toBe(2);
    expect(await spreadFindings(code, "packages/alipay-sandbox/src/x.ts")).toBe(2);
  });

  it("accepts a lone spread, a key first, Object.assign, tests, the page's code and bridge-protocol", async () => {
    const fine = `export const f = (row: { a: number }) => [{ ...row }, { k: 1, ...row }, Object.assign({}, row, { k: 1 })];\n`;
    expect(await spreadFindings(fine, "packages/api/src/services/x.ts")).toBe(0);
    const leading = `export const f = (row: { a: number }) => ({ ...row, k: 1 });\n`;
    expect(await spreadFindings(leading, "packages/api/src/services/x.test.ts")).toBe(0);
    expect(await spreadFindings(leading, "apps/kiosk/src/features/kiosk/x.ts")).toBe(0);
    expect(await spreadFindings(leading, "packages/bridge-protocol/src/x.ts")).toBe(0);
  });
});
