import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

  it("keeps test entries and tooling out of product code, and lets tests use them", async () => {
    const testEntry = `import { TEST_PARTNER_ID } from "@kiosk/alipay-core/testing";\nexport { TEST_PARTNER_ID };\n`;
    for (const file of ["packages/api/src/env.ts", "apps/kiosk/src/app/x.ts", "packages/api/scripts/worker.ts"])
      expect(await ruleIds(testEntry, file)).toContain("no-restricted-syntax");
    expect(
      await ruleIds(`import { run } from "@kiosk/conformance/runner.ts";\nexport { run };\n`, "packages/api/src/x.ts"),
    ).toContain("no-restricted-syntax");
    expect(
      await ruleIds(`export const load = () => import("@kiosk/proof/checker.ts");\n`, "apps/kiosk/src/lib/x.ts"),
    ).toContain("no-restricted-syntax");
    expect(await ruleIds(`export * from "@kiosk/db/testing";\n`, "packages/api/src/x.ts")).toContain(
      "no-restricted-syntax",
    );
    // The public test keys have their own non-testing entry; tests and test helpers may use /testing.
    expect(
      await ruleIds(
        `import { TEST_PARTNER_ID } from "@kiosk/alipay-core/public-test-keys";\nexport { TEST_PARTNER_ID };\n`,
        "packages/api/src/x.ts",
      ),
    ).toEqual([]);
    // Test helpers live in test/ or __tests__/ (the bridge's moved out of src/), never imported by product code.
    expect(
      await ruleIds(`import { a } from "../../test/test-bridge.ts";\nexport { a };\n`, "apps/bridge/src/server/x.ts"),
    ).toContain("no-restricted-syntax");
    expect(
      await ruleIds(`import { a } from "./__tests__/harness.ts";\nexport { a };\n`, "packages/api/src/services/x.ts"),
    ).toContain("no-restricted-syntax");
    for (const file of [
      "packages/api/src/x.test.ts",
      "packages/api/src/__tests__/h.ts",
      "packages/alipay-sandbox/test/h.ts",
    ])
      expect(await ruleIds(testEntry, file)).toEqual([]);
  });

  it("lets apps reach packages only by name, never by a relative path across workspaces", async () => {
    expect(
      await ruleIds(`import { a } from "../../../packages/api/src/x.ts";\nexport { a };\n`, "apps/kiosk/src/app/x.ts"),
    ).toContain("no-restricted-syntax");
    expect(
      await ruleIds(`import { a } from "../../../apps/kiosk/src/x.ts";\nexport { a };\n`, "packages/api/src/a/x.ts"),
    ).toContain("no-restricted-syntax");
    expect(
      await ruleIds(`import { a } from "@kiosk/api/trpc/root.ts";\nexport { a };\n`, "apps/kiosk/src/app/x.ts"),
    ).toEqual([]);
  });

  it("fails on an import cycle in product code (also through a dynamic import)", async () => {
    const dir = join(root, "packages/api/src", `zz-lint-cycle-fixture-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(join(dir, "a.ts"), `import { b } from "./b.ts";\nexport const a = () => b;\n`);
      writeFileSync(join(dir, "b.ts"), `export const b = async () => (await import("./a.ts")).a;\n`);
      writeFileSync(join(dir, "c.ts"), `import { b } from "./b.ts";\nexport const c = b;\n`);
      const results = await eslint.lintFiles([join(dir, "a.ts"), join(dir, "c.ts")]);
      const byFile = Object.fromEntries(
        results.map((r) => [r.filePath.slice(dir.length + 1), r.messages.map((m) => m.ruleId)]),
      );
      expect(byFile["a.ts"]).toContain("import-x/no-cycle");
      expect(byFile["c.ts"]).not.toContain("import-x/no-cycle");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps the Alipay sandbox a dev/test dependency of the product", async () => {
    const sandbox = `import { startSandbox } from "@kiosk/alipay-sandbox";\nexport { startSandbox };\n`;
    for (const file of ["packages/api/src/x.ts", "packages/api/scripts/api-server.ts", "apps/kiosk/src/app/x.ts"])
      expect(await ruleIds(sandbox, file)).toContain("no-restricted-syntax");
    expect(await ruleIds(sandbox, "packages/api/src/x.integration.test.ts")).toEqual([]);
    for (const pkg of ["packages/api", "apps/kiosk"]) {
      const json = JSON.parse(readFileSync(join(root, pkg, "package.json"), "utf8")) as {
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      };
      expect({ pkg, runtime: json.dependencies?.["@kiosk/alipay-sandbox"] }).toEqual({ pkg, runtime: undefined });
      expect(json.devDependencies?.["@kiosk/alipay-sandbox"]).toBe("workspace:*");
    }
  });
});
