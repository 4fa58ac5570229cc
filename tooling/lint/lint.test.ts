import { join } from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const eslint = new ESLint({ cwd: root });

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe("architecture lint", () => {
  it("fails on a deep import across packages", async () => {
    expect(
      await ruleIds(`import { x } from "@kiosk/db/src/client.ts";\nexport { x };\n`, "packages/api/src/x.ts"),
    ).toContain("no-restricted-imports");
  });

  it("accepts the same package through its public entry", async () => {
    expect(
      await ruleIds(`import { createDb } from "@kiosk/db";\nexport { createDb };\n`, "packages/api/src/x.ts"),
    ).toEqual([]);
  });

  it("fails on process.env outside the config module", async () => {
    expect(await ruleIds(`export const port = process.env.PORT;\n`, "packages/api/src/x.ts")).toContain(
      "no-restricted-properties",
    );
    expect(await ruleIds(`export const port = process.env.PORT;\n`, "packages/alipay-core/src/client.ts")).toContain(
      "no-restricted-properties",
    );
  });

  it("allows process.env in env.ts", async () => {
    expect(await ruleIds(`export const port = process.env.PORT;\n`, "packages/api/src/env.ts")).toEqual([]);
  });

  it("keeps Prisma inside packages/db", async () => {
    expect(
      await ruleIds(
        `import { PrismaClient } from "@prisma/client";\nexport { PrismaClient };\n`,
        "packages/api/src/x.ts",
      ),
    ).toContain("no-restricted-imports");
    expect(
      await ruleIds(
        `import { PrismaPg } from "@prisma/adapter-pg";\nexport { PrismaPg };\n`,
        "packages/db/src/client.ts",
      ),
    ).toEqual([]);
  });

  it("forbids packages from importing apps or unrelated workspace packages", async () => {
    expect(
      await ruleIds(`import { a } from "@kiosk/kiosk";\nexport { a };\n`, "packages/alipay-core/src/x.ts"),
    ).toContain("no-restricted-imports");
    expect(await ruleIds(`import { a } from "@kiosk/db";\nexport { a };\n`, "packages/alipay-core/src/x.ts")).toContain(
      "no-restricted-imports",
    );
    expect(await ruleIds(`import { a } from "@kiosk/db";\nexport { a };\n`, "apps/bridge/src/x.ts")).toContain(
      "no-restricted-imports",
    );
    expect(
      await ruleIds(`import { a } from "@kiosk/bridge-protocol";\nexport { a };\n`, "apps/bridge/src/x.ts"),
    ).toEqual([]);
    // The bridge takes the money rules (payment code mask) from alipay-core, nothing else.
    expect(
      await ruleIds(
        `import { maskPaymentCode } from "@kiosk/alipay-core/money";\nexport { maskPaymentCode };\n`,
        "apps/bridge/src/x.ts",
      ),
    ).toEqual([]);
    expect(
      await ruleIds(
        `import { createAlipayClient } from "@kiosk/alipay-core";\nexport { createAlipayClient };\n`,
        "apps/bridge/src/x.ts",
      ),
    ).toContain("no-restricted-imports");
    expect(
      await ruleIds(`import { a } from "@kiosk/alipay-core";\nexport { a };\n`, "packages/alipay-sandbox/src/x.ts"),
    ).toEqual([]);
  });
});
