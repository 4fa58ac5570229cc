/**
 * The kiosk server's configuration: the ONLY reader of `process.env` in this app.
 * Parsed once (zod) on first use; a wrong or missing value throws an Error whose
 * message names the variable. `parseEnv` is pure so tests can feed it any source.
 * Every variable is documented in apps/kiosk/README.md.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  TEST_ANTOM_CLIENT_ID,
  TEST_APP_ID,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MD5_KEY,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_PARTNER_ID,
} from "@kiosk/alipay-core/public-test-keys";
import type { RefundPauseWindow } from "@kiosk/alipay-core";
import { z } from "zod";
import { parseTrustedProxies } from "./client-address.ts";
import { fail, normPem, readAntomSftp, readKey, readRefundPause, readWalletList, toPem } from "./env-readers.ts";
import { LOG_LEVELS } from "./log.ts";

export { EnvError } from "./env-readers.ts";

export const DEFAULT_SANDBOX_GATEWAY_URL = "http://127.0.0.1:4010/gateway.do";

/** The repository root: the nearest folder with pnpm-workspace.yaml above cwd or this file; else cwd. */
export function findRepoRoot(starts: readonly string[] = defaultStarts()): string {
  for (const start of starts) {
    let dir = resolve(start);
    for (;;) {
      if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return process.cwd();
}

function defaultStarts(): string[] {
  const starts = [process.cwd()];
  try {
    starts.push(dirname(fileURLToPath(import.meta.url)));
  } catch {
    // bundled without a file URL: cwd is enough
  }
  return starts;
}

const emptyToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const str = () => z.preprocess(emptyToUndefined, z.string().optional());
const int = (min: number, max: number) =>
  z.preprocess(emptyToUndefined, z.coerce.number().int().min(min).max(max).optional());

const RawEnvSchema = z.object({
  NODE_ENV: z.preprocess(emptyToUndefined, z.enum(["development", "production", "test"]).default("development")),
  ALIPAY_ENV: z.preprocess(emptyToUndefined, z.enum(["sandbox", "live"]).default("sandbox")),
  DATA_DIR: str(),
  DATABASE_URL: str(),
  DATABASE_PASSWORD_FILE: str(),
  DATABASE_CONNECT_TIMEOUT_MS: int(0, 600_000),
  DATABASE_STATEMENT_TIMEOUT_MS: int(0, 3_600_000),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: int(0, 3_600_000),
  METRICS_TOKEN: str(),
  METRICS_TOKEN_FILE: str(),
  PORT: int(1, 65535),
  HOST: str(),
  PUBLIC_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  ALIPAY_PROTOCOL: z.preprocess(emptyToUndefined, z.enum(["mapi", "openapi", "antom"]).default("mapi")),
  // Antom (ALIPAY_PROTOCOL=antom): the client id and the version of the key pair registered with Antom.
  ALIPAY_ANTOM_CLIENT_ID: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, "1-64 letters, digits, '.', '_' or '-' (Antom Dashboard → Developer)")
      .optional(),
  ),
  ALIPAY_ANTOM_KEY_VERSION: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^\d{1,4}$/, "the key version number Antom shows for your key (e.g. 1)")
      .optional(),
  ),
  // Antom: the Alipay+ wallets the scan screen lists by default (comma-separated codes, e.g. GCASH,DANA).
  ALIPAY_ANTOM_WALLETS: str(),
  ALIPAY_REFUND_PAUSE: str(),
  // Antom's SFTP server, where the daily transaction details report lies (reconciliation over Antom).
  ALIPAY_ANTOM_SFTP_HOST: str(),
  ALIPAY_ANTOM_SFTP_PORT: int(1, 65535),
  ALIPAY_ANTOM_SFTP_USER: str(),
  ALIPAY_ANTOM_SFTP_KEY_FILE: str(),
  ALIPAY_ANTOM_SFTP_PASSWORD: str(),
  ALIPAY_ANTOM_SFTP_HOST_KEY_SHA256: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, "the host key's fingerprint as ssh-keygen -lf prints it: SHA256:…")
      .optional(),
  ),
  ALIPAY_ANTOM_SFTP_DIR: str(),
  ALIPAY_GATEWAY_URL: z.preprocess(
    emptyToUndefined,
    z.url({ protocol: /^https?$/ }).default(DEFAULT_SANDBOX_GATEWAY_URL),
  ),
  ALIPAY_PARTNER_ID: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^2088\d{12}$/, "16 digits starting with 2088")
      .optional(),
  ),
  ALIPAY_APP_ID: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^\d{16}$/, "16 digits")
      .optional(),
  ),
  ALIPAY_SIGN_TYPE: z.preprocess(emptyToUndefined, z.enum(["MD5", "RSA", "RSA2"]).optional()),
  ALIPAY_MD5_KEY: str(),
  ALIPAY_PRIVATE_KEY: str(),
  ALIPAY_PRIVATE_KEY_FILE: str(),
  ALIPAY_NEXT_PRIVATE_KEY: str(),
  ALIPAY_NEXT_PRIVATE_KEY_FILE: str(),
  ALIPAY_PUBLIC_KEY: str(),
  ALIPAY_PUBLIC_KEY_FILE: str(),
  // Open Platform public-key certificate mode (instead of ALIPAY_PUBLIC_KEY).
  ALIPAY_APP_CERT: str(),
  ALIPAY_APP_CERT_FILE: str(),
  ALIPAY_NEXT_APP_CERT: str(),
  ALIPAY_NEXT_APP_CERT_FILE: str(),
  ALIPAY_PUBLIC_CERT: str(),
  ALIPAY_PUBLIC_CERT_FILE: str(),
  ALIPAY_NEXT_PUBLIC_CERT: str(),
  ALIPAY_NEXT_PUBLIC_CERT_FILE: str(),
  ALIPAY_ROOT_CERT: str(),
  ALIPAY_ROOT_CERT_FILE: str(),
  ALIPAY_NOTIFY_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/ }).optional()),
  ALIPAY_STORE_ID: z.preprocess(emptyToUndefined, z.string().max(32).optional()),
  ALIPAY_TERMINAL_ID: z.preprocess(emptyToUndefined, z.string().max(32).optional()),
  TICKET_KEYS_DIR: str(),
  WORKER: z.preprocess(emptyToUndefined, z.enum(["inline", "off"]).default("inline")),
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(LOG_LEVELS).optional()),
  SESSION_TTL_MINUTES: int(5, 60 * 24 * 30),
  SESSION_MAX_HOURS: int(1, 24 * 90),
  TRUSTED_PROXIES: str(),
  AUDIT_RETENTION_DAYS: int(30, 3650),
  INSTANCE_ID: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, "1-64 letters, digits, '.', '_' or '-'")
      .optional(),
  ),
  ORDER_HOLD_SECONDS: int(10, 3600),
  PAYMENT_DEADLINE_SECONDS: int(10, 600),
  RECONCILE_AT_HOUR: int(0, 23),
  HOLD_SWEEP_SECONDS: int(1, 3600),
});

