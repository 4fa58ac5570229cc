import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderScenarioTable } from "./scenarios.ts";

describe("README.md", () => {
  it("carries the scenario table rendered from SCENARIOS (run `npm run readme` after changing them)", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    expect(readme).toContain(`-->\n${renderScenarioTable()}\n<!-- scenarios:end -->`);
  });
});
