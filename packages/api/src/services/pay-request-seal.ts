/**
 * The first pay request of a payment, kept so that a pay resent after SYSTEM_ERROR is the same
 * request, byte for byte (issue 14), also from another process after a crash. The signed
 * request carries the unmasked payment code, so it is written only sealed: AES-256-GCM under
 * a server key (never in the database), bound to the payment id, with the time after which
 * it must no longer be sent. Anything that does not open (other key, edited text, another
 * payment's row) is treated as absent: the payment is then only queried, never re-paid.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { SignedPayRequest } from "@kiosk/alipay-core";

export interface HeldPayRequest {
  signed: SignedPayRequest;
  /** Epoch ms; not sent at or after this (`payCodeHoldMs` after the start, at most the deadline). */
  until: number;
}

const VERSION = "v1";
export const PAY_REQUEST_KEY_BYTES = 32;

export function assertPayRequestKey(key: Uint8Array): void {
  if (key.length !== PAY_REQUEST_KEY_BYTES)
    throw new RangeError(`The pay request key must be ${PAY_REQUEST_KEY_BYTES} bytes, got ${key.length}`);
}

export function sealPayRequest(key: Uint8Array, paymentId: string, held: HeldPayRequest): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(paymentId, "utf8"));
  const data = Buffer.concat([cipher.update(JSON.stringify(held), "utf8"), cipher.final()]);
  return [
    VERSION,
    iv.toString("base64url"),
    cipher.getAuthTag().toString("base64url"),
    data.toString("base64url"),
  ].join(".");
}

export function openPayRequest(key: Uint8Array, paymentId: string, text: string): HeldPayRequest | null {
  const [version, iv, tag, data, ...rest] = text.split(".");
  if (version !== VERSION || !iv || !tag || !data || rest.length > 0) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(paymentId, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    const plain = Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
    const held = JSON.parse(plain) as HeldPayRequest;
    return typeof held.until === "number" && typeof held.signed?.http?.url === "string" ? held : null;
  } catch {
    return null;
  }
}

/**
 * The key from `path` (base64 of 32 bytes), created with mode 0600 on first use. Every server
 * instance of a fleet must see the same file (like the ticket keys next to it); an instance
 * with another key cannot open a stored request and then only queries that payment.
 * `null` when the file is missing and cannot be created (a read-only secrets mount): the
 * caller then holds pay requests in memory only.
 */
export function loadOrCreatePayRequestKey(path: string): Buffer | null {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, `${randomBytes(PAY_REQUEST_KEY_BYTES).toString("base64")}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EROFS" || code === "EACCES" || code === "EPERM") {
      if (!existsSync(path)) return null;
    } else if (code !== "EEXIST") {
      throw error;
    }
  }
  const key = Buffer.from(readFileSync(path, "utf8").trim(), "base64");
  if (key.length !== PAY_REQUEST_KEY_BYTES)
    throw new Error(`${path} does not hold a ${PAY_REQUEST_KEY_BYTES}-byte base64 key`);
  return key;
}
