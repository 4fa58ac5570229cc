/**
 * Compact signed ticket codes, verifiable offline by a gate holding the attraction's public
 * key: `T1.<base64url JSON payload>.<base64url Ed25519 signature over "T1.<payload>">`.
 * Pure: no database, no clock (the caller passes `now`).
 */
import { createPublicKey, sign, verify, type KeyObject } from "node:crypto";

export const TICKET_CODE_VERSION = "T1";

export interface TicketPayload {
  /** Ticket id. */
  i: string;
  /** Attraction id. */
  a: string;
  /** Key id (Attraction.ticketKeyId), so keys can rotate. */
  k: string;
  /** Ticket type code. */
  t: string;
  /** Valid from / until, epoch seconds (the slot or the day). */
  f: number;
  u: number;
}

export type TicketVerification =
  | { ok: true; payload: TicketPayload }
  | {
      ok: false;
      reason: "malformed" | "bad_signature" | "unknown_key" | "not_yet_valid" | "expired";
      payload?: TicketPayload;
    };

export function signTicketCode(payload: TicketPayload, privateKey: KeyObject): string {
  const body = `${TICKET_CODE_VERSION}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  return `${body}.${sign(null, Buffer.from(body), privateKey).toString("base64url")}`;
}

function parsePayload(text: string): TicketPayload | undefined {
  try {
    const p = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as Partial<TicketPayload>;
    if (
      typeof p.i === "string" &&
      typeof p.a === "string" &&
      typeof p.k === "string" &&
      typeof p.t === "string" &&
      typeof p.f === "number" &&
      typeof p.u === "number"
    ) {
      return p as TicketPayload;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * Checks a code against public keys by key id (SPKI PEM or KeyObject). With `now`
 * (epoch ms) it also checks the validity window; a day's slack on both ends is the gate's call.
 */
export function verifyTicketCode(
  code: string,
  publicKeys: Readonly<Record<string, string | KeyObject>>,
  now?: number,
): TicketVerification {
  const parts = code.trim().split(".");
  if (parts.length !== 3 || parts[0] !== TICKET_CODE_VERSION) return { ok: false, reason: "malformed" };
  const payload = parsePayload(parts[1] as string);
  if (!payload) return { ok: false, reason: "malformed" };
  const key = publicKeys[payload.k];
  if (key === undefined) return { ok: false, reason: "unknown_key", payload };
  const keyObject = typeof key === "string" ? createPublicKey(key) : key;
  let isValid = false;
  try {
    isValid = verify(
      null,
      Buffer.from(`${parts[0]}.${parts[1]}`),
      keyObject,
      Buffer.from(parts[2] as string, "base64url"),
    );
  } catch {
    isValid = false;
  }
  if (!isValid) return { ok: false, reason: "bad_signature" };
  if (now !== undefined) {
    if (now < payload.f * 1000) return { ok: false, reason: "not_yet_valid", payload };
    if (now >= payload.u * 1000) return { ok: false, reason: "expired", payload };
  }
  return { ok: true, payload };
}
