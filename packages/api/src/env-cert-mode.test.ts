/**
 * Public-key certificate mode (Open Platform) from the environment: ALIPAY_APP_CERT_FILE,
 * ALIPAY_PUBLIC_CERT_FILE, ALIPAY_ROOT_CERT_FILE (+ ALIPAY_NEXT_PUBLIC_CERT_FILE for Alipay's
 * announced next certificate, ALIPAY_NEXT_APP_CERT_FILE for the next merchant key) reach the
 * Alipay client, and a half-configured mode stops start-up naming the variable.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPrivateKey, OpenApiClient, parseAlipayCertificate, rootCertificateSn } from "@kiosk/alipay-core";
import { createTestAlipayPki, TEST_MERCHANT_PRIVATE_KEY_PEM, testRsaKeyPair } from "@kiosk/alipay-core/testing";
import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "./env.ts";
import { alipayClientConfig } from "./app-services.ts";

const ROOT = "/srv/kiosk";
const dir = mkdtempSync(join(tmpdir(), "kiosk-cert-env-"));
const nextKey = testRsaKeyPair();
const pki = createTestAlipayPki({
  appKey: loadPrivateKey(TEST_MERCHANT_PRIVATE_KEY_PEM),
  alipayKeys: [testRsaKeyPair().privateKey, testRsaKeyPair().privateKey],
});
const nextPki = createTestAlipayPki({ appKey: nextKey.privateKey });
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const FILES = {
  ALIPAY_APP_CERT_FILE: file("appCertPublicKey.crt", pki.appCertPem),
  ALIPAY_PUBLIC_CERT_FILE: file("alipayCertPublicKey_RSA2.crt", pki.alipayCertPems[0] as string),
  ALIPAY_NEXT_PUBLIC_CERT_FILE: file("alipayCertPublicKey_RSA2.next.crt", pki.alipayCertPems[1] as string),
  ALIPAY_ROOT_CERT_FILE: file("alipayRootCert.crt", pki.rootBundlePem),
};
const BASE = { ALIPAY_PROTOCOL: "openapi", ALIPAY_APP_ID: "2021000000000001" };
const parse = (source: Record<string, string | undefined>) => parseEnv(source, { repoRoot: ROOT });

describe("env: Alipay public-key certificate mode", () => {
  it("reads the certificates and builds a client that sends their SNs", () => {
    const env = parse({ ...BASE, ...FILES });
    expect(env.alipay.alipayPublicKeyPem).toBeNull();
    expect(env.alipay.certs).toMatchObject({
      appCertPem: pki.appCertPem.trim(),
      alipayRootCertPem: pki.rootBundlePem.trim(),
    });
    const client = new OpenApiClient(alipayClientConfig(env) as ConstructorParameters<typeof OpenApiClient>[0]);
    expect(client.certSns).toEqual({
      appCertSn: parseAlipayCertificate(pki.appCertPem).sn,
      alipayRootCertSn: rootCertificateSn(pki.rootBundlePem),
      alipayCertSn: parseAlipayCertificate(pki.alipayCertPems[0] as string).sn,
    });
  });

  it("uses the next merchant key's own app certificate for the next key", () => {
    const env = parse({
      ...BASE,
      ...FILES,
      ALIPAY_NEXT_PRIVATE_KEY: nextKey.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      ALIPAY_NEXT_APP_CERT_FILE: file("next-app.crt", nextPki.appCertPem),
    });
    const nextConfig = alipayClientConfig(env, "next") as ConstructorParameters<typeof OpenApiClient>[0];
    expect(new OpenApiClient(nextConfig).certSns?.appCertSn).toBe(parseAlipayCertificate(nextPki.appCertPem).sn);
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    ["a missing root certificate", { ...FILES, ALIPAY_ROOT_CERT_FILE: undefined }, "ALIPAY_ROOT_CERT"],
    ["a missing app certificate", { ...FILES, ALIPAY_APP_CERT_FILE: undefined }, "ALIPAY_APP_CERT"],
    ["a public key next to the certificates", { ...FILES, ALIPAY_PUBLIC_KEY: "MIIBIjAN" }, "ALIPAY_PUBLIC_KEY"],
    ["certificates with the MAPI protocol", { ...FILES, ALIPAY_PROTOCOL: "mapi" }, "ALIPAY_APP_CERT"],
    [
      "an unreadable certificate file",
      { ...FILES, ALIPAY_PUBLIC_CERT_FILE: join(dir, "missing.crt") },
      "ALIPAY_PUBLIC_CERT_FILE",
    ],
    [
      "a next key without its app certificate",
      { ...FILES, ALIPAY_NEXT_PRIVATE_KEY: TEST_MERCHANT_PRIVATE_KEY_PEM },
      "ALIPAY_NEXT_APP_CERT",
    ],
  ])("refuses %s, naming the variable", (_name, vars, variable) => {
    expect(() => parse({ ...BASE, ...vars })).toThrow(EnvError);
    expect(() => parse({ ...BASE, ...vars })).toThrow(variable);
  });
});
