/** A bridge with virtual devices on port 0 in a temporary data folder, for tests. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBridge, type Bridge } from "../src/app.ts";
import { parseEnv } from "../src/env.ts";
import { silentLogger } from "../src/util/logger.ts";
import { ManualPoller } from "../src/util/timers.ts";

export interface TestBridge {
  bridge: Bridge;
  /** The bridge's data folder (print job journal under `jobs/`). */
  dir: string;
  /** ws:// URL of the bridge's WebSocket server. */
  url: string;
  stop(): Promise<void>;
}

export async function startTestBridge(options: { origin: string; token: string }): Promise<TestBridge> {
  const dir = await mkdtemp(join(tmpdir(), "bridge-test-"));
  const env = parseEnv({
    BRIDGE_PORT: "0",
    BRIDGE_VIRTUAL_PRINTER_PORT: "0",
    BRIDGE_VIRTUAL_CONTROL_PORT: "0",
    BRIDGE_ALLOWED_ORIGINS: options.origin,
    BRIDGE_PAIRING_TOKEN: options.token,
    BRIDGE_DATA_DIR: dir,
  });
  const bridge = await buildBridge(env, { logger: silentLogger, poller: new ManualPoller(), shouldRenderPng: false });
  await bridge.start();
  return {
    bridge,
    dir,
    url: `ws://127.0.0.1:${bridge.wsPort}`,
    stop: async () => {
      await bridge.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
