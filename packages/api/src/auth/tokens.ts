import { randomBytes, timingSafeEqual } from "node:crypto";
import { hashToken, newToken } from "@kiosk/db";

/**
 * Bearer secrets are self-describing by prefix, so one `Authorization` header can
 * carry any of them and the context knows which kind it is:
 *   kst_…            staff session token (also sent as the `kiosk_session` cookie)
 *   kdc_…            kiosk device credential (issued once at pairing)
 *   kak_<p>_<s>      booking-system API key (p: 8 hex chars, looked up; s: secret)
 * All are stored as SHA-256 hashes only.
 */
export const SESSION_TOKEN_PREFIX = "kst";
export const KIOSK_CREDENTIAL_PREFIX = "kdc";
export const API_KEY_PREFIX = "kak";
export const SESSION_COOKIE = "kiosk_session";
/** A browser's random id, set at a successful staff sign-in; its hash is a StaffDevice row (a "known device"). */
export const DEVICE_COOKIE = "kiosk_device";
export const DEVICE_TOKEN_PREFIX = "kdv";

export type BearerKind = "session" | "kiosk" | "api_key";

export function bearerKind(token: string): BearerKind | null {
  if (token.startsWith(`${SESSION_TOKEN_PREFIX}_`)) return "session";
  if (token.startsWith(`${KIOSK_CREDENTIAL_PREFIX}_`)) return "kiosk";
  if (token.startsWith(`${API_KEY_PREFIX}_`)) return "api_key";
  return null;
}

export function newSessionToken(): string {
  return newToken(SESSION_TOKEN_PREFIX, 32);
}

export function newDeviceToken(): string {
  return newToken(DEVICE_TOKEN_PREFIX, 32);
}

export function newKioskCredential(): string {
  return newToken(KIOSK_CREDENTIAL_PREFIX, 32);
}

export function newApiKey(): { key: string; prefix: string } {
  const prefix = randomBytes(4).toString("hex");
  return { key: `${API_KEY_PREFIX}_${prefix}_${randomBytes(32).toString("base64url")}`, prefix };
}

/** The lookup prefix of an API key, or null when it is not shaped like one. */
export function apiKeyPrefix(key: string): string | null {
  const m = /^kak_([0-9a-f]{8})_[A-Za-z0-9_-]{20,}$/.exec(key);
  return m ? m[1]! : null;
}

const PAIRING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/** An 8-character pairing code without look-alike characters, shown as XXXX-XXXX. */
export function newPairingCode(): string {
  const bytes = randomBytes(8);
  let code = "";
  for (const b of bytes) code += PAIRING_ALPHABET[b % PAIRING_ALPHABET.length];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** Pairing codes are compared without dashes, spaces or case. */
export function normalizePairingCode(code: string): string {
  return code.replace(/[\s-]/g, "").toUpperCase();
}

export function hashPairingCode(code: string): string {
  return hashToken(normalizePairingCode(code));
}

export function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
