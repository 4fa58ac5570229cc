import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_GATEWAY_PUBLIC_KEY_PEM, TEST_MERCHANT_PRIVATE_KEY_PEM } from "@kiosk/alipay-core/testing";
import { describe, expect, it } from "vitest";
import { moneyPolicyOf } from "./app-services.ts";
import { EnvError, findRepoRoot, getBridgeUrl, getHeaderConfig, parseEnv } from "./env.ts";

const ROOT = "/srv/kiosk";
const parse = (source: Record<string, string | undefined>) => parseEnv(source, { repoRoot: ROOT });

describe("env", () => {
  it("works with no configuration: SQLite under <repo>/data, the local sandbox and the test keys", () => {
    const env = parse({});
    expect(env.databaseUrl).toBe(`file:${ROOT}/data/kiosk.db`);
    expect(env.ticketKeysDir).toBe(`${ROOT}/data/keys`);
    expect(env.alipay).toMatchObject({
      env: "sandbox",
      protocol: "mapi",
      gatewayUrl: "http://127.0.0.1:4010/gateway.do",
      signType: "RSA2",
      isUsingTestKeys: true,
      partnerId: "2088101122136241",
    });
    expect(env.alipay.privateKeyPem).toContain("BEGIN PRIVATE KEY");
    expect(env.alipay.notifyUrl).toBe("http://127.0.0.1:3000/api/alipay/notify");
    expect(env).toMatchObject({
      port: 3000,
      host: "127.0.0.1",
      worker: "inline",
      sessionTtlMinutes: 480,
      sessionMaxHours: 12,
      trustedProxies: [],
      auditRetentionDays: 730,
      isSecureCookies: false,
    });
  });

  it("resolves a relative SQLite path against the repository root, not the working directory", () => {
    expect(parse({ DATABASE_URL: "file:./var/k.db" }).databaseUrl).toBe(`file:${ROOT}/var/k.db`);
    expect(parse({ DATABASE_URL: "postgresql://u:p@db:5432/kiosk" }).databaseUrl).toBe(
      "postgresql://u:p@db:5432/kiosk",
    );
  });

  it("finds the repository root from a nested folder", () => {
    expect(findRepoRoot([import.meta.dirname])).toMatch(/\/main$|\/[^/]+$/);
    expect(findRepoRoot([import.meta.dirname])).toBe(join(import.meta.dirname, "../../.."));
  });

  it("names the variable in every error", () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ PORT: "eighty" }, "PORT"],
      [{ PORT: "70000" }, "PORT"],
      [{ DATABASE_URL: "mysql://x" }, "DATABASE_URL"],
      [{ ALIPAY_PROTOCOL: "soap" }, "ALIPAY_PROTOCOL"],
      [{ ALIPAY_SIGN_TYPE: "SHA1" }, "ALIPAY_SIGN_TYPE"],
      [{ ALIPAY_PROTOCOL: "openapi", ALIPAY_SIGN_TYPE: "MD5" }, "ALIPAY_SIGN_TYPE"],
      [{ ALIPAY_PARTNER_ID: "1234" }, "ALIPAY_PARTNER_ID"],
      [{ WORKER: "separate" }, "WORKER"],
      [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
      [{ SESSION_TTL_MINUTES: "1" }, "SESSION_TTL_MINUTES"],
      [{ SESSION_MAX_HOURS: "0" }, "SESSION_MAX_HOURS"],
      [{ TRUSTED_PROXIES: "10.0.0.0/8, nginx" }, "TRUSTED_PROXIES"],
      [{ TRUSTED_PROXIES: "10.0.0.0/33" }, "TRUSTED_PROXIES"],
      [{ AUDIT_RETENTION_DAYS: "1" }, "AUDIT_RETENTION_DAYS"],
      [{ INSTANCE_ID: "two words" }, "INSTANCE_ID"],
      [{ ORDER_HOLD_SECONDS: "5" }, "ORDER_HOLD_SECONDS"],
      [{ PAYMENT_DEADLINE_SECONDS: "9999" }, "PAYMENT_DEADLINE_SECONDS"],
      [{ PUBLIC_URL: "not a url" }, "PUBLIC_URL"],
      [{ ALIPAY_PRIVATE_KEY_FILE: "/nonexistent/key.pem" }, "ALIPAY_PRIVATE_KEY_FILE"],
      [{ ALIPAY_PRIVATE_KEY: "x", ALIPAY_PRIVATE_KEY_FILE: "/y" }, "ALIPAY_PRIVATE_KEY"],
      [{ ALIPAY_ENV: "live" }, "ALIPAY_PARTNER_ID"],
    ];
    for (const [source, variable] of cases) {
      expect(() => parse(source), JSON.stringify(source)).toThrow(EnvError);
      expect(() => parse(source), JSON.stringify(source)).toThrow(new RegExp(`^Invalid environment: ${variable}:`));
    }
  });

  it("tunes the hold, the payment deadline and the lease owner name for tests and drills", () => {
    expect(parse({})).toMatchObject({ instanceId: null, orderHoldMs: 300_000, paymentDeadlineMs: null });
    expect(parse({ INSTANCE_ID: "api-1", ORDER_HOLD_SECONDS: "20", PAYMENT_DEADLINE_SECONDS: "15" })).toMatchObject({
      instanceId: "api-1",
      orderHoldMs: 20_000,
      paymentDeadlineMs: 15_000,
    });
  });

  it("treats empty strings as unset", () => {
    expect(parse({ PORT: "", DATABASE_URL: " " }).port).toBe(3000);
  });

  const live = {
    NODE_ENV: "production",
    ALIPAY_ENV: "live",
    ALIPAY_PARTNER_ID: "2088000000000001",
    ALIPAY_GATEWAY_URL: "https://intlmapi.alipay.com/gateway.do",
    PUBLIC_URL: "https://tickets.example.com",
  };

  it("refuses the public test keys in production with live Alipay", () => {
    expect(() =>
      parse({
        ...live,
        ALIPAY_PRIVATE_KEY: TEST_MERCHANT_PRIVATE_KEY_PEM,
        ALIPAY_PUBLIC_KEY: "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzz",
      }),
    ).toThrow(/ALIPAY_PRIVATE_KEY: is the public test value/);
    expect(() =>
      parse({
        ...live,
        ALIPAY_PRIVATE_KEY: "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ",
        ALIPAY_PUBLIC_KEY: TEST_GATEWAY_PUBLIC_KEY_PEM,
      }),
    ).toThrow(/ALIPAY_PUBLIC_KEY: is the public test value/);
    expect(() =>
      parse({
        ...live,
        ALIPAY_PARTNER_ID: "2088101122136241",
        ALIPAY_PRIVATE_KEY: "MIIEvQ",
        ALIPAY_PUBLIC_KEY: "MIIBIj",
      }),
    ).toThrow(/ALIPAY_PARTNER_ID: is the public test value/);
    expect(() => parse({ ...live, ALIPAY_PRIVATE_KEY: "MIIEvQ" })).toThrow(/ALIPAY_PUBLIC_KEY: required/);
    expect(() =>
      parse({
        ...live,
        ALIPAY_GATEWAY_URL: "http://intlmapi.alipay.com/gateway.do",
        ALIPAY_PRIVATE_KEY: "a",
        ALIPAY_PUBLIC_KEY: "b",
      }),
    ).toThrow(/ALIPAY_GATEWAY_URL: must be https/);
  });

  it("accepts live credentials from files, as bare base64 turned into PEM", () => {
    const dir = mkdtempSync(join(tmpdir(), "kiosk-env-"));
    writeFileSync(join(dir, "app.key"), "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ\n");
    writeFileSync(join(dir, "alipay.pub"), "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzz\n");
    const env = parse({
      ...live,
      ALIPAY_PRIVATE_KEY_FILE: join(dir, "app.key"),
      ALIPAY_PUBLIC_KEY_FILE: join(dir, "alipay.pub"),
      ALIPAY_STORE_ID: "store_1",
      ALIPAY_TERMINAL_ID: "t1",
    });
    expect(env.alipay).toMatchObject({
      env: "live",
      isUsingTestKeys: false,
      notifyUrl: "https://tickets.example.com/api/alipay/notify",
      storeId: "store_1",
      terminalId: "t1",
    });
    expect(env.alipay.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\nMIIEvQ/);
    expect(env.isSecureCookies).toBe(true);
  });

  it("allows the sandbox with test keys in production (npm start)", () => {
    expect(parse({ NODE_ENV: "production" }).alipay.isUsingTestKeys).toBe(true);
  });

  it("holds refunds in Alipay's nightly window on a live gateway only; ALIPAY_REFUND_PAUSE overrides", () => {
    // Our sandbox refunds at any hour: with the window on, every refund a test or a demo asks for
    // between 16:00 and 17:30 UTC would wait until 17:30 (issue 16's CI failure).
    expect(parse({}).alipay.refundPauseWindow).toBeNull();
    const liveKeys = { ...live, ALIPAY_PRIVATE_KEY: "MIIEvQ", ALIPAY_PUBLIC_KEY: "MIIBIj" };
    expect(parse(liveKeys).alipay.refundPauseWindow).toEqual({
      startMinute: 0,
      endMinute: 90,
      utcOffsetMinutes: 480,
      jitterMaxMs: 300_000,
    });
    // The server's payment policy takes the setting (the services' own default keeps the window).
    expect(moneyPolicyOf(parse({})).refundPauseWindow).toBeNull();
    expect(moneyPolicyOf(parse(liveKeys)).refundPauseWindow).toEqual(parse(liveKeys).alipay.refundPauseWindow);
    expect(parse({ ...liveKeys, ALIPAY_REFUND_PAUSE: "off" }).alipay.refundPauseWindow).toBeNull();
    expect(parse({ ALIPAY_REFUND_PAUSE: "23:30-23:59-05:00" }).alipay.refundPauseWindow).toEqual({
      startMinute: 23 * 60 + 30,
      endMinute: 23 * 60 + 59,
      utcOffsetMinutes: -300,
      jitterMaxMs: 300_000,
    });
    for (const bad of ["00:00-01:30", "01:30-00:00+08:00", "25:00-26:00+08:00", "on", "00:00-01:30+15:00"])
      expect(() => parse({ ALIPAY_REFUND_PAUSE: bad }), bad).toThrow(/ALIPAY_REFUND_PAUSE/);
  });
});

// Read for every response's security headers, so the parse is remembered: it must still follow a change and refuse bad values every time.
describe("getBridgeUrl / getHeaderConfig", () => {
  it("follows the variable as it changes and refuses a bad value on every call", () => {
    expect(getBridgeUrl({})).toBe("ws://127.0.0.1:7878");
    expect(getBridgeUrl({ BRIDGE_URL: "wss://bridge.example:7878" })).toBe("wss://bridge.example:7878");
    expect(getBridgeUrl({ BRIDGE_URL: "wss://bridge.example:7878" })).toBe("wss://bridge.example:7878");
    for (let i = 0; i < 2; i++) expect(() => getBridgeUrl({ BRIDGE_URL: "http://bridge.example" })).toThrow(EnvError);
    expect(getBridgeUrl({ BRIDGE_URL: "" })).toBe("ws://127.0.0.1:7878");
    expect(
      getHeaderConfig({ BRIDGE_URL: "ws://10.0.0.9:7878", PUBLIC_URL: " https://k.example ", NODE_ENV: "production" }),
    ).toEqual({
      bridgeUrl: "ws://10.0.0.9:7878",
      publicUrl: "https://k.example",
      isDevelopment: false,
    });
  });
});
