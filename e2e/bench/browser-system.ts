/**
 * The whole system for the browser benchmarks (page weight and LCP, the page soak): started
 * the way `npm start` does (scripts/start.mjs) on its own ports and data folder, the demo kiosk
 * paired, and Chromium driven through Playwright.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "@playwright/test";

export const ROOT = join(import.meta.dirname, "../..");

export interface BenchSystem {
  kioskUrl: string;
  bridgeUrl: string;
  bridgeControlUrl: string;
  sandboxUrl: string;
  bridgeToken: string;
  credential: string;
  dataDir: string;
  stop: () => Promise<void>;
}

async function waitFor(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the system exited (${child.exitCode}) before ${url} answered`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (r.status < 500) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** Starts sandbox, bridge (virtual devices) and kiosk server; pairs the demo kiosk. `offset` moves the ports. */
export async function startSystem(offset = 0): Promise<BenchSystem> {
  const ports = {
    kiosk: 3610 + offset,
    sandbox: 4610 + offset,
    bridge: 8278 + offset,
    bridgeControl: 8279 + offset,
    virtualPrinter: 9610 + offset,
  };
  const dataDir = mkdtempSync(join(tmpdir(), "kiosk-bench-"));
  const child = spawn(process.execPath, [join(ROOT, "scripts/start.mjs")], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      KIOSK_PORT: String(ports.kiosk),
      SANDBOX_PORT: String(ports.sandbox),
      BRIDGE_PORT: String(ports.bridge),
      BRIDGE_CONTROL_PORT: String(ports.bridgeControl),
      BRIDGE_VIRTUAL_PRINTER_PORT: String(ports.virtualPrinter),
      DATA_DIR: dataDir,
    },
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const kioskUrl = `http://127.0.0.1:${ports.kiosk}`;
    const bridgeControlUrl = `http://127.0.0.1:${ports.bridgeControl}`;
    await waitFor(`${kioskUrl}/readyz`, child, 300_000);
    await waitFor(`${bridgeControlUrl}/virtual/printer/jobs`, child, 60_000);
    const demo = JSON.parse(readFileSync(join(dataDir, "demo-credentials.json"), "utf8")) as {
      kioskPairingCode: string;
      bridgePairingToken: string;
    };
    const r = await fetch(`${kioskUrl}/api/trpc/auth.pairKiosk`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ json: { code: demo.kioskPairingCode } }),
    });
    const body = (await r.json()) as {
      result?: { data?: { json?: { credential: string } } };
    };
    const credential = body.result?.data?.json?.credential;
    if (!credential) throw new Error(`pairing the demo kiosk failed: HTTP ${r.status}`);
    return {
      kioskUrl,
      bridgeUrl: `ws://127.0.0.1:${ports.bridge}`,
      bridgeControlUrl,
      sandboxUrl: `http://127.0.0.1:${ports.sandbox}`,
      bridgeToken: demo.bridgePairingToken,
      credential,
      dataDir,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Chromium (CHROMIUM_PATH or /usr/bin/chromium), through the e2e package's Playwright. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--js-flags=--expose-gc",
    ],
  });
}

/** The kiosk page's URL with the bridge settings and short timers a bench wants. */
export function kioskPageUrl(sys: BenchSystem, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({
    bridge: sys.bridgeUrl,
    bridgeToken: sys.bridgeToken,
    ...extra,
  });
  return `${sys.kioskUrl}/kiosk?${q.toString()}`;
}

export const CREDENTIAL_KEY = "kiosk.deviceCredential";
