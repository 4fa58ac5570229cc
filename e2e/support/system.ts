import { readFileSync } from "node:fs";
import { join } from "node:path";

const ports = { kiosk: 3310, sandbox: 4310, bridge: 7978, bridgeControl: 7979, virtualPrinter: 9310 } as const;

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
  bridgePairingToken: string;
}

export function demoCredentials(): DemoCredentials {
  return JSON.parse(readFileSync(join(E2E.dataDir, "demo-credentials.json"), "utf8")) as DemoCredentials;
}