export interface KioskEnv {
  nodeEnv: "development" | "production" | "test";
  isProduction: boolean;
  repoRoot: string;
  dataDir: string;
  /** `file:<absolute path>` or `postgresql://…`. */
  databaseUrl: string;
  /** PostgreSQL time limits (DATABASE_*_TIMEOUT_MS; @kiosk/db DEFAULT_DB_TIMEOUTS: 5 s, 30 s, 60 s). */
  databaseTimeouts: { connectMs: number; statementMs: number; idleInTransactionMs: number };
  port: number;
  host: string;
  publicUrl: string;
  /** True when PUBLIC_URL is https: cookies get the Secure flag. */
  isSecureCookies: boolean;
  alipay: {
    env: "sandbox" | "live";
    protocol: "mapi" | "openapi" | "antom";
    /** ALIPAY_PROTOCOL=antom: Antom's domain (no path); otherwise the gateway URL. */
    gatewayUrl: string;
    /** Antom only (else null): the client id and the registered key's version. */
    antom: {
      clientId: string;
      keyVersion: string;
      /** ALIPAY_ANTOM_WALLETS: the Alipay+ wallet codes shown as accepted by default (undefined: every known one). */
      wallets: readonly string[] | undefined;
      /** ALIPAY_ANTOM_SFTP_*: Antom's SFTP server for the settlement report (null: not configured). */
      sftp: {
        host: string;
        port: number;
        username: string;
        privateKeyFile: string | undefined;
        password: string | undefined;
        hostKeySha256: string | undefined;
        directory: string | undefined;
      } | null;
    } | null;
    partnerId: string;
    appId: string | null;
    signType: "MD5" | "RSA" | "RSA2";
    md5Key: string | null;
    /** Merchant private key, PEM (never logged). */
    privateKeyPem: string | null;
    /** The next merchant private key, PEM (key rotation: staff switch to it with alipayKeys.switchToNext; never logged). */
    nextPrivateKeyPem: string | null;
    /** Alipay's (gateway's) public key, PEM, for verifying responses and notifications; null in certificate mode. */
    alipayPublicKeyPem: string | null;
    /**
     * Open Platform public-key certificate mode (PEM texts), or null: the app's certificate
     * (and the next key's), Alipay's certificate (and an announced next one), Alipay's root.
     */
    certs: {
      appCertPem: string;
      nextAppCertPem: string | null;
      alipayCertPem: string;
      alipayNextCertPem: string | null;
      alipayRootCertPem: string;
    } | null;
    notifyUrl: string;
    storeId: string | null;
    terminalId: string | null;
    /** True when any of the public test keys from @kiosk/alipay-core/public-test-keys is in use. */
    isUsingTestKeys: boolean;
    /** ALIPAY_REFUND_PAUSE: when refunds wait (null: never). Default: Alipay's nightly window when live, off on the sandbox. */
    refundPauseWindow: RefundPauseWindow | null;
  };
  ticketKeysDir: string;
  worker: "inline" | "off";
  logLevel: (typeof LOG_LEVELS)[number];
  sessionTtlMinutes: number;
  /** Absolute staff session lifetime from sign-in, however often the session is used. */
  sessionMaxHours: number;
  /** CIDR ranges of proxies whose X-Forwarded-For is believed (server/client-address.ts); empty = none. */
  trustedProxies: string[];
  /** Audit rows and stored events older than this are pruned by the maintenance job. */
  auditRetentionDays: number;
  /** Names this process in payment leases; null = random per start. A restart with the same id takes over its predecessor's leases at once. */
  instanceId: string | null;
  /** Bearer token /metrics requires (METRICS_TOKEN or _FILE); without one, /metrics is refused in production. */
  metricsToken: string | null;
  /** How long an unpaid order keeps its places. */
  orderHoldMs: number;
  /** From payment start to the deadline cancel; null = the money path's default (60 s). */
  paymentDeadlineMs: number | null;
  /** The daily reconciliation of the previous Beijing day runs at this Beijing hour, once per fleet; null = off. */
  reconcileAtHour: number | null;
  /** One stale-hold sweep per this period across the fleet. */
  holdSweepMs: number;
}

