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
const BRIDGE_KEY = "kiosk.bridge";

/** The bridge's public development token (apps/bridge DEV_PAIRING_TOKEN); production kiosks are given their own. */
export const DEV_BRIDGE_TOKEN = "dev-pairing-token-change-me";

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
  return { orderId: v.orderId, paymentId: v.paymentId, locale: isLocale(v.locale) ? v.locale : "en", isCancelledByVisitor: v.isCancelledByVisitor === true };
}

export function saveResume(pointer: ResumePointer | null): void {
  write(RESUME_KEY, pointer);
}

export interface KioskConfig {
  bridgeUrl: string;
  bridgeToken: string;
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

/**
 * The page's settings: `?bridge=ws://…&bridgeToken=…` (remembered for later reloads),
 * `?pair=CODE` (provisioning), and timing overrides for tests and tuning; the server's
 * BRIDGE_URL / BRIDGE_TOKEN otherwise.
 */
export function readConfig(search: string, server: { url: string; token: string | null }): KioskConfig {
  const q = new URLSearchParams(search);
  const stored = (read(BRIDGE_KEY) ?? {}) as { url?: unknown; token?: unknown };
  // Precedence: the query string (provisioning), then what an earlier query string stored, then the server's configuration.
  const bridgeUrl = q.get("bridge") ?? (typeof stored.url === "string" ? stored.url : server.url);
  const bridgeToken = q.get("bridgeToken") ?? (typeof stored.token === "string" ? stored.token : (server.token ?? DEV_BRIDGE_TOKEN));
  if (q.get("bridge") || q.get("bridgeToken")) write(BRIDGE_KEY, { url: bridgeUrl, token: bridgeToken });
  return {
    bridgeUrl,
    bridgeToken,
    idleMs: positiveInt(q.get("idleMs"), 60_000),
    idleCountdownMs: positiveInt(q.get("idleCountdownMs"), 20_000),
    doneMs: positiveInt(q.get("doneMs"), 12_000),
    heartbeatMs: positiveInt(q.get("heartbeatMs"), 15_000),
    pairingCode: q.get("pair"),
  };
}
