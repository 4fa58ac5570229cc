/**
 * The only reader of `process.env` in this package: the process entry's configuration,
 * validated with zod. A bad or unreadable value stops start-up with a message naming the variable.
 * Keys default to the alipay-core test keys so `npm start` works with no configuration.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { createPublicKey } from "node:crypto";
import { loadPrivateKey, loadPublicKey, parseAlipayCertificate, rootCertificateSn } from "@kiosk/alipay-core";
import {
  TEST_APP_ID,
  TEST_GATEWAY_PRIVATE_KEY_PEM,
  TEST_MD5_KEY,
  TEST_MERCHANT_PUBLIC_KEY_PEM,
  TEST_PARTNER_ID,
} from "@kiosk/alipay-core/public-test-keys";

export class SandboxEnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SandboxEnvError";
  }
}

const optionalText = z.preprocess((v) => (v === "" ? undefined : v), z.string().optional());
const secondsList = z.preprocess(
  (v) => (v === "" ? undefined : v),
  z
    .string()
    .regex(/^\d+(,\d+)*$/, "expected comma-separated whole seconds, e.g. 120,600,600")
    .optional(),
);
const optionalUrl = z.preprocess((v) => (v === "" ? undefined : v), z.url().optional());
const withDefault = <T extends z.ZodType>(schema: T, fallback: z.input<T>) =>
  z.preprocess((v) => (v === "" || v === undefined ? fallback : v), schema);

const EnvSchema = z.object({
  SANDBOX_HOST: withDefault(z.string().min(1), "127.0.0.1"),
  SANDBOX_PORT: withDefault(z.coerce.number().int().min(0).max(65535), "4010"),
  SANDBOX_PUBLIC_URL: optionalUrl,
  SANDBOX_NOTIFY_BASE_URL: optionalUrl,
  SANDBOX_PARTNER_ID: withDefault(
    z.string().regex(/^2088\d{12}$/, "expected 16 digits starting 2088"),
    TEST_PARTNER_ID,
  ),
  SANDBOX_MD5_KEY: optionalText,
  SANDBOX_MD5_KEY_FILE: optionalText,
  SANDBOX_MERCHANT_PUBLIC_KEY: optionalText,
  SANDBOX_MERCHANT_PUBLIC_KEY_FILE: optionalText,
  SANDBOX_APP_ID: withDefault(z.string().regex(/^\d{16}$/, "expected a 16-digit app id"), TEST_APP_ID),
  SANDBOX_APP_PUBLIC_KEY: optionalText,
  SANDBOX_APP_PUBLIC_KEY_FILE: optionalText,
  SANDBOX_GATEWAY_PRIVATE_KEY: optionalText,
  SANDBOX_GATEWAY_PRIVATE_KEY_FILE: optionalText,
  SANDBOX_APP_CERT: optionalText,
  SANDBOX_APP_CERT_FILE: optionalText,
  SANDBOX_ALIPAY_CERT: optionalText,
  SANDBOX_ALIPAY_CERT_FILE: optionalText,
  SANDBOX_ROOT_CERT: optionalText,
  SANDBOX_ROOT_CERT_FILE: optionalText,
  SANDBOX_SLOW_RESPONSE_SCALE: withDefault(z.coerce.number().min(0).max(100), "1"),
  SANDBOX_WAITING_TRADE_EXPIRY_SECONDS: withDefault(z.coerce.number().int().min(1), "10800"),
  SANDBOX_NOTIFY_RETRY_SCHEDULE_SECONDS: secondsList,
  SANDBOX_LOG_LEVEL: withDefault(z.enum(["info", "warn", "error"]), "info"),
});

export type SandboxEnv = {
  host: string;
  port: number;
  publicUrl: string | undefined;
  notifyBaseUrl: string | undefined;
  partnerId: string;
  md5Key: string;
  merchantPublicKeyPem: string;
  appId: string;
  appPublicKeyPem: string;
  gatewayPrivateKeyPem: string;
  slowResponseScale: number;
  waitingTradeExpiryMs: number;
  notifyRetryScheduleMs: number[] | undefined;
  logLevel: "info" | "warn" | "error";
  /**
   * Public-key certificate mode for the app: its certificate, Alipay's certificate (which must
   * certify SANDBOX_GATEWAY_PRIVATE_KEY) and Alipay's root bundle; undefined when not set.
   */
  certs: { appCertPem: string; alipayCertPem: string; rootCertPem: string } | undefined;
  /** Which keys are the public test keys (logged at start-up as a warning). */
  usingTestKeys: string[];
};

type EnvSource = Readonly<Record<string, string | undefined>>;

function readValueOrFile(
  parsed: Record<string, unknown>,
  name: string,
  fallback: string,
  usingTestKeys: string[],
): string {
  const inline = parsed[name] as string | undefined;
  const file = parsed[`${name}_FILE`] as string | undefined;
  if (inline !== undefined && file !== undefined) throw new SandboxEnvError(`Set only one of ${name} and ${name}_FILE`);
  if (file !== undefined) {
    try {
      return readFileSync(file, "utf8");
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new SandboxEnvError(`${name}_FILE: cannot read ${file}: ${reason}`);
    }
  }
  if (inline !== undefined) return inline.replace(/\\n/g, "\n");
  usingTestKeys.push(name);
  return fallback;
}

function checkKey(name: string, text: string, load: (text: string) => unknown): void {
  try {
    load(text);
  } catch {
    throw new SandboxEnvError(`${name}: not a usable RSA key (PEM or bare base64 DER expected)`);
  }
}