/**
 * Certificate mode: all of ALIPAY_APP_CERT, ALIPAY_PUBLIC_CERT and ALIPAY_ROOT_CERT (each
 * inline or *_FILE), Open Platform only, not with ALIPAY_PUBLIC_KEY; a next merchant key needs
 * its own ALIPAY_NEXT_APP_CERT. The certificates themselves are checked by the Alipay client
 * at start-up (SNs, key match) and diagnosed by `alipay-keys check`.
 */
function readCerts(
  e: z.infer<typeof RawEnvSchema>,
  source: Record<string, string | undefined>,
  root: string,
  ctx: { protocol: "mapi" | "openapi" | "antom"; hasPublicKey: boolean; hasNextPrivateKey: boolean },
): KioskEnv["alipay"]["certs"] {
  const read = (name: string, inline: string | undefined, file: string | undefined): string | undefined =>
    readKey({ source, inline, file, name, root });
  const appCertPem = read("ALIPAY_APP_CERT", e.ALIPAY_APP_CERT, e.ALIPAY_APP_CERT_FILE);
  const nextAppCertPem = read("ALIPAY_NEXT_APP_CERT", e.ALIPAY_NEXT_APP_CERT, e.ALIPAY_NEXT_APP_CERT_FILE);
  const alipayCertPem = read("ALIPAY_PUBLIC_CERT", e.ALIPAY_PUBLIC_CERT, e.ALIPAY_PUBLIC_CERT_FILE);
  const alipayNextCertPem = read("ALIPAY_NEXT_PUBLIC_CERT", e.ALIPAY_NEXT_PUBLIC_CERT, e.ALIPAY_NEXT_PUBLIC_CERT_FILE);
  const alipayRootCertPem = read("ALIPAY_ROOT_CERT", e.ALIPAY_ROOT_CERT, e.ALIPAY_ROOT_CERT_FILE);
  const given = { ALIPAY_APP_CERT: appCertPem, ALIPAY_PUBLIC_CERT: alipayCertPem, ALIPAY_ROOT_CERT: alipayRootCertPem };
  const any = Object.values(given).some(Boolean) || Boolean(nextAppCertPem) || Boolean(alipayNextCertPem);
  if (!any) return null;
  const first = Object.entries(given).find(([, v]) => v)?.[0] ?? "ALIPAY_APP_CERT";
  if (ctx.protocol !== "openapi")
    fail(
      first,
      "public-key certificates are an Open Platform mode: set ALIPAY_PROTOCOL=openapi or unset the ALIPAY_*_CERT variables",
    );
  for (const [name, v] of Object.entries(given))
    if (!v)
      fail(
        name,
        "required (or its _FILE) in certificate mode, with ALIPAY_APP_CERT, ALIPAY_PUBLIC_CERT and ALIPAY_ROOT_CERT",
      );
  if (ctx.hasPublicKey)
    fail("ALIPAY_PUBLIC_KEY", "set either ALIPAY_PUBLIC_KEY or the certificates (ALIPAY_PUBLIC_CERT…), not both");
  if (ctx.hasNextPrivateKey && !nextAppCertPem)
    fail(
      "ALIPAY_NEXT_APP_CERT",
      "required (or its _FILE) in certificate mode when ALIPAY_NEXT_PRIVATE_KEY is set: the next key's own app certificate",
    );
  return {
    appCertPem: appCertPem as string,
    nextAppCertPem: nextAppCertPem ?? null,
    alipayCertPem: alipayCertPem as string,
    alipayNextCertPem: alipayNextCertPem ?? null,
    alipayRootCertPem: alipayRootCertPem as string,
  };
}

