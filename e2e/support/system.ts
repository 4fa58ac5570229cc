import { readFileSync } from "node:fs";
import { join } from "node:path";

// E2E_PORT_OFFSET moves every port, so two suites (say, CI and a developer's run) can share a machine.
const offset = Number(process.env.E2E_PORT_OFFSET ?? 0);
const ports = {
  kiosk: 3310 + offset,
  sandbox: 4310 + offset,
  bridge: 7978 + offset,
  bridgeControl: 7979 + offset,
  virtualPrinter: 9310 + offset,
} as const;

export const E2E = {
  ports,
  kioskUrl: `http://127.0.0.1:${ports.kiosk}`,
  sandboxUrl: `http://127.0.0.1:${ports.sandbox}`,
  bridgeControlUrl: `http://127.0.0.1:${ports.bridgeControl}`,
  dataDir: join(import.meta.dirname, "../artifacts/data"),
};

export interface DemoCredentials {
  adminEmail: string;
  adminPassword: string;
  kioskPairingCode: string;
  /** The demo kiosk's and demo counter's device bridge tokens (the demo bridge's BRIDGE_PAIRING_TOKEN). */
  bridgePairingToken: string;
  counterBridgeToken: string;
}

export function demoCredentials(): DemoCredentials {
  return JSON.parse(readFileSync(join(E2E.dataDir, "demo-credentials.json"), "utf8")) as DemoCredentials;
}
