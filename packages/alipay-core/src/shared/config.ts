/**
 * Configuration pieces every protocol shares: time-outs, the common zod shape (strict schemas
 * are built per protocol in `<protocol>/config.ts`), validation with messages that never echo
 * values, and key loading through an injected file reader.
 */
import { readFileSync } from "node:fs";
import { createPublicKey, type KeyObject } from "node:crypto";
import { z } from "zod";
import { AlipayConfigError } from "../errors.ts";
import { loadPrivateKey, loadPublicKey, type SigningKey, type SignType, type VerifyingKey } from "../signing.ts";
import type { ReadTextFile } from "./contract.ts";
import { DEFAULT_ALIPAY_UTC_OFFSET_MINUTES } from "./time.ts";
import { isLoopbackHost } from "./urls.ts";

/** Default time-outs (ms). Pay matches MEL's 15 s read time-out. */
export const DEFAULT_TIMEOUTS_MS = {
  pay: 15_000,
  query: 10_000,
  cancel: 10_000,
  refund: 15_000,
  settlement: 30_000,
} as const;

export const TimeoutsSchema = z
  .strictObject({
    pay: z.number().int().positive().max(120_000).default(DEFAULT_TIMEOUTS_MS.pay),
    query: z.number().int().positive().max(120_000).default(DEFAULT_TIMEOUTS_MS.query),
    cancel: z.number().int().positive().max(120_000).default(DEFAULT_TIMEOUTS_MS.cancel),
    refund: z.number().int().positive().max(120_000).default(DEFAULT_TIMEOUTS_MS.refund),
    settlement: z.number().int().positive().max(300_000).default(DEFAULT_TIMEOUTS_MS.settlement),
  })
  .prefault({});

export const idText = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/);

export const commonShape = {
  /** Gateway URL, e.g. `https://globalmapi.alipay.com/gateway.do`. https, or http to a loopback host / when allowed. */
  gatewayUrl: z.url(),
  /** Allow plain http to a non-loopback host (docker-compose sandbox). @default false */
  allowInsecureHttp: z.boolean().default(false),
  notifyUrl: z.url().max(200).optional(),
  timeouts: TimeoutsSchema,
  /** Offset of Alipay's timestamps. @default 480 (GMT+8) */
  utcOffsetMinutes: z.number().int().min(-720).max(840).default(DEFAULT_ALIPAY_UTC_OFFSET_MINUTES),
  /** RSA private key text (PEM PKCS#1/PKCS#8 or bare base64). */
  privateKey: z.string().min(1).optional(),
  /** Path to a file with the private key. */
  privateKeyFile: z.string().min(1).optional(),
  /** Alipay's public key text (PEM or bare base64). */
  alipayPublicKey: z.string().min(1).optional(),
  /** Path to a file with Alipay's public key. */
  alipayPublicKeyFile: z.string().min(1).optional(),
};

export type Timeouts = z.output<typeof TimeoutsSchema>;

/** The file reader used when none is injected. */
export const readTextFileSync: ReadTextFile = (path) => readFileSync(path, "utf8");

/** @throws AlipayConfigError naming the failing fields (never their values), or for a non-https gateway. */
export function parseConfig<TSchema extends z.ZodType>(schema: TSchema, config: unknown): z.output<TSchema> {
  const result = schema.safeParse(config);
  if (!result.success) {
    // Issue paths and messages only: never the received values (they may be keys).
    const details = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new AlipayConfigError(`Invalid Alipay client configuration: ${details}`);
  }
  const url = new URL((result.data as { gatewayUrl: string }).gatewayUrl);
  const isLoopback = isLoopbackHost(url.hostname);
  if (
    url.protocol !== "https:" &&
    !(url.protocol === "http:" && (isLoopback || (result.data as { allowInsecureHttp: boolean }).allowInsecureHttp))
  ) {
    throw new AlipayConfigError(
      "Invalid Alipay client configuration: gatewayUrl must be https (http only for loopback or with allowInsecureHttp)",
    );
  }
  return result.data;
}

/** Key or certificate text given inline or as a file (read with `readFile`); not both. */
export function readKeyText(
  text: string | undefined,
  file: string | undefined,
  what: string,
  readFile: ReadTextFile,
): string | undefined {
  if (text !== undefined && file !== undefined) {
    throw new AlipayConfigError(`Invalid Alipay client configuration: give ${what} as text or as a file, not both`);
  }
  if (file === undefined) return text;
  try {
    return readFile(file);
  } catch (error) {
    throw new AlipayConfigError(`Cannot read ${what} file ${file}`, {
      cause: error,
    });
  }
}

/** The signing and verifying keys for `signType` (MD5: the shared key; RSA/RSA2: the key pair). */
export function loadKeys(
  signType: SignType,
  config: {
    /** Certificate mode: the verifying key comes from Alipay's certificate. */
    isCertMode?: boolean;
    privateKey?: string | undefined;
    privateKeyFile?: string | undefined;
    alipayPublicKey?: string | undefined;
    alipayPublicKeyFile?: string | undefined;
    md5Key?: string | undefined;
  },
  readFile: ReadTextFile = readTextFileSync,
): { signing: SigningKey; verifying: VerifyingKey } {
  if (signType === "MD5") {
    if (config.md5Key === undefined)
      throw new AlipayConfigError("Invalid Alipay client configuration: md5Key is required for sign type MD5");
    return {
      signing: { signType, md5Key: config.md5Key },
      verifying: { signType, md5Key: config.md5Key },
    };
  }
  const privateText = readKeyText(config.privateKey, config.privateKeyFile, "privateKey", readFile);
  const publicText = readKeyText(config.alipayPublicKey, config.alipayPublicKeyFile, "alipayPublicKey", readFile);
  if (config.isCertMode === true && publicText !== undefined) {
    throw new AlipayConfigError(
      "Invalid Alipay client configuration: give alipayPublicKey or the certificates (appCert, alipayCert, alipayRootCert), not both",
    );
  }
  if (privateText === undefined || (publicText === undefined && config.isCertMode !== true)) {
    throw new AlipayConfigError(
      `Invalid Alipay client configuration: privateKey and alipayPublicKey are required for sign type ${signType}`,
    );
  }
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  try {
    privateKey = loadPrivateKey(privateText);
    publicKey =
      publicText === undefined
        ? createPublicKey(privateKey) // replaced by Alipay's certificate in cert mode
        : loadPublicKey(publicText);
  } catch (error) {
    throw new AlipayConfigError(`Invalid Alipay client configuration: ${(error as Error).message}`, { cause: error });
  }
  return {
    signing: { signType, privateKey },
    verifying: { signType, publicKey },
  };
}
