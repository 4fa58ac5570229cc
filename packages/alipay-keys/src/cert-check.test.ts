/**
 * The key check in public-key certificate mode, against the real sandbox in certificate mode
 * (in-process, port 0): a right setup passes; each broken certificate gets its own diagnosis.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KeyObject } from "node:crypto";
import { createTestAlipayPki, testRsaKeyPair, type TestAlipayPki } from "@kiosk/alipay-core/testing";
import { parseAlipayCertificate } from "@kiosk/alipay-core";
import { startSandbox, type RunningSandbox } from "@kiosk/alipay-sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkKeys, type KeyCheckConfig } from "./check.ts";
import { runCli } from "./cli.ts";

const APP_ID = "2021000000004242";
const quiet = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

let app: { privateKey: KeyObject; publicKey: KeyObject };
let pki: TestAlipayPki;
let sandbox: RunningSandbox;
let dir: string;

const pem = (key: KeyObject): string =>
  key.type === "private"
    ? key.export({ type: "pkcs8", format: "pem" }).toString()
    : key.export({ type: "spki", format: "pem" }).toString();

function certConfig(overrides: Partial<KeyCheckConfig> = {}): KeyCheckConfig {
  return {
    protocol: "openapi",
    gatewayUrl: sandbox.gatewayUrl,
    appId: APP_ID,
    signType: "RSA2",
    privateKey: pem(app.privateKey),
    appCert: pki.appCertPem,
    alipayCert: pki.alipayCertPems[0],
    alipayRootCert: pki.rootBundlePem,
    ...overrides,
  };
}

const check = (config: KeyCheckConfig, now = Date.now()): ReturnType<typeof checkKeys> =>
  checkKeys(config, {
    now: () => now,
    maxClockSkewMs: Number.MAX_SAFE_INTEGER,
  });

beforeAll(async () => {
  app = testRsaKeyPair();
  pki = createTestAlipayPki({
    appKey: app.privateKey,
    alipayKeys: [testRsaKeyPair().privateKey, testRsaKeyPair().privateKey],
  });
  sandbox = await startSandbox({
    port: 0,
    tickIntervalMs: 0,
    logger: quiet,
    apps: [{ appId: APP_ID, appCertPem: pki.appCertPem }],
    certMode: {
      rootCertPem: pki.rootBundlePem,
      alipayCerts: pki.alipayCertPems.map((certPem, i) => ({
        certPem,
        privateKey: pki.alipayKeys[i] as KeyObject,
      })),
    },
  });
  dir = mkdtempSync(join(tmpdir(), "alipay-keys-cert-"));
});

afterAll(async () => {
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("checkKeys in certificate mode", () => {
  it("passes with the app certificate, Alipay's certificate and the root, and names the SNs", async () => {
    const result = await check(certConfig());
    expect(result.steps.map((s) => [s.name, s.status])).toEqual([
      ["config", "pass"],
      ["private_key_format", "pass"],
      ["certificates", "pass"],
      ["gateway_query", "pass"],
      ["clock", "pass"],
    ]);
    expect(result.diagnosis.code).toBe("ok");
    expect(result.steps[2]?.detail).toContain(parseAlipayCertificate(pki.appCertPem).sn);
  });

  it.each<[string, () => Partial<KeyCheckConfig>, string]>([
    ["a missing root certificate", () => ({ alipayRootCert: undefined }), "cert_missing"],
    [
      "a public key next to the certificates",
      () => ({ alipayPublicKey: pem(testRsaKeyPair().publicKey) }),
      "cert_missing",
    ],
    [
      "an app certificate for another key",
      () => ({ privateKey: pem(testRsaKeyPair().privateKey) }),
      "cert_key_mismatch",
    ],
    [
      "a key file where a certificate belongs",
      () => ({ alipayCert: pem(testRsaKeyPair().privateKey) }),
      "cert_unreadable",
    ],
    [
      "a root file without an RSA certificate",
      () => ({ alipayRootCert: pki.rootBundlePem.split(/(?=-----BEGIN)/)[1] }),
      "root_cert_wrong",
    ],
    ["the app's own certificate installed as Alipay's", () => ({ alipayCert: pki.appCertPem }), "gateway_key_mismatch"],
  ])("diagnoses %s locally, without calling the gateway", async (_name, change, code) => {
    const result = await check(certConfig(change()));
    expect(result.ok).toBe(false);
    expect(result.diagnosis.code).toBe(code);
    expect(result.steps.find((s) => s.name === "gateway_query")?.status ?? "skip").toBe("skip");
  });

  it("diagnoses an expired certificate, and warns about one close to its end", async () => {
    const expired = await check(certConfig(), Date.UTC(2041, 0, 1));
    expect(expired.diagnosis.code).toBe("cert_expired");
    expect(expired.steps.find((s) => s.code === "cert_expired")?.detail).toMatch(/expired on 2040-01-01/);
    const soon = await check(certConfig(), Date.UTC(2039, 11, 20));
    expect(soon.ok).toBe(true);
    expect(soon.steps.some((s) => s.status === "warn" && /expires on 2040-01-01/.test(s.detail))).toBe(true);
  });

  it("diagnoses an app certificate Alipay does not have on record (another certificate for the same key)", async () => {
    const other = createTestAlipayPki({ appKey: app.privateKey });
    const result = await check(certConfig({ appCert: other.appCertPem }));
    expect(result.diagnosis.code).toBe("app_cert_rejected");
  });

  it("diagnoses a root file that is not Alipay's (the gateway rejects alipay_root_cert_sn)", async () => {
    const other = createTestAlipayPki({ appKey: app.privateKey });
    const result = await check(certConfig({ alipayRootCert: other.rootBundlePem }));
    expect(result.diagnosis.code).toBe("root_cert_wrong");
  });

  it("diagnoses Alipay answering under a rotated certificate the kiosk does not hold, and passes once it is installed", async () => {
    const rotatedSn = parseAlipayCertificate(pki.alipayCertPems[1] as string).sn;
    sandbox.rotateAlipayCert(rotatedSn);
    try {
      const result = await check(certConfig());
      expect(result.diagnosis.code).toBe("alipay_cert_unknown");
      expect(result.steps.find((s) => s.name === "gateway_query")?.detail).toContain(rotatedSn);
      expect((await check(certConfig({ alipayNextCert: pki.alipayCertPems[1] }))).diagnosis.code).toBe("ok");
    } finally {
      sandbox.rotateAlipayCert(parseAlipayCertificate(pki.alipayCertPems[0] as string).sn);
    }
  });

  it("the CLI reads ALIPAY_APP_CERT_FILE, ALIPAY_PUBLIC_CERT_FILE and ALIPAY_ROOT_CERT_FILE", async () => {
    const files = {
      key: join(dir, "app.pem"),
      app: join(dir, "appCertPublicKey.crt"),
      alipay: join(dir, "alipayCertPublicKey_RSA2.crt"),
      root: join(dir, "alipayRootCert.crt"),
    };
    writeFileSync(files.key, pem(app.privateKey), { mode: 0o600 });
    writeFileSync(files.app, pki.appCertPem);
    writeFileSync(files.alipay, pki.alipayCertPems[0] as string);
    writeFileSync(files.root, pki.rootBundlePem);
    const env = {
      ALIPAY_PROTOCOL: "openapi",
      ALIPAY_GATEWAY_URL: sandbox.gatewayUrl,
      ALIPAY_APP_ID: APP_ID,
      ALIPAY_PRIVATE_KEY_FILE: files.key,
      ALIPAY_APP_CERT_FILE: files.app,
      ALIPAY_PUBLIC_CERT_FILE: files.alipay,
      ALIPAY_ROOT_CERT_FILE: files.root,
    };
    let stdout = "";
    const io = {
      stdout: (t: string) => (stdout += t),
      stderr: () => undefined,
      env,
      cwd: dir,
    };
    expect(await runCli(["check"], io)).toBe(0);
    expect(stdout).toMatch(/^Alipay key check: OK \(ok\)/);
    expect(stdout).toMatch(/\[ok {2}\] certificates: Certificate mode: app_cert_sn [0-9a-f]{32}/);
    stdout = "";
    expect(
      await runCli(["check"], {
        ...io,
        env: { ...env, ALIPAY_ROOT_CERT_FILE: "" },
      }),
    ).toBe(1);
    expect(stdout).toMatch(/^Alipay key check: FAILED \(cert_missing\)/);
    expect(stdout).toMatch(/ALIPAY_ROOT_CERT_FILE/);
    let stderr = "";
    const next = {
      ...io,
      stderr: (t: string) => (stderr += t),
      env: { ...env, ALIPAY_NEXT_PRIVATE_KEY_FILE: files.key },
    };
    expect(await runCli(["check", "--next"], next)).toBe(2);
    expect(stderr).toMatch(/ALIPAY_NEXT_APP_CERT_FILE: not set/);
  });
});
