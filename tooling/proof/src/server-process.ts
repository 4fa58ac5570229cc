/**
 * A kiosk API server (or payment worker) as a child process, for drills and load tests: `start()`
 * spawns packages/api/scripts/api-server.ts (or `entry`, e.g. scripts/worker.ts) with the given
 * environment and resolves once /readyz answers 200 (without `url`: once the output shows
 * `readyLine`); `kill()` sends SIGKILL (counted) or SIGTERM and waits for the exit. Output goes to `log`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { WriteStream } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A port free on 127.0.0.1 right now (the server keeps the same port across restarts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The server process (scripts/api-server.ts): spawned with tsx, waited for until /readyz answers 200, SIGKILLed and restarted. */
export class ServerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  kills = 0;
  starts = 0;

  constructor(
    private readonly opts: {
      repoRoot: string;
      env: Record<string, string | undefined>;
      /** Ready when `${url}/readyz` answers 200. */
      url?: string;
      /** Without `url`: ready once a line of output contains this. */
      readyLine?: string;
      log: WriteStream;
      /** @default "packages/api/scripts/api-server.ts" */
      entry?: string;
    },
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const entry = join(this.opts.repoRoot, this.opts.entry ?? "packages/api/scripts/api-server.ts");
    const child = spawn(process.execPath, ["--import", "tsx", entry], {
      cwd: this.opts.repoRoot,
      env: this.opts.env as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.starts += 1;
    child.stdout?.pipe(this.opts.log, { end: false });
    child.stderr?.pipe(this.opts.log, { end: false });
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    let output = "";
    const readyLine = this.opts.readyLine;
    if (readyLine)
      child.stdout?.on("data", (chunk: Buffer) => {
        if (!output.includes(readyLine)) output = (output + chunk.toString()).slice(-4_096);
      });
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(
          `api server exited with ${child.exitCode} during start-up (log: ${this.opts.log.path as string})`,
        );
      const ok = this.opts.url
        ? await fetch(`${this.opts.url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
            (r) => r.ok,
            () => false,
          )
        : output.includes(readyLine ?? "\u0000");
      if (ok) return;
      await sleep(100);
    }
    throw new Error(`${this.opts.entry ?? "api server"} not ready after 90 s`);
  }

  async kill(signal: "SIGKILL" | "SIGTERM" = "SIGKILL"): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    child.kill(signal);
    if (signal === "SIGKILL") this.kills += 1;
    await this.exited;
  }

  isUp(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
}
