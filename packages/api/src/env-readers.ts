/**
 * Readers of single settings for `env.ts`: the typed error naming a variable, keys given inline
 * or by file, Antom's wallet list and SFTP settings.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { DEFAULT_REFUND_PAUSE_WINDOW, type RefundPauseWindow } from "@kiosk/alipay-core";
import { ANTOM_WALLETS, isKnownWalletCode } from "@kiosk/alipay-core/wallets";
import { defaultRefundPauseWindow } from "./services/payment-policy.ts";

export class EnvError extends Error {
  override readonly name = "EnvError";
}

/**
 * ALIPAY_REFUND_PAUSE: when refunds are held back, `HH:MM-HH:MM±HH:MM` (start, end, the zone's
 * UTC offset; within one day) or `off`. Unset: `defaultRefundPauseWindow` (Alipay's nightly
 * window, 00:00–01:30 Beijing time, on a live gateway; off on the sandbox).
 */
export function readRefundPause(text: string | undefined, alipayEnv: "sandbox" | "live"): RefundPauseWindow | null {
  const value = text?.trim() ?? "";
  if (value === "") return defaultRefundPauseWindow(alipayEnv);
  if (value.toLowerCase() === "off") return null;
  const m = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})([+-])(\d{2}):(\d{2})$/.exec(value);
  const minutes = (h: string, mm: string) => (Number(mm) < 60 ? Number(h) * 60 + Number(mm) : NaN);
  if (!m) return fail("ALIPAY_REFUND_PAUSE", `use HH:MM-HH:MM±HH:MM (e.g. 00:00-01:30+08:00) or off, got "${value}"`);
  const start = minutes(m[1]!, m[2]!);
  const end = minutes(m[3]!, m[4]!);
  const offset = (m[5] === "-" ? -1 : 1) * minutes(m[6]!, m[7]!);
  if (!(start >= 0 && end <= 1440 && start < end))
    return fail("ALIPAY_REFUND_PAUSE", "the window's start must come before its end within one day (00:00-24:00)");
  if (!(offset >= -720 && offset <= 840)) return fail("ALIPAY_REFUND_PAUSE", "the UTC offset must be -12:00 to +14:00");
  return Object.assign({}, DEFAULT_REFUND_PAUSE_WINDOW, {
    startMinute: start,
    endMinute: end,
    utcOffsetMinutes: offset,
  });
}

/** ALIPAY_ANTOM_WALLETS: known Alipay+ wallet codes, comma-separated (case-insensitive); unset → undefined. */
export function readWalletList(text: string | undefined): readonly string[] | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const codes = text
    .split(",")
    .map((c) => c.trim().toUpperCase())
    .filter((c) => c !== "");
  const unknown = codes.filter((c) => !isKnownWalletCode(c));
  if (unknown.length > 0)
    fail(
      "ALIPAY_ANTOM_WALLETS",
      `unknown wallet ${unknown.join(", ")}; known: ${ANTOM_WALLETS.map((w) => w.code).join(", ")}`,
    );
  return codes;
}

/** ALIPAY_ANTOM_SFTP_*: all or nothing beyond the host (a user, and a key file or a password). */
export function readAntomSftp(
  e: {
    ALIPAY_ANTOM_SFTP_HOST?: string | undefined;
    ALIPAY_ANTOM_SFTP_PORT?: number | undefined;
    ALIPAY_ANTOM_SFTP_USER?: string | undefined;
    ALIPAY_ANTOM_SFTP_KEY_FILE?: string | undefined;
    ALIPAY_ANTOM_SFTP_PASSWORD?: string | undefined;
    ALIPAY_ANTOM_SFTP_HOST_KEY_SHA256?: string | undefined;
    ALIPAY_ANTOM_SFTP_DIR?: string | undefined;
  },
  root: string,
) {
  if (e.ALIPAY_ANTOM_SFTP_HOST === undefined) return null;
  if (e.ALIPAY_ANTOM_SFTP_USER === undefined)
    fail("ALIPAY_ANTOM_SFTP_USER", "required with ALIPAY_ANTOM_SFTP_HOST (the SFTP user Antom gave you)");
  if (e.ALIPAY_ANTOM_SFTP_KEY_FILE === undefined && e.ALIPAY_ANTOM_SFTP_PASSWORD === undefined)
    fail("ALIPAY_ANTOM_SFTP_KEY_FILE", "or ALIPAY_ANTOM_SFTP_PASSWORD is required with ALIPAY_ANTOM_SFTP_HOST");
  const keyFile = e.ALIPAY_ANTOM_SFTP_KEY_FILE;
  return {
    host: e.ALIPAY_ANTOM_SFTP_HOST,
    port: e.ALIPAY_ANTOM_SFTP_PORT ?? 22,
    username: e.ALIPAY_ANTOM_SFTP_USER,
    privateKeyFile: keyFile === undefined ? undefined : isAbsolute(keyFile) ? keyFile : resolve(root, keyFile),
    password: e.ALIPAY_ANTOM_SFTP_PASSWORD,
    hostKeySha256: e.ALIPAY_ANTOM_SFTP_HOST_KEY_SHA256,
    directory: e.ALIPAY_ANTOM_SFTP_DIR,
  };
}

export function fail(variable: string, message: string): never {
  throw new EnvError(`Invalid environment: ${variable}: ${message}`);
}

export function readKey(opts: {
  source: Record<string, string | undefined>;
  inline: string | undefined;
  file: string | undefined;
  name: string;
  root: string;
}): string | undefined {
  if (opts.inline && opts.file) fail(opts.name, `set either ${opts.name} or ${opts.name}_FILE, not both`);
  if (opts.file) {
    const p = isAbsolute(opts.file) ? opts.file : resolve(opts.root, opts.file);
    try {
      return readFileSync(p, "utf8").trim();
    } catch (e) {
      fail(`${opts.name}_FILE`, `cannot read ${p} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }
  if (!opts.inline) return undefined;
  // Accept PEM, PEM with literal "\n", or bare base64 (as Alipay's console shows keys).
  const v = opts.inline.replace(/\\n/g, "\n").trim();
  return v;
}

export function toPem(key: string, kind: "PRIVATE" | "PUBLIC"): string {
  if (key.includes("-----BEGIN")) return key;
  const body =
    key
      .replace(/\s+/g, "")
      .match(/.{1,64}/g)
      ?.join("\n") ?? "";
  return `-----BEGIN ${kind} KEY-----\n${body}\n-----END ${kind} KEY-----`;
}

export function normPem(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
}
