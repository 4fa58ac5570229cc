import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  TEST_GATEWAY_PRIVATE_KEY_PEM,
  TEST_MD5_KEY,
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
    expect(loadSandboxEnv({ SANDBOX_PORT: "", SANDBOX_MD5_KEY: "" }).port).toBe(
      4010,
    );
  });

  it("names the variable in errors", () => {
    expect(() => loadSandboxEnv({ SANDBOX_PORT: "http" })).toThrow(
      /SANDBOX_PORT/,
    );
    expect(() => loadSandboxEnv({ SANDBOX_PARTNER_ID: "1234" })).toThrow(
      /SANDBOX_PARTNER_ID/,
    );
    expect(() => loadSandboxEnv({ SANDBOX_MD5_KEY: "short" })).toThrow(
      /SANDBOX_MD5_KEY/,
    );
    expect(() =>
      loadSandboxEnv({ SANDBOX_GATEWAY_PRIVATE_KEY: "not a key" }),
    ).toThrow(/SANDBOX_GATEWAY_PRIVATE_KEY/);
    expect(() =>
      loadSandboxEnv({ SANDBOX_NOTIFY_RETRY_SCHEDULE_SECONDS: "1,x" }),
    ).toThrow(/SANDBOX_NOTIFY_RETRY_SCHEDULE_SECONDS/);
    expect(() =>
      loadSandboxEnv({ SANDBOX_MD5_KEY_FILE: "/nonexistent/key" }),
    ).toThrow(SandboxEnvError);
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
