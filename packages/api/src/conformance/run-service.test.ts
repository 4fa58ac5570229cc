import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { KioskError } from "../errors.ts";
import { createConformanceRuns } from "./run-service.ts";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("conformance runs started from the console", () => {
  it("refuses to start, changing nothing, where the validator is not installed (standalone build)", async () => {
    dir = mkdtempSync(join(tmpdir(), "conformance-runs-"));
    const runs = createConformanceRuns({
      repoRoot: dir,
      reportsDir: join(dir, "reports"),
      now: () => new Date(),
    });
    let error: unknown;
    try {
      await runs.start({ staffId: "staff_admin", now: new Date() });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KioskError);
    expect((error as KioskError).code).toBe("PRECONDITION_FAILED");
    expect(await runs.latest()).toBeNull();
  });

  it("answers NOT_FOUND for an unknown or malformed report id", () => {
    dir = mkdtempSync(join(tmpdir(), "conformance-runs-"));
    const runs = createConformanceRuns({
      repoRoot: dir,
      reportsDir: dir,
      now: () => new Date(),
    });
    for (const id of ["conf_missing", "../../etc/passwd"]) {
      expect(() => runs.reportJson(id)).toThrow(KioskError);
      expect(() => runs.reportHtml(id)).toThrow(/not found/);
    }
  });
});
