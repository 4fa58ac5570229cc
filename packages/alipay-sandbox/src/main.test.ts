import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const mainPath = fileURLToPath(new URL("./main.ts", import.meta.url));
const tsxLoader = createRequire(import.meta.url).resolve("tsx");

describe("main.ts (the process)", () => {
  it("starts from the environment, logs JSON lines, serves /healthz and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", tsxLoader, mainPath], {
      env: {
        PATH: process.env["PATH"],
        SANDBOX_PORT: "0",
        SANDBOX_HOST: "127.0.0.1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    let buffer = "";
    const started = new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        buffer += chunk.toString("utf8");
        const parts = buffer.split("\n");
        buffer = parts.pop() ?? "";
        for (const line of parts) {
          lines.push(line);
          const entry = JSON.parse(line) as {
            message: string;
            gateway?: string;
          };
          if (entry.message === "alipay sandbox started" && entry.gateway !== undefined) resolve(entry.gateway);
        }
      });
      child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
    });
    const gateway = await started;
    const health = await fetch(gateway.replace("/gateway.do", "/healthz"));
    expect(health.status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(lines.some((l) => (JSON.parse(l) as { message: string }).message === "stopped")).toBe(true);
  });

  it("refuses a bad variable with a message naming it and exit code 1", async () => {
    const child = spawn(process.execPath, ["--import", tsxLoader, mainPath], {
      env: { PATH: process.env["PATH"], SANDBOX_PORT: "seventy" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(1);
    expect(stderr).toContain("SANDBOX_PORT");
  });
});
