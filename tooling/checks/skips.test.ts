import { describe, expect, it } from "vitest";
// @ts-expect-error -- a plain .mjs script without types
import { classifySkips, playwrightSkips, vitestSkips } from "../../scripts/skips.mjs";

const ROOT = "/repo";
const vitestReport = {
  testResults: [
    {
      name: "/repo/packages/api/src/services/money-path.integration.test.ts",
      assertionResults: [
        { status: "passed", fullName: "money path on sqlite pays" },
        { status: "pending", fullName: "money path on postgresql pays" },
      ],
    },
    {
      name: "/repo/packages/api/src/log.test.ts",
      assertionResults: [{ status: "skipped", fullName: "log masks secrets" }],
    },
  ],
};
const playwrightReport = {
  suites: [
    {
      title: "kiosk-purchase.e2e.ts",
      file: "kiosk-purchase.e2e.ts",
      specs: [
        {
          title: "buys a ticket",
          file: "kiosk-purchase.e2e.ts",
          tests: [
            {
              status: "skipped",
              annotations: [{ type: "skip", description: "kiosk e2e skipped: the kiosk could not be paired" }],
            },
          ],
        },
        { title: "other", file: "kiosk-purchase.e2e.ts", tests: [{ status: "expected", annotations: [] }] },
      ],
    },
  ],
};

describe("npm test's skip check (scripts/skips.mjs)", () => {
  it("allows a PostgreSQL variant to skip only without TEST_DATABASE_URL, and never an undocumented skip", () => {
    const skips = vitestSkips(vitestReport, ROOT);
    expect(skips).toEqual([
      {
        runner: "vitest",
        file: "packages/api/src/services/money-path.integration.test.ts",
        name: "money path on postgresql pays",
      },
      { runner: "vitest", file: "packages/api/src/log.test.ts", name: "log masks secrets" },
    ]);
    const withoutPg = classifySkips(skips, {});
    expect(withoutPg.allowed.map((s: { name: string }) => s.name)).toEqual(["money path on postgresql pays"]);
    expect(withoutPg.unexpected.map((s: { name: string }) => s.name)).toEqual(["log masks secrets"]);
    const withPg = classifySkips(skips, { TEST_DATABASE_URL: "postgresql://x" });
    expect(withPg.unexpected).toHaveLength(2);
  });

  it("lets a browser spec skip for a missing dependency outside CI, and fails it under CI", () => {
    const skips = playwrightSkips(playwrightReport);
    expect(skips).toEqual([
      {
        runner: "playwright",
        file: "kiosk-purchase.e2e.ts",
        name: "buys a ticket",
        reason: "kiosk e2e skipped: the kiosk could not be paired",
      },
    ]);
    expect(classifySkips(skips, {}).unexpected).toEqual([]);
    expect(classifySkips(skips, { CI: "true" }).unexpected).toHaveLength(1);
  });
});
