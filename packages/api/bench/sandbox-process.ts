/**
 * The sandbox gateway in its own process, for the purchases bench: in production Alipay is
 * another machine, so its RSA2 signing and HTTP handling should not share the server's event
 * loop (or count in its CPU time). Run directly it starts the sandbox and prints its gateway
 * URL as one JSON line; `startSandboxProcess()` spawns it and waits for that line.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../../..");

export async function startSandboxProcess(): Promise<{ gatewayUrl: string; close(): Promise<void> }> {
  const child = spawn(resolve(ROOT, "node_modules/.bin/tsx"), [fileURLToPath(import.meta.url)], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, SANDBOX_PROCESS: "1" },
  });
  const lines = createInterface({ input: child.stdout });
  const gatewayUrl = await new Promise<string>((resolveUrl, reject) => {
    child.once("exit", (code) => reject(new Error(`sandbox process exited (${code}) before it listened`)));
    lines.once("line", (line) => resolveUrl((JSON.parse(line) as { gatewayUrl: string }).gatewayUrl));
  });
  return {
    gatewayUrl,
    close: () =>
      new Promise<void>((done) => {
        child.once("exit", () => done());
        child.stdin.end(); // the child closes when its stdin does
      }),
  };
}

if (process.env.SANDBOX_PROCESS === "1" && process.argv[1] === fileURLToPath(import.meta.url)) {
  // Idle keep-alive sockets stay open longer than a loaded machine's pauses, so a request never
  // goes out on a socket the server is just closing (UND_ERR_SOCKET on a POST, not retried).
  const http = await import("node:http");
  const listen = http.Server.prototype.listen;
  http.Server.prototype.listen = function (this: import("node:http").Server, ...args: unknown[]) {
    this.keepAliveTimeout = 120_000;
    return (listen as (...a: unknown[]) => import("node:http").Server).apply(this, args);
  } as typeof listen;
  const { startSandbox } = await import("@kiosk/alipay-sandbox");
  const sandbox = await startSandbox({ port: 0, tickIntervalMs: 0 });
  process.stdout.write(`${JSON.stringify({ gatewayUrl: sandbox.gatewayUrl })}\n`);
  process.stdin.resume();
  process.stdin.once("end", () => void sandbox.close().then(() => process.exit(0)));
}
