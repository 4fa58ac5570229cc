// Migrates and seeds the database for `npm start` (and the e2e suite), and keeps the
// demo's generated secrets (ticket signing keys, admin password, kiosk pairing code)
// under the data folder, never in the repository.
// usage: tsx apps/kiosk/scripts/setup-db.ts   (DATABASE_URL, DATA_DIR, TICKET_KEYS_DIR optional)
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEMO_ATTRACTIONS, createDb, migrate, seed, tuneSqlite } from "@kiosk/db";

const root = resolve(import.meta.dirname, "../../..");
const dataDir = resolve(root, process.env.DATA_DIR ?? "data");
const keysDir = resolve(root, process.env.TICKET_KEYS_DIR ?? join(dataDir, "keys"));
const url = process.env.DATABASE_URL ?? `file:${join(dataDir, "kiosk.db")}`;
mkdirSync(keysDir, { recursive: true, mode: 0o700 });

const secretsPath = join(dataDir, "demo-credentials.json");
interface DemoSecrets { adminEmail: string; adminPassword: string; kioskPairingCode: string; bridgePairingToken: string }
const stored = existsSync(secretsPath) ? (JSON.parse(readFileSync(secretsPath, "utf8")) as Partial<DemoSecrets>) : {};
const secrets: DemoSecrets = {
  adminEmail: stored.adminEmail ?? "admin@example.com",
  adminPassword: stored.adminPassword ?? randomBytes(9).toString("base64url"),
  kioskPairingCode: stored.kioskPairingCode ?? randomBytes(4).toString("hex").toUpperCase(),
  bridgePairingToken: stored.bridgePairingToken ?? randomBytes(18).toString("base64url"),
};
writeFileSync(secretsPath, JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600 });

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
  process.stdout.write(
    JSON.stringify({ database: handle.target, migrationsApplied: ran, slotsCreated: result.slotsCreated, kioskId: result.kioskId, secretsFile: secretsPath }) + "\n",
  );
} finally {
  await handle.close();
}
