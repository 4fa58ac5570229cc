/**
 * Device bridge tokens: the secret a kiosk or counter page presents to the bridge daemon on
 * its own PC (apps/bridge, `auth` message). Each device has its own token, issued when it is
 * paired (kiosks) or by an admin (counters, and rotation for both).
 *
 * The token is derived: `kbt_` + HMAC-SHA256(server bridge-token key, kind/id/nonce). The
 * database holds only the random nonce and the token's SHA-256 (its fingerprint), so a copy
 * of the database alone yields no token; the server re-derives it for the device's own page
 * after that page authenticated (kiosk credential, or a cashier with an open shift at the
 * counter). It is never put in page HTML or a URL. docs/security.md has the whole design.
 */
import { createHmac, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { hashToken, type Db } from "@kiosk/db";
import type { Clock } from "../clock.ts";
import { KioskError } from "../errors.ts";
import type { AuditService, ActorRef } from "./audit-service.ts";

export const BRIDGE_TOKEN_PREFIX = "kbt";
/** The key file's name in the ticket keys folder (TICKET_KEYS_DIR). */
export const BRIDGE_TOKEN_KEY_FILE = "bridge-token.key";
export type BridgeDeviceKind = "kiosk" | "counter";

export function deriveBridgeToken(key: Buffer, kind: BridgeDeviceKind, id: string, nonce: string): string {
  const mac = createHmac("sha256", key).update(`kiosk-bridge-token/v1\n${kind}\n${id}\n${nonce}`).digest("base64url");
  return `${BRIDGE_TOKEN_PREFIX}_${mac}`;
}

/** A short public fingerprint of a token (first 12 hex characters of its SHA-256), safe to show and log. */
export function bridgeTokenFingerprint(token: string): string {
  return hashToken(token).slice(0, 12);
}

/**
 * Reads the server's bridge-token key (32 random bytes, base64url) from `path`, creating it
 * (mode 0600) when it does not exist yet. Replacing the file invalidates every device token.
 */
export function loadBridgeTokenKey(path: string): Buffer {
  if (!existsSync(path)) {
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileSync(path, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
      chmodSync(path, 0o600);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "error";
      throw new Error(
        `${path}: no bridge-token key, and it cannot be created here (${code}); create it with: head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' > ${path}`,
      );
    }
  }
  const key = Buffer.from(readFileSync(path, "utf8").trim(), "base64url");
  if (key.length < 32) throw new Error(`${path}: the bridge-token key must hold at least 32 random bytes (base64url)`);
  return key;
}

/**
 * The device's token, issuing one when it has none (or the key changed): for the demo set-up
 * (scripts/setup-db.ts), which writes it into the bridge's configuration. No audit entry.
 */
export async function provisionBridgeToken(
  db: Db,
  key: Buffer,
  kind: BridgeDeviceKind,
  id: string,
  now: Date,
): Promise<string> {
  const service = new BridgeTokenService({ db, key, clock: { now: () => now }, audit: null });
  return service.ensure(kind, id, { type: "system", id: null });
}

interface DeviceRow {
  bridgeTokenNonce: string | null;
  bridgeTokenHash: string | null;
}

export interface IssuedBridgeToken {
  token: string;
  fingerprint: string;
  issuedAt: Date;
}

export class BridgeTokenService {
  constructor(private readonly o: { db: Db; clock: Pick<Clock, "now">; audit: AuditService | null; key: Buffer }) {}

  async #row(kind: BridgeDeviceKind, id: string): Promise<DeviceRow | null> {
    const select = { bridgeTokenNonce: true, bridgeTokenHash: true } as const;
    return kind === "kiosk"
      ? this.o.db.kiosk.findUnique({ where: { id }, select })
      : this.o.db.counter.findUnique({ where: { id }, select });
  }

  /** The device's current token, or null when none was issued (or the key changed since: rotate then). */
  async tokenFor(kind: BridgeDeviceKind, id: string): Promise<string | null> {
    const row = await this.#row(kind, id);
    if (!row?.bridgeTokenNonce || !row.bridgeTokenHash) return null;
    const token = deriveBridgeToken(this.o.key, kind, id, row.bridgeTokenNonce);
    return hashToken(token) === row.bridgeTokenHash ? token : null;
  }

  /** Issues a new token for the device (the old one stops working at the bridge once its config holds the new one). */
  async issue(kind: BridgeDeviceKind, id: string, actor: ActorRef): Promise<IssuedBridgeToken> {
    const nonce = randomBytes(16).toString("base64url");
    const token = deriveBridgeToken(this.o.key, kind, id, nonce);
    const issuedAt = this.o.clock.now();
    const data = { bridgeTokenNonce: nonce, bridgeTokenHash: hashToken(token), bridgeTokenIssuedAt: issuedAt };
    const updated =
      kind === "kiosk"
        ? await this.o.db.kiosk.updateMany({ where: { id }, data })
        : await this.o.db.counter.updateMany({ where: { id }, data });
    if (updated.count === 0)
      throw new KioskError("NOT_FOUND", `${kind === "kiosk" ? "Kiosk" : "Counter"} ${id} is not registered.`);
    const fingerprint = bridgeTokenFingerprint(token);
    await this.o.audit?.record({
      actor,
      action: `${kind}.bridge_token_issued`,
      target: { type: kind, id },
      details: { fingerprint },
    });
    return { token, fingerprint, issuedAt };
  }

  /** The device's token, issuing one first when it has none (a kiosk at pairing). */
  async ensure(kind: BridgeDeviceKind, id: string, actor: ActorRef): Promise<string> {
    return (await this.tokenFor(kind, id)) ?? (await this.issue(kind, id, actor)).token;
  }
}
