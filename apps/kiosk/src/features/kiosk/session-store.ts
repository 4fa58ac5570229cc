/**
 * What the page keeps across a reload, in localStorage: a pointer to the payment it was
 * following (the server holds the payment itself) and the kiosk's local settings.
 */
import { isLocale, type Locale } from "../../lib/i18n/locales.ts";

export interface ResumePointer {
  orderId: string;
  paymentId: string;
  locale: Locale;
  isCancelledByVisitor: boolean;
}

const RESUME_KEY = "kiosk.resume";
/** Where older builds remembered a `?bridge=…&bridgeToken=…` override; cleared on every load. */
const LEGACY_BRIDGE_KEY = "kiosk.bridge";

function read(key: string): unknown {
  try {
    const raw = window.localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as unknown) : null;
  } catch {
    return null;
  }
}

function write(key: string, value: unknown): void {
  try {
    if (value === null) window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: resuming after a reload is best effort; the server still finishes the payment.
  }
}

export function loadResume(): ResumePointer | null {
  const v = read(RESUME_KEY) as Partial<ResumePointer> | null;
  if (!v || typeof v.orderId !== "string" || typeof v.paymentId !== "string") return null;
  return {
    orderId: v.orderId,
    paymentId: v.paymentId,
    locale: isLocale(v.locale) ? v.locale : "en",
    isCancelledByVisitor: v.isCancelledByVisitor === true,
  };
}

export function saveResume(pointer: ResumePointer | null): void {
  write(RESUME_KEY, pointer);
}

export interface KioskConfig {
  bridgeUrl: string;
  idleMs: number;
  idleCountdownMs: number;
  doneMs: number;
  heartbeatMs: number;
  pairingCode: string | null;
}

function positiveInt(value: string | null, fallback: number): number {
  const n = value === null ? NaN : Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** A `ws://` URL on this machine's loopback interface, or null. */
export function loopbackBridgeUrl(value: string | null): string | null {
  if (!value) return null;
  try {
    const u = new URL(value);
    const isLoopback = u.hostname === "127.0.0.1" || u.hostname === "localhost" || u.hostname === "[::1]";
    return u.protocol === "ws:" && isLoopback && u.username === "" && u.password === "" ? u.toString() : null;
  } catch {
    return null;
  }
}

/**
 * The page's settings: the server's BRIDGE_URL; `?pair=CODE` (provisioning); timing
 * overrides for tests and tuning. `?bridge=` may move the device channel to another port on
 * this machine's loopback for this page load only (tests, a second bridge): it is never
 * stored, and any other host is ignored, so a crafted link cannot point the page (and its
 * bridge token) at someone else's server. The bridge token is not a setting: the page gets
 * it from the server after authenticating (docs/security.md).
 */
export function readConfig(search: string, server: { url: string }): KioskConfig {
  const q = new URLSearchParams(search);
  write(LEGACY_BRIDGE_KEY, null);
  return {
    bridgeUrl: loopbackBridgeUrl(q.get("bridge")) ?? server.url,
    idleMs: positiveInt(q.get("idleMs"), 60_000),
    idleCountdownMs: positiveInt(q.get("idleCountdownMs"), 20_000),
    doneMs: positiveInt(q.get("doneMs"), 12_000),
    heartbeatMs: positiveInt(q.get("heartbeatMs"), 15_000),
    pairingCode: q.get("pair"),
  };
}
