import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

// scrypt for human passwords (slow on purpose); SHA-256 for long random tokens
// (API keys, device credentials, session tokens) where brute force is hopeless anyway.

export interface ScryptParams {
  /** CPU/memory cost (a power of two). */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelisation. */
  p: number;
}

/**
 * OWASP Password Storage Cheat Sheet minimum for scrypt: N=2^17, r=8, p=1 (128 MiB, about
 * 0.2–0.5 s per hash on one core). Stored with each hash, so older hashes still verify and
 * are rehashed on the next successful login (see `needsRehash`).
 */
export const PASSWORD_HASH_PARAMS: Readonly<ScryptParams> = { N: 2 ** 17, r: 8, p: 1 };
const KEY_LEN = 32;

function scryptAsync(password: string, salt: Buffer, keyLen: number, params: ScryptParams): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node refuses above `maxmem` (32 MiB by default).
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    maxmem: 256 * params.N * params.r + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLen, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** `scrypt$N$r$p$salt$hash` (base64url). Runs on libuv's thread pool, not the event loop. */
export async function hashPassword(password: string, params: ScryptParams = PASSWORD_HASH_PARAMS): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, KEY_LEN, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString("base64url")}$${hash.toString("base64url")}`;
}

function parseHash(stored: string): { params: ScryptParams; salt: Buffer; hash: Buffer } | null {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return null;
  const [, n, r, p, saltText, hashText] = parts as [string, string, string, string, string, string];
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (![params.N, params.r, params.p].every((v) => Number.isSafeInteger(v) && v > 0)) return null;
  return { params, salt: Buffer.from(saltText, "base64url"), hash: Buffer.from(hashText, "base64url") };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed || parsed.hash.length === 0) return false;
  const actual = await scryptAsync(password, parsed.salt, parsed.hash.length, parsed.params);
  return actual.length === parsed.hash.length && timingSafeEqual(actual, parsed.hash);
}

/** True when `stored` was made with other parameters than `params` (rehash it after a successful login). */
export function needsRehash(stored: string, params: ScryptParams = PASSWORD_HASH_PARAMS): boolean {
  const parsed = parseHash(stored);
  return (
    !parsed ||
    parsed.params.N !== params.N ||
    parsed.params.r !== params.r ||
    parsed.params.p !== params.p ||
    parsed.hash.length !== KEY_LEN
  );
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A random token with a readable prefix, e.g. `kst_…` (session) or `kak_…` (API key). */
export function newToken(prefix: string, bytes = 24): string {
  return `${prefix}_${randomBytes(bytes).toString("base64url")}`;
}
