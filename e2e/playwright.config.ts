import { join } from "node:path";
import { defineConfig } from "@playwright/test";
import { E2E } from "./support/system.ts";

// The suite runs the whole system the way `npm start` does (scripts/start.mjs), on
// its own ports and data folder, so it never collides with a developer's `npm start`.
export default defineConfig({
  testDir: "tests",
  testMatch: "**/*.e2e.ts",
  outputDir: "artifacts/test-output",
  fullyParallel: false,
  workers: 1,
  // One retry on CI only: a browser suite on a loaded 2-core runner can lose a real-clock race; a retried pass is reported as flaky, a repeat failure still fails.
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  reporter: [["list"], ["json", { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ?? "artifacts/results.json" }]],
  use: {
    baseURL: E2E.kioskUrl,
    browserName: "chromium",
    screenshot: "on",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
      ],
    },
  },
  webServer: {
    command: "node ../scripts/start.mjs",
    url: `${E2E.kioskUrl}/kiosk`,
    reuseExistingServer: false,
    timeout: 300_000,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
    env: {
      KIOSK_PORT: String(E2E.ports.kiosk),
      SANDBOX_PORT: String(E2E.ports.sandbox),
      BRIDGE_PORT: String(E2E.ports.bridge),
      BRIDGE_CONTROL_PORT: String(E2E.ports.bridgeControl),
      BRIDGE_VIRTUAL_PRINTER_PORT: String(E2E.ports.virtualPrinter),
      DATA_DIR: join(import.meta.dirname, "artifacts/data"),
      // The specs play the trusted proxy: each names its own client address in X-Forwarded-For
      // (staff-support.ts testIp), which the server believes only from TRUSTED_PROXIES.
      TRUSTED_PROXIES: "127.0.0.1/32, ::1/128",
    },
  },
});
