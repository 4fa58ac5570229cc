/**
 * The fleet proof's own PostgreSQL cluster: initdb into a temporary folder and pg_ctl on a free
 * loopback port, through scripts/pg-cluster.sh (which finds the server binaries and runs them as
 * `postgres` when we are root). Never the shared test cluster: the proof stops and starts its own.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../server-process.ts";

const run = promisify(execFile);

export interface OwnCluster {
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and deletes its folder. */
  destroy(): Promise<void>;
}

/** True when PostgreSQL's server binaries are installed where scripts/pg-cluster.sh looks. */
export function hasPostgresBinaries(): boolean {
  return existsSync("/usr/lib/postgresql");
}

export async function startOwnCluster(repoRoot: string): Promise<OwnCluster> {
  const script = join(repoRoot, "scripts/pg-cluster.sh");
  const dir = mkdtempSync(join(tmpdir(), "kiosk-fleet-pg-"));
  const port = await freePort();
  const start = async () => {
    await run("bash", [script, "start", dir, String(port)], { timeout: 60_000 });
  };
  const stop = async () => {
    await run("bash", [script, "stop", dir, String(port)], { timeout: 60_000 });
  };
  await start();
  return {
    url: `postgresql://kiosk:kiosk@127.0.0.1:${port}/postgres`,
    port,
    dir,
    start,
    stop,
    destroy: async () => {
      await stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
