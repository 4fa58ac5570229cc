/**
 * The CLI's configuration: the same ALIPAY_* variables the kiosk server reads
 * (packages/api/src/env.ts), from the process environment and/or an env file. The only reader
 * of `process.env` in this package.
 *
 * Differences from the server, on purpose: no fallback to the public test keys (a missing key
 * is reported as missing), and relative `*_FILE` paths resolve against `baseDir` (the working
 * directory by default; `alipay-keys install` always writes absolute paths).
 */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { KeyCheckConfig } from "./check.ts";
import { readEnvFile } from "./env-file.ts";

/** The server's default gateway (the local sandbox), as in packages/api/src/env.ts. */
export const DEFAULT_GATEWAY_URL = "http://127.0.0.1:4010/gateway.do";

export type EnvSource = Readonly<Record<string, string | undefined>>;

/** The process environment. */
export function processEnv(): EnvSource {
  return process.env;
}

/** The process environment overlaid with an env file's values (the file wins, as when a service manager loads it). */
export function loadEnvSource(envFile: string | undefined, base: EnvSource = processEnv()): EnvSource {
  return envFile === undefined ? base : Object.assign({}, base, readEnvFile(envFile));
}

export class CliConfigError extends Error {
  override readonly name = "CliConfigError";
}

function value(source: EnvSource, name: string): string | undefined {
  const v = source[name];
  return v === undefined || v.trim() === "" ? undefined : v;
}

/** Reads `NAME` or `NAME_FILE` (not both). The error names the variable, never the content. */
export function readKeyVariable(source: EnvSource, name: string, baseDir: string): string | undefined {
  const inline = value(source, name);
  const file = value(source, `${name}_FILE`);
  if (inline !== undefined && file !== undefined)
    throw new CliConfigError(`${name}: set either ${name} or ${name}_FILE, not both.`);
  if (file !== undefined) {
    const path = isAbsolute(file) ? file : resolve(baseDir, file);
    try {
      return readFileSync(path, "utf8");
    } catch (error) {
      throw new CliConfigError(
        `${name}_FILE: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"}).`,
      );
    }
  }
  return inline?.replace(/\\n/g, "\n");
}

/** Builds the key check's configuration from ALIPAY_* variables. */
export function checkConfigFromEnv(
  source: EnvSource,
  options: { baseDir?: string; useNextKey?: boolean } = {},
): KeyCheckConfig {
  const baseDir = options.baseDir ?? resolve(".");
  const protocol = value(source, "ALIPAY_PROTOCOL") ?? "mapi";
  if (protocol !== "mapi" && protocol !== "openapi" && protocol !== "antom")
    throw new CliConfigError("ALIPAY_PROTOCOL: use mapi, openapi or antom.");
  const signType = value(source, "ALIPAY_SIGN_TYPE") ?? "RSA2";
  if (signType !== "MD5" && signType !== "RSA" && signType !== "RSA2")
    throw new CliConfigError("ALIPAY_SIGN_TYPE: use MD5, RSA or RSA2.");
  const privateKey = options.useNextKey
    ? readKeyVariable(source, "ALIPAY_NEXT_PRIVATE_KEY", baseDir)
    : readKeyVariable(source, "ALIPAY_PRIVATE_KEY", baseDir);
  if (options.useNextKey && privateKey === undefined)
    throw new CliConfigError("ALIPAY_NEXT_PRIVATE_KEY_FILE: not set, so there is no next key to check.");
  const gatewayUrl = value(source, "ALIPAY_GATEWAY_URL") ?? DEFAULT_GATEWAY_URL;
  // Certificate mode (Open Platform): with --next, the next key's own app certificate.
  const appCert = options.useNextKey
    ? readKeyVariable(source, "ALIPAY_NEXT_APP_CERT", baseDir)
    : readKeyVariable(source, "ALIPAY_APP_CERT", baseDir);
  if (
    options.useNextKey &&
    appCert === undefined &&
    readKeyVariable(source, "ALIPAY_APP_CERT", baseDir) !== undefined
  ) {
    throw new CliConfigError(
      "ALIPAY_NEXT_APP_CERT_FILE: not set; in certificate mode the next key needs its own app certificate.",
    );
  }
  return {
    protocol,
    gatewayUrl,
    partnerId: value(source, "ALIPAY_PARTNER_ID"),
    clientId: value(source, "ALIPAY_ANTOM_CLIENT_ID"),
    keyVersion: value(source, "ALIPAY_ANTOM_KEY_VERSION"),
    appId: value(source, "ALIPAY_APP_ID"),
    signType,
    md5Key: source.ALIPAY_MD5_KEY === "" ? undefined : source.ALIPAY_MD5_KEY,
    privateKey,
    alipayPublicKey: readKeyVariable(source, "ALIPAY_PUBLIC_KEY", baseDir),
    appCert,
    alipayCert: readKeyVariable(source, "ALIPAY_PUBLIC_CERT", baseDir),
    alipayRootCert: readKeyVariable(source, "ALIPAY_ROOT_CERT", baseDir),
    alipayNextCert: readKeyVariable(source, "ALIPAY_NEXT_PUBLIC_CERT", baseDir),
    // As the server: plain http is allowed against the sandbox.
    allowInsecureHttp: (value(source, "ALIPAY_ENV") ?? "sandbox") === "sandbox",
  };
}
