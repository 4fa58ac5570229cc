import { createAlipayClient } from "@kiosk/alipay-core";
import { TEST_ANTOM_CLIENT_ID } from "@kiosk/alipay-core/testing";
import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "./env.ts";
import { alipayClientConfig } from "./app-services.ts";

const parse = (source: Record<string, string | undefined>) => parseEnv(source, { repoRoot: "/srv/kiosk" });

describe("env: ALIPAY_PROTOCOL=antom", () => {
  it("sandbox defaults: the test client id, key version 1, the sandbox's domain, the test keys", () => {
    const env = parse({ ALIPAY_PROTOCOL: "antom" });
    expect(env.alipay).toMatchObject({
      protocol: "antom",
      gatewayUrl: "http://127.0.0.1:4010",
      antom: { clientId: TEST_ANTOM_CLIENT_ID, keyVersion: "1" },
      isUsingTestKeys: true,
    });
    const config = alipayClientConfig(env);
    expect(config).toMatchObject({ protocol: "antom", clientId: TEST_ANTOM_CLIENT_ID, keyVersion: "1" });
    expect(createAlipayClient(config).protocol).toBe("antom");
  });

  it("takes the client id and key version; a gateway URL with a path is named as the problem", () => {
    const env = parse({
      ALIPAY_PROTOCOL: "antom",
      ALIPAY_ANTOM_CLIENT_ID: "SANDBOX_ABC123",
      ALIPAY_ANTOM_KEY_VERSION: "3",
      ALIPAY_GATEWAY_URL: "https://open-sea-global.alipay.com",
    });
    expect(env.alipay).toMatchObject({
      gatewayUrl: "https://open-sea-global.alipay.com",
      antom: { clientId: "SANDBOX_ABC123", keyVersion: "3" },
    });
    expect(() =>
      parse({ ALIPAY_PROTOCOL: "antom", ALIPAY_GATEWAY_URL: "https://open-sea-global.alipay.com/ams/api" }),
    ).toThrow(/ALIPAY_GATEWAY_URL: .*domain only/);
    expect(() => parse({ ALIPAY_PROTOCOL: "antom", ALIPAY_SIGN_TYPE: "MD5" })).toThrow(/ALIPAY_SIGN_TYPE/);
    expect(() => parse({ ALIPAY_PROTOCOL: "antom", ALIPAY_ANTOM_CLIENT_ID: "bad id!" })).toThrow(
      /ALIPAY_ANTOM_CLIENT_ID/,
    );
  });

  it("takes the accepted Alipay+ wallets as a comma list of known codes and names an unknown one", () => {
    expect(parse({ ALIPAY_PROTOCOL: "antom" }).alipay.antom?.wallets).toBeUndefined();
    expect(
      parse({ ALIPAY_PROTOCOL: "antom", ALIPAY_ANTOM_WALLETS: " GCASH, dana ,ALIPAY_CN" }).alipay.antom?.wallets,
    ).toEqual(["GCASH", "DANA", "ALIPAY_CN"]);
    expect(() => parse({ ALIPAY_PROTOCOL: "antom", ALIPAY_ANTOM_WALLETS: "GCASH,PAYPAL" })).toThrow(
      /ALIPAY_ANTOM_WALLETS: .*PAYPAL/,
    );
  });

  it("takes Antom's SFTP server for the settlement report; the host needs a user and a key file or password", () => {
    expect(alipayClientConfig(parse({ ALIPAY_PROTOCOL: "antom" }))).not.toHaveProperty("sftp");
    const env = parse({
      ALIPAY_PROTOCOL: "antom",
      ALIPAY_ANTOM_SFTP_HOST: "isftp.alipay.com",
      ALIPAY_ANTOM_SFTP_USER: "kiosk01",
      ALIPAY_ANTOM_SFTP_KEY_FILE: "secrets/antom-sftp",
      ALIPAY_ANTOM_SFTP_HOST_KEY_SHA256: `SHA256:${"a".repeat(43)}`,
      ALIPAY_ANTOM_SFTP_DIR: "/download/reports",
    });
    expect(alipayClientConfig(env)).toMatchObject({
      sftp: {
        host: "isftp.alipay.com",
        port: 22,
        username: "kiosk01",
        privateKeyFile: "/srv/kiosk/secrets/antom-sftp",
        hostKeySha256: `SHA256:${"a".repeat(43)}`,
        directory: "/download/reports",
      },
    });
    expect(() => parse({ ALIPAY_PROTOCOL: "antom", ALIPAY_ANTOM_SFTP_HOST: "isftp.alipay.com" })).toThrow(
      /ALIPAY_ANTOM_SFTP_USER/,
    );
    expect(() =>
      parse({ ALIPAY_PROTOCOL: "antom", ALIPAY_ANTOM_SFTP_HOST: "isftp.alipay.com", ALIPAY_ANTOM_SFTP_USER: "u" }),
    ).toThrow(/ALIPAY_ANTOM_SFTP_KEY_FILE/);
  });

  it("live: the client id is required and nothing defaults to a test value", () => {
    expect(() =>
      parse({
        ALIPAY_ENV: "live",
        ALIPAY_PROTOCOL: "antom",
        ALIPAY_GATEWAY_URL: "https://open-sea-global.alipay.com",
        PUBLIC_URL: "https://kiosk.example",
      }),
    ).toThrow(EnvError);
    expect(() =>
      parse({
        ALIPAY_ENV: "live",
        ALIPAY_PROTOCOL: "antom",
        ALIPAY_GATEWAY_URL: "https://open-sea-global.alipay.com",
        PUBLIC_URL: "https://kiosk.example",
      }),
    ).toThrow(/ALIPAY_ANTOM_CLIENT_ID/);
  });
});
