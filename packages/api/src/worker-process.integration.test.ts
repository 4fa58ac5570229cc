/**
 * The payment worker as its own process (scripts/worker.ts) started while PostgreSQL is away
 * waits for it; it must not exit. It has no HTTP server, so when its only pending work was the
 * unref'd readiness retry timer, Node ended it with exit code 0 after the first "waits for the
 * database" — a fleet worker restarted during an outage vanished (the fleet proof's CI failure:
 * "api server exited with 0 during start-up"), and a supervisor that restarts only on failure
 * would leave the fleet without a worker.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { closedPort } from "./__tests__/tcp-proxy.ts";

const REPO = resolve(import.meta.dirname, "../../..");

describe("the worker process while the database is away", () => {
  let child: ChildProcess | undefined;
  let dir: string | undefined;
  afterEach(() => {
    child?.kill("SIGKILL");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("keeps waiting (retrying) instead of exiting", async () => {
    dir = mkdtempSync(join(tmpdir(), "kiosk-worker-"));
    const port = await closedPort();
    child = spawn(process.execPath, ["--import", "tsx", join(REPO, "packages/api/scripts/worker.ts")], {
      cwd: REPO,
      env: {
        ...process.env,
        NODE_ENV: "test",
        LOG_LEVEL: "info",
        DATA_DIR: dir,
        DATABASE_URL: `postgresql://kiosk:kiosk@127.0.0.1:${port}/kiosk`,
        DATABASE_CONNECT_TIMEOUT_MS: "500",
        INSTANCE_ID: "worker-outage-test",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    // Two "waits for the database" lines: it retried, so it was still there after the first.
    const outcome = await new Promise<string>((resolveOutcome) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.split("payment worker waits for the database").length - 1 >= 2) resolveOutcome("retried");
      };
      child!.stdout!.on("data", onData);
      child!.stderr!.on("data", onData);
      child!.once("exit", (code, signal) => resolveOutcome(`exited (code ${code}, signal ${signal})`));
    });
    expect(outcome, output.slice(-2_000)).toBe("retried");
    expect(child.exitCode).toBeNull();
  }, 60_000);
});