/** Parses and checks a configuration source (normally process.env). Throws EnvError naming the variable. */
export function parseEnv(source: Record<string, string | undefined>, options: { repoRoot?: string } = {}): KioskEnv {
  const parsed = RawEnvSchema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    fail(String(issue.path[0] ?? "?"), issue.message);
  }
  const e = parsed.data;
  const root = options.repoRoot ?? findRepoRoot();
  const isProduction = e.NODE_ENV === "production";
  const isLive = e.ALIPAY_ENV === "live";
  const dataDir = e.DATA_DIR ? resolve(root, e.DATA_DIR) : join(root, "data");

  let databaseUrl = e.DATABASE_URL ?? `file:${join(dataDir, "kiosk.db")}`;
  if (databaseUrl.startsWith("file:")) {
    const p = databaseUrl.slice("file:".length);
    if (p.length === 0) fail("DATABASE_URL", "file: URL without a path");
    databaseUrl = `file:${isAbsolute(p) ? p : resolve(root, p)}`;
  } else if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    fail("DATABASE_URL", "use file:<path> (SQLite) or postgresql://user:pass@host:port/db");
  } else if (e.DATABASE_PASSWORD_FILE) {
    // A Docker secret: the password stays out of the environment and the compose file.
    const p = resolve(root, e.DATABASE_PASSWORD_FILE);
    try {
      const u = new URL(databaseUrl);
      u.password = encodeURIComponent(readFileSync(p, "utf8").trim());
      databaseUrl = u.toString();
    } catch (err) {
      fail("DATABASE_PASSWORD_FILE", `cannot read ${p} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }
  const metricsToken =
    readKey({ source, inline: e.METRICS_TOKEN, file: e.METRICS_TOKEN_FILE, name: "METRICS_TOKEN", root }) ?? null;
  if (metricsToken !== null && metricsToken.length < 16) fail("METRICS_TOKEN", "must be at least 16 characters");

  const port = e.PORT ?? 3000;
  const host = e.HOST ?? "127.0.0.1";
  const publicUrl = (e.PUBLIC_URL ?? `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`).replace(/\/+$/, "");

  const protocol = e.ALIPAY_PROTOCOL;
  const signType = e.ALIPAY_SIGN_TYPE ?? "RSA2";
  if (protocol === "openapi" && signType !== "RSA2")
    fail("ALIPAY_SIGN_TYPE", "the openapi protocol signs with RSA2 only");
  if (protocol === "antom" && signType !== "RSA2")
    fail("ALIPAY_SIGN_TYPE", "Antom signs with RSA256 (SHA256withRSA) only: unset it or set RSA2");
  let gatewayUrl = e.ALIPAY_GATEWAY_URL;
  if (protocol === "antom") {
    const url = new URL(gatewayUrl);
    if (source["ALIPAY_GATEWAY_URL"] === undefined || source["ALIPAY_GATEWAY_URL"] === "") gatewayUrl = url.origin;
    else if (url.pathname !== "/" || url.search !== "")
      fail(
        "ALIPAY_GATEWAY_URL",
        "for ALIPAY_PROTOCOL=antom give Antom's domain only, e.g. https://open-sea-global.alipay.com (the /ams/api/v1/… paths are added)",
      );
    else gatewayUrl = url.origin;
  }

  const privateKey = readKey({
    source,
    inline: e.ALIPAY_PRIVATE_KEY,
    file: e.ALIPAY_PRIVATE_KEY_FILE,
    name: "ALIPAY_PRIVATE_KEY",
    root,
  });
  const nextPrivateKey = readKey({
    source,
    inline: e.ALIPAY_NEXT_PRIVATE_KEY,
    file: e.ALIPAY_NEXT_PRIVATE_KEY_FILE,
    name: "ALIPAY_NEXT_PRIVATE_KEY",
    root,
  });
  if (nextPrivateKey && signType === "MD5")
    fail("ALIPAY_NEXT_PRIVATE_KEY", "key rotation is for RSA/RSA2 private keys; unset it or use ALIPAY_SIGN_TYPE=RSA2");
  const publicKey = readKey({
    source,
    inline: e.ALIPAY_PUBLIC_KEY,
    file: e.ALIPAY_PUBLIC_KEY_FILE,
    name: "ALIPAY_PUBLIC_KEY",
    root,
  });
  const certs = readCerts(e, source, root, {
    protocol,
    hasPublicKey: publicKey !== undefined,
    hasNextPrivateKey: nextPrivateKey !== undefined,
  });

  // Live Alipay: nothing defaults; every credential is given explicitly.
  if (isLive) {
    if (protocol === "antom" && !e.ALIPAY_ANTOM_CLIENT_ID)
      fail("ALIPAY_ANTOM_CLIENT_ID", "required when ALIPAY_ENV=live and ALIPAY_PROTOCOL=antom");
    if (protocol !== "antom" && !e.ALIPAY_PARTNER_ID) fail("ALIPAY_PARTNER_ID", "required when ALIPAY_ENV=live");
    if (protocol === "openapi" && !e.ALIPAY_APP_ID)
      fail("ALIPAY_APP_ID", "required when ALIPAY_ENV=live and ALIPAY_PROTOCOL=openapi");
    if (!e.ALIPAY_GATEWAY_URL.startsWith("https://")) fail("ALIPAY_GATEWAY_URL", "must be https when ALIPAY_ENV=live");
    if (signType === "MD5" && !e.ALIPAY_MD5_KEY)
      fail("ALIPAY_MD5_KEY", "required when ALIPAY_ENV=live and ALIPAY_SIGN_TYPE=MD5");
    if (signType !== "MD5") {
      if (!privateKey)
        fail("ALIPAY_PRIVATE_KEY", "required (or ALIPAY_PRIVATE_KEY_FILE) when ALIPAY_ENV=live with RSA/RSA2");
      if (!publicKey && !certs)
        fail(
          "ALIPAY_PUBLIC_KEY",
          "required (or ALIPAY_PUBLIC_KEY_FILE, or the ALIPAY_*_CERT_FILE certificates) when ALIPAY_ENV=live with RSA/RSA2",
        );
    }
    if (!e.ALIPAY_NOTIFY_URL && !e.PUBLIC_URL)
      fail("ALIPAY_NOTIFY_URL", "required (or PUBLIC_URL) when ALIPAY_ENV=live");
  }

  const md5Key = signType === "MD5" ? (e.ALIPAY_MD5_KEY ?? TEST_MD5_KEY) : (e.ALIPAY_MD5_KEY ?? null);
  const privateKeyPem =
    signType === "MD5"
      ? privateKey
        ? toPem(privateKey, "PRIVATE")
        : null
      : toPem(privateKey ?? TEST_MERCHANT_PRIVATE_KEY_PEM, "PRIVATE");
  const alipayPublicKeyPem =
    signType === "MD5" || certs
      ? publicKey
        ? toPem(publicKey, "PUBLIC")
        : null
      : toPem(publicKey ?? TEST_GATEWAY_PUBLIC_KEY_PEM, "PUBLIC");
  const nextPrivateKeyPem = nextPrivateKey ? toPem(nextPrivateKey, "PRIVATE") : null;
  const partnerId = e.ALIPAY_PARTNER_ID ?? TEST_PARTNER_ID;
  const appId = e.ALIPAY_APP_ID ?? (protocol === "openapi" ? TEST_APP_ID : null);

  const testKeyHits: string[] = [];
  if (md5Key === TEST_MD5_KEY) testKeyHits.push("ALIPAY_MD5_KEY");
  if (privateKeyPem && normPem(privateKeyPem) === normPem(TEST_MERCHANT_PRIVATE_KEY_PEM))
    testKeyHits.push("ALIPAY_PRIVATE_KEY");
  if (nextPrivateKeyPem && normPem(nextPrivateKeyPem) === normPem(TEST_MERCHANT_PRIVATE_KEY_PEM))
    testKeyHits.push("ALIPAY_NEXT_PRIVATE_KEY");
  if (alipayPublicKeyPem && normPem(alipayPublicKeyPem) === normPem(TEST_GATEWAY_PUBLIC_KEY_PEM))
    testKeyHits.push("ALIPAY_PUBLIC_KEY");
  if (partnerId === TEST_PARTNER_ID && protocol !== "antom") testKeyHits.push("ALIPAY_PARTNER_ID");
  const antom =
    protocol === "antom"
      ? {
          clientId: e.ALIPAY_ANTOM_CLIENT_ID ?? TEST_ANTOM_CLIENT_ID,
          keyVersion: e.ALIPAY_ANTOM_KEY_VERSION ?? "1",
          wallets: readWalletList(e.ALIPAY_ANTOM_WALLETS),
          sftp: readAntomSftp(e, root),
        }
      : null;
  if (antom?.clientId === TEST_ANTOM_CLIENT_ID) testKeyHits.push("ALIPAY_ANTOM_CLIENT_ID");
  if (isProduction && isLive && testKeyHits.length > 0) {
    fail(
      testKeyHits[0]!,
      "is the public test value from @kiosk/alipay-core/public-test-keys; refusing it with NODE_ENV=production and ALIPAY_ENV=live",
    );
  }

  return {
    nodeEnv: e.NODE_ENV,
    isProduction,
    repoRoot: root,
    dataDir,
    databaseUrl,
    databaseTimeouts: {
      connectMs: e.DATABASE_CONNECT_TIMEOUT_MS ?? 5_000,
      statementMs: e.DATABASE_STATEMENT_TIMEOUT_MS ?? 30_000,
      idleInTransactionMs: e.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS ?? 60_000,
    },
    port,
    host,
    publicUrl,
    isSecureCookies: publicUrl.startsWith("https://"),
    alipay: {
      env: e.ALIPAY_ENV,
      protocol,
      gatewayUrl,
      antom,
      partnerId,
      appId,
      signType,
      md5Key,
      privateKeyPem,
      nextPrivateKeyPem,
      alipayPublicKeyPem,
      certs,
      notifyUrl: e.ALIPAY_NOTIFY_URL ?? `${publicUrl}/api/alipay/notify`,
      storeId: e.ALIPAY_STORE_ID ?? null,
      terminalId: e.ALIPAY_TERMINAL_ID ?? null,
      isUsingTestKeys: testKeyHits.length > 0,
      refundPauseWindow: readRefundPause(e.ALIPAY_REFUND_PAUSE, e.ALIPAY_ENV),
    },
    ticketKeysDir: e.TICKET_KEYS_DIR ? resolve(root, e.TICKET_KEYS_DIR) : join(dataDir, "keys"),
    worker: e.WORKER,
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === "test" ? "warn" : "info"),
    sessionTtlMinutes: e.SESSION_TTL_MINUTES ?? 480,
    sessionMaxHours: e.SESSION_MAX_HOURS ?? 12,
    trustedProxies: trustedProxiesOf(e.TRUSTED_PROXIES),
    auditRetentionDays: e.AUDIT_RETENTION_DAYS ?? 730,
    instanceId: e.INSTANCE_ID ?? null,
    metricsToken,
    orderHoldMs: (e.ORDER_HOLD_SECONDS ?? 300) * 1000,
    paymentDeadlineMs: e.PAYMENT_DEADLINE_SECONDS === undefined ? null : e.PAYMENT_DEADLINE_SECONDS * 1000,
    reconcileAtHour: e.RECONCILE_AT_HOUR ?? null,
    holdSweepMs: (e.HOLD_SWEEP_SECONDS ?? 10) * 1000,
  };
}

function trustedProxiesOf(text: string | undefined): string[] {
  try {
    parseTrustedProxies(text);
  } catch (e) {
    fail("TRUSTED_PROXIES", e instanceof Error ? e.message : "not a CIDR list");
  }
  return (text ?? "").split(/[\s,]+/).filter(Boolean);
}

let cached: KioskEnv | undefined;

/** The process configuration, parsed from process.env on first call. */
export function getEnv(): KioskEnv {
  cached ??= parseEnv(process.env);
  return cached;
}

/** BRIDGE_URL: the local device bridge the kiosk page connects to (loopback WebSocket; ws://127.0.0.1:7878 by default). */
const BridgeUrlSchema = z.preprocess(emptyToUndefined, z.url({ protocol: /^wss?$/ }).default("ws://127.0.0.1:7878"));
/** The last good BRIDGE_URL and its parsed form: this runs for every page and API response (security headers). */
let lastBridgeUrl: { raw: string | undefined; url: string } | undefined;

export function getBridgeUrl(source: Record<string, string | undefined> = process.env): string {
  const raw = source.BRIDGE_URL;
  if (lastBridgeUrl && lastBridgeUrl.raw === raw) return lastBridgeUrl.url;
  const r = BridgeUrlSchema.safeParse(raw);
  if (!r.success) return fail("BRIDGE_URL", r.error.issues[0]?.message ?? "not a ws:// URL");
  lastBridgeUrl = { raw, url: r.data };
  return r.data;
}

/** What the security headers need per request (src/proxy.ts), without parsing the whole configuration. */
export function getHeaderConfig(source: Record<string, string | undefined> = process.env): {
  publicUrl: string;
  bridgeUrl: string;
  isDevelopment: boolean;
} {
  return {
    publicUrl: source.PUBLIC_URL?.trim() ?? "",
    bridgeUrl: getBridgeUrl(source),
    isDevelopment: source.NODE_ENV === "development",
  };
}

/**
 * Set on globalThis by apps/kiosk/server.ts, which serves the API itself and hands only the
 * pages to Next: Next's instrumentation hook then builds no second runtime (database pool,
 * worker) in its own copy of these modules.
 */
export const API_HOST_KEY: unique symbol = Symbol.for("kiosk.api-host") as never;

export function isApiHostedOutsideNext(): boolean {
  return (globalThis as Record<symbol, unknown>)[API_HOST_KEY] !== undefined;
}