function readCerts(parsed: Record<string, unknown>, gatewayPrivateKeyPem: string): SandboxEnv["certs"] {
  const read = (name: string): string | undefined => {
    const sink: string[] = [];
    const text = readValueOrFile(parsed, name, "", sink);
    return sink.length > 0 ? undefined : text;
  };
  const texts = {
    SANDBOX_APP_CERT: read("SANDBOX_APP_CERT"),
    SANDBOX_ALIPAY_CERT: read("SANDBOX_ALIPAY_CERT"),
    SANDBOX_ROOT_CERT: read("SANDBOX_ROOT_CERT"),
  };
  if (Object.values(texts).every((t) => t === undefined)) return undefined;
  for (const [name, text] of Object.entries(texts)) {
    if (text === undefined)
      throw new SandboxEnvError(
        `${name}: required (or ${name}_FILE) in certificate mode, with SANDBOX_APP_CERT, SANDBOX_ALIPAY_CERT and SANDBOX_ROOT_CERT`,
      );
  }
  const certificate = (name: keyof typeof texts) => {
    try {
      return parseAlipayCertificate(texts[name] as string);
    } catch (error) {
      throw new SandboxEnvError(`${name}: ${(error as Error).message}`);
    }
  };
  certificate("SANDBOX_APP_CERT");
  const alipay = certificate("SANDBOX_ALIPAY_CERT");
  const gatewayPublic = createPublicKey(loadPrivateKey(gatewayPrivateKeyPem));
  const spki = { type: "spki", format: "der" } as const;
  if (!alipay.publicKey.export(spki).equals(gatewayPublic.export(spki)))
    throw new SandboxEnvError(
      "SANDBOX_ALIPAY_CERT: does not certify SANDBOX_GATEWAY_PRIVATE_KEY (the sandbox signs as Alipay with that key)",
    );
  try {
    rootCertificateSn(texts.SANDBOX_ROOT_CERT as string);
  } catch (error) {
    throw new SandboxEnvError(`SANDBOX_ROOT_CERT: ${(error as Error).message}`);
  }
  return {
    appCertPem: texts.SANDBOX_APP_CERT as string,
    alipayCertPem: texts.SANDBOX_ALIPAY_CERT as string,
    rootCertPem: texts.SANDBOX_ROOT_CERT as string,
  };
}

/** Parses the sandbox configuration. @throws SandboxEnvError naming the offending variable. */
export function loadSandboxEnv(source: EnvSource = process.env): SandboxEnv {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new SandboxEnvError(`Invalid sandbox environment:\n  ${lines.join("\n  ")}`);
  }
  const env = result.data;
  const raw = env as unknown as Record<string, unknown>;
  const usingTestKeys: string[] = [];
  const md5Key = readValueOrFile(raw, "SANDBOX_MD5_KEY", TEST_MD5_KEY, usingTestKeys).trim();
  if (!/^[0-9a-zA-Z]{32}$/.test(md5Key)) throw new SandboxEnvError("SANDBOX_MD5_KEY: expected 32 letters or digits");
  const merchantPublicKeyPem = readValueOrFile(
    raw,
    "SANDBOX_MERCHANT_PUBLIC_KEY",
    TEST_MERCHANT_PUBLIC_KEY_PEM,
    usingTestKeys,
  );
  checkKey("SANDBOX_MERCHANT_PUBLIC_KEY", merchantPublicKeyPem, loadPublicKey);
  const appPublicKeyPem = readValueOrFile(raw, "SANDBOX_APP_PUBLIC_KEY", merchantPublicKeyPem, usingTestKeys);
  checkKey("SANDBOX_APP_PUBLIC_KEY", appPublicKeyPem, loadPublicKey);
  if (!usingTestKeys.includes("SANDBOX_MERCHANT_PUBLIC_KEY")) {
    // The app key defaulted to the configured merchant key, which is not a test key.
    const index = usingTestKeys.indexOf("SANDBOX_APP_PUBLIC_KEY");
    if (index >= 0) usingTestKeys.splice(index, 1);
  }
  const gatewayPrivateKeyPem = readValueOrFile(
    raw,
    "SANDBOX_GATEWAY_PRIVATE_KEY",
    TEST_GATEWAY_PRIVATE_KEY_PEM,
    usingTestKeys,
  );
  checkKey("SANDBOX_GATEWAY_PRIVATE_KEY", gatewayPrivateKeyPem, loadPrivateKey);
  const certs = readCerts(raw, gatewayPrivateKeyPem);
  return {
    host: env.SANDBOX_HOST,
    port: env.SANDBOX_PORT,
    publicUrl: env.SANDBOX_PUBLIC_URL,
    notifyBaseUrl: env.SANDBOX_NOTIFY_BASE_URL,
    partnerId: env.SANDBOX_PARTNER_ID,
    md5Key,
    merchantPublicKeyPem,
    appId: env.SANDBOX_APP_ID,
    appPublicKeyPem,
    gatewayPrivateKeyPem,
    slowResponseScale: env.SANDBOX_SLOW_RESPONSE_SCALE,
    waitingTradeExpiryMs: env.SANDBOX_WAITING_TRADE_EXPIRY_SECONDS * 1000,
    notifyRetryScheduleMs: env.SANDBOX_NOTIFY_RETRY_SCHEDULE_SECONDS?.split(",").map((s) => Number(s) * 1000),
    logLevel: env.SANDBOX_LOG_LEVEL,
    certs,
    usingTestKeys,
  };
}
