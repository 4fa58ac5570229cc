/**
 * Issue 19, item 2: the conformance run is a row every instance reads. Two run services (two
 * servers) on one database: the run started on one is visible with its steps on the other,
 * the other refuses a second run while it runs, and sees it finish. The validator is a stand-in
 * script (repoRoot/node_modules/.bin/tsx) that prints the CLI's progress lines and waits for a
 * file before finishing. SQLite, and PostgreSQL with TEST_DATABASE_URL.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@kiosk/db/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { providersFor } from "../__tests__/platform-harness.ts";
import { KioskError } from "../errors.ts";
import { createConformanceRuns, CONFORMANCE_STALE_MS, type ConformanceRuns } from "./run-service.ts";

const PG_URL = process.env.TEST_DATABASE_URL;
/** The stand-in validator is a child process: wait for its lines, polling (no fixed sleep). */
const WAIT = { timeout: 15_000, interval: 50 };

function fakeRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), "conformance-fleet-"));
  mkdirSync(join(dir, "tooling/conformance/src"), { recursive: true });
  writeFileSync(join(dir, "tooling/conformance/src/cli.ts"), "// stand-in\n");
  mkdirSync(join(dir, "node_modules/.bin"), { recursive: true });
  const tsx = join(dir, "node_modules/.bin/tsx");
  writeFileSync(
    tsx,
    `#!/bin/sh
echo '{"type":"started","steps":[{"id":"pay_success","title":"Pay"},{"id":"query","title":"Query"}]}'
echo '{"type":"step_started","id":"pay_success"}'
echo '{"type":"step_finished","step":{"id":"pay_success","status":"pass"}}'
while [ ! -f "${dir}/go" ]; do sleep 0.05; done
echo '{"type":"step_finished","step":{"id":"query","status":"pass"}}'
echo '{"type":"finished","summary":{"passed":2,"failed":0,"skipped":0}}'
`,
  );
  chmodSync(tsx, 0o755);
  return dir;
}

describe.each(providersFor(PG_URL))("conformance runs shared by a fleet on %s", (provider) => {
  let tdb: TestDatabase;
  let dir: string;
  let a: ConformanceRuns;
  let b: ConformanceRuns;
  let nowMs = Date.parse("2026-03-01T02:00:00.000Z");
  beforeAll(async () => {
    tdb = await createTestDatabase(provider, PG_URL);
    dir = fakeRepo();
    const make = () =>
      createConformanceRuns({
        repoRoot: dir,
        reportsDir: join(dir, "reports"),
        now: () => new Date(nowMs),
        db: tdb.db,
      });
    a = make();
    b = make();
  });
  afterAll(async () => {
    await tdb?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a run started on one instance is followed on another, which refuses a second run meanwhile", async () => {
    const run = await a.start({ staffId: "staff_admin", now: new Date(nowMs) });
    await vi.waitFor(async () => {
      const seen = await b.latest();
      expect(seen).toMatchObject({ runId: run.runId, status: "running", startedBy: "staff_admin" });
      expect(seen?.steps.find((s) => s.id === "pay_success")?.status).toBe("pass");
    }, WAIT);
    const refused = await b.start({ staffId: "staff_other", now: new Date(nowMs) }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KioskError);
    expect((refused as KioskError).code).toBe("CONFLICT");

    writeFileSync(join(dir, "go"), "");
    await vi.waitFor(
      async () =>
        expect(await b.latest()).toMatchObject({ runId: run.runId, status: "finished", summary: { passed: 2 } }),
      WAIT,
    );
  });

  it("a run whose instance died reads as an error on the others after a minute", async () => {
    await tdb.db.conformanceRun.create({
      data: {
        id: "conf_dead",
        startedAt: new Date(nowMs + 1_000),
        startedBy: "staff_admin",
        status: "running",
        heartbeatAt: new Date(nowMs + 1_000),
      },
    });
    expect(await b.latest()).toMatchObject({ runId: "conf_dead", status: "running" });
    nowMs += 1_000 + CONFORMANCE_STALE_MS + 1;
    expect(await b.latest()).toMatchObject({ runId: "conf_dead", status: "error" });
  });
});
