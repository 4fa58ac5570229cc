import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPrivateKey } from "@kiosk/alipay-core";
import {
  createTestAlipayPki,
  TEST_GATEWAY_PRIVATE_KEY_PEM,
  TEST_MD5_KEY,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_MERCHANT_PUBLIC_KEY_PEM,
  TEST_PARTNER_ID,
} from "@kiosk/alipay-core/testing";
import { loadSandboxEnv, SandboxEnvError } from "./env.ts";

describe("loadSandboxEnv", () => {
  it("defaults to loopback:4010 and the test keys", () => {
    const env = loadSandboxEnv({});
    expect(env).toMatchObject({
      host: "127.0.0.1",
      port: 4010,
      partnerId: TEST_PARTNER_ID,
      md5Key: TEST_MD5_KEY,
      merchantPublicKeyPem: TEST_MERCHANT_PUBLIC_KEY_PEM,
      gatewayPrivateKeyPem: TEST_GATEWAY_PRIVATE_KEY_PEM,
      slowResponseScale: 1,
      waitingTradeExpiryMs: 3 * 60 * 60 * 1000,
      notifyRetryScheduleMs: undefined,
    });
    expect(env.usingTestKeys).toContain("SANDBOX_MD5_KEY");
  });

  it("treats empty strings as unset", () => {
    expect(loadSandboxEnv({ SANDBOX_PORT: "", SANDBOX_MD5_KEY: "" }).port).toBe(4010);
  });

  it("names the variable in errors", () => {
    expect(() => loadSandboxEnv({ SANDBOX_PORT: "http" })).toThrow(/SANDBOX_PORT/);
    expect(() => loadSandboxEnv({ SANDBOX_PARTNER_ID: "1234" })).toThrow(/SANDBOX_PARTNER_ID/);
    expect(() => loadSandboxEnv({ SANDBOX_MD5_KEY: "short" })).toThrow(/SANDBOX_MD5_KEY/);
    expect(() => loadSandboxEnv({ SANDBOX_GATEWAY_PRIVATE_KEY: "not a key" })).toThrow(/SANDBOX_GATEWAY_PRIVATE_KEY/);
    expect(() => loadSandboxEnv({ SANDBOX_NOTIFY_RETRY_SCHEDULE_SECONDS: "1,x" })).toThrow(
      /SANDBOX_NOTIFY_RETRY_SCHEDULE_SECONDS/,
    );
    expect(() => loadSandboxEnv({ SANDBOX_MD5_KEY_FILE: "/nonexistent/key" })).toThrow(SandboxEnvError);
  });

  it("reads keys from files and parses schedules", () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-env-"));
    const keyFile = join(dir, "gateway.pem");
    writeFileSync(keyFile, TEST_GATEWAY_PRIVATE_KEY_PEM);
    const env = loadSandboxEnv({
      SANDBOX_GATEWAY_PRIVATE_KEY_FILE: keyFile,
      SANDBOX_NOTIFY_RETRY_SCHEDULE_SECONDS: "1,2,3",
      SANDBOX_PORT: "0",
    });
    expect(env.gatewayPrivateKeyPem).toBe(TEST_GATEWAY_PRIVATE_KEY_PEM);
    expect(env.notifyRetryScheduleMs).toEqual([1000, 2000, 3000]);
    expect(env.port).toBe(0);
    expect(env.usingTestKeys).not.toContain("SANDBOX_GATEWAY_PRIVATE_KEY");
    expect(() =>
      loadSandboxEnv({
        SANDBOX_MD5_KEY: TEST_MD5_KEY,
        SANDBOX_MD5_KEY_FILE: keyFile,
      }),
    ).toThrow(/only one/);
  });
});

describe("loadSandboxEnv: public-key certificate mode", () => {
  const dir = mkdtempSync(join(tmpdir(), "sandbox-cert-env-"));
  const pki = createTestAlipayPki({
    appKey: loadPrivateKey(TEST_MERCHANT_PRIVATE_KEY_PEM),
    alipayKeys: [loadPrivateKey(TEST_GATEWAY_PRIVATE_KEY_PEM)],
  });
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const vars = {
    SANDBOX_APP_CERT_FILE: file("app.crt", pki.appCertPem),
    SANDBOX_ALIPAY_CERT_FILE: file("alipay.crt", pki.alipayCertPems[0] as string),
    SANDBOX_ROOT_CERT_FILE: file("root.crt", pki.rootBundlePem),
  };

  it("reads the three certificates; Alipay's certifies the gateway key", () => {
    expect(loadSandboxEnv(vars).certs).toEqual({
      appCertPem: pki.appCertPem,
      alipayCertPem: pki.alipayCertPems[0],
      rootCertPem: pki.rootBundlePem,
    });
    expect(loadSandboxEnv({}).certs).toBeUndefined();
  });

  it.each<[string, Record<string, string | undefined>, RegExp]>([
    ["a missing root", { ...vars, SANDBOX_ROOT_CERT_FILE: undefined }, /SANDBOX_ROOT_CERT/],
    [
      "an Alipay certificate for another key",
      { ...vars, SANDBOX_ALIPAY_CERT_FILE: vars.SANDBOX_APP_CERT_FILE },
      /SANDBOX_ALIPAY_CERT.*SANDBOX_GATEWAY_PRIVATE_KEY/,
    ],
    [
      "a key as the app certificate",
      {
        ...vars,
        SANDBOX_APP_CERT: TEST_MERCHANT_PUBLIC_KEY_PEM,
        SANDBOX_APP_CERT_FILE: undefined,
      },
      /SANDBOX_APP_CERT/,
    ],
  ])("refuses %s, naming the variable", (_name, source, message) => {
    expect(() => loadSandboxEnv(source)).toThrow(SandboxEnvError);
    expect(() => loadSandboxEnv(source)).toThrow(message);
  });
});
