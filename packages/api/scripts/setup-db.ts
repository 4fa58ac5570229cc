// Migrates and seeds the database for `npm start` (and the e2e suite), and keeps the
// demo's generated secrets (ticket signing keys, admin password, kiosk pairing code)
// under the data folder, never in the repository.
// usage: tsx packages/api/scripts/setup-db.ts   (DATABASE_URL, DATA_DIR, TICKET_KEYS_DIR optional)
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEMO_ATTRACTIONS, DEMO_COUNTER_ID, createDb, migrate, seed, tuneSqlite } from "@kiosk/db";
import { BRIDGE_TOKEN_KEY_FILE, loadBridgeTokenKey, provisionBridgeToken } from "../src/services/bridge-tokens.ts";

const root = resolve(import.meta.dirname, "../../..");
const dataDir = resolve(root, process.env.DATA_DIR ?? "data");
const keysDir = resolve(root, process.env.TICKET_KEYS_DIR ?? join(dataDir, "keys"));
const url = process.env.DATABASE_URL ?? `file:${join(dataDir, "kiosk.db")}`;
mkdirSync(keysDir, { recursive: true, mode: 0o700 });

const secretsPath = join(dataDir, "demo-credentials.json");
/** bridgePairingToken / counterBridgeToken: the demo kiosk's and demo counter's device bridge tokens (for the bridge's BRIDGE_PAIRING_TOKEN). */
interface DemoSecrets {
  adminEmail: string;
  adminPassword: string;
  kioskPairingCode: string;
  bridgePairingToken: string;
  counterBridgeToken: string;
}
const stored = existsSync(secretsPath) ? (JSON.parse(readFileSync(secretsPath, "utf8")) as Partial<DemoSecrets>) : {};
const secrets: Omit<DemoSecrets, "bridgePairingToken" | "counterBridgeToken"> = {
  adminEmail: stored.adminEmail ?? "admin@example.com",
  adminPassword: stored.adminPassword ?? randomBytes(9).toString("base64url"),
  kioskPairingCode: stored.kioskPairingCode ?? randomBytes(4).toString("hex").toUpperCase(),
};
writeFileSync(secretsPath, JSON.stringify({ ...stored, ...secrets }, null, 2) + "\n", { mode: 0o600 });
// The server's bridge-token key (the kiosk server reads the same file from TICKET_KEYS_DIR).
const bridgeTokenKey = loadBridgeTokenKey(join(keysDir, BRIDGE_TOKEN_KEY_FILE));

const handle = createDb({ url, baseDir: root });
try {
  await tuneSqlite(handle);
  const ran = await migrate(handle);
  const ticketKeys: Record<string, string> = {};
  // Keys are written before the seed stores their public halves, so a crash in
  // between can never leave an attraction whose private key is lost.
  for (const { id } of DEMO_ATTRACTIONS) {
    const p = join(keysDir, `${id}.pem`);
    if (!existsSync(p)) {
      const pem = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
      writeFileSync(p, pem, { mode: 0o600 });
    }
    ticketKeys[id] = readFileSync(p, "utf8");
  }
  const result = await seed(handle.db, {
    now: new Date(),
    adminEmail: secrets.adminEmail,
    adminPassword: secrets.adminPassword,
    kioskPairingCode: secrets.kioskPairingCode,
    ticketKeys,
  });
  // The demo devices' bridge tokens, for the demo bridge's configuration (scripts/start.mjs): as an operator would copy them from the console.
  const now = new Date();
  const demoTokens = {
    bridgePairingToken: await provisionBridgeToken(handle.db, bridgeTokenKey, "kiosk", result.kioskId, now),
    counterBridgeToken: await provisionBridgeToken(handle.db, bridgeTokenKey, "counter", DEMO_COUNTER_ID, now),
  };
  writeFileSync(secretsPath, JSON.stringify({ ...secrets, ...demoTokens }, null, 2) + "\n", { mode: 0o600 });
  process.stdout.write(
    JSON.stringify({
      database: handle.target,
      migrationsApplied: ran,
      slotsCreated: result.slotsCreated,
      kioskId: result.kioskId,
      secretsFile: secretsPath,
    }) + "\n",
  );
} finally {
  await handle.close();
}
