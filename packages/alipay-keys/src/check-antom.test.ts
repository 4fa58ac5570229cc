/**
 * The key check for ALIPAY_PROTOCOL=antom against the sandbox's Antom gateway: generated keys
 * pass; a wrong private key, Antom's key swapped for our own, an unknown client id and a
 * missing client id each get their own plain-words diagnosis.
 */
import { generateRsaKeyPair } from "@kiosk/alipay-core";
import { startSandbox, type RunningSandbox } from "@kiosk/alipay-sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkKeys, type KeyCheckConfig } from "./check.ts";
import { checkConfigFromEnv } from "./env.ts";
import { generateKeyPair, publicKeyForPortal, type GeneratedKeyPair } from "./keys.ts";

const CLIENT_ID = "SANDBOX_KEYCHECK_01";
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

let merchant: GeneratedKeyPair;
let otherMerchant: GeneratedKeyPair;
let antom: ReturnType<typeof generateRsaKeyPair>;
let sandbox: RunningSandbox;

beforeAll(async () => {
  merchant = generateKeyPair();
  otherMerchant = generateKeyPair();
  antom = generateRsaKeyPair();
  sandbox = await startSandbox({
    port: 0,
    tickIntervalMs: 0,
    logger: quiet,
    antomClients: [{ clientId: CLIENT_ID, rsaPublicKey: publicKeyForPortal(merchant.publicKeyPem) }],
    gatewayPrivateKey: antom.privateKeyPem,
  });
});

afterAll(async () => {
  await sandbox?.close();
});

function antomConfig(overrides: Partial<KeyCheckConfig> = {}): KeyCheckConfig {
  return {
    protocol: "antom",
    gatewayUrl: sandbox.url,
    clientId: CLIENT_ID,
    keyVersion: "1",
    signType: "RSA2",
    privateKey: merchant.privateKeyPem,
    alipayPublicKey: antom.publicKeyBase64,
    ...overrides,
  };
}

describe("checkKeys with ALIPAY_PROTOCOL=antom", () => {
  it("passes with generated keys registered with the Antom gateway", async () => {
    const result = await checkKeys(antomConfig());
    expect(result.diagnosis.code).toBe("ok");
    expect(result.steps.find((s) => s.name === "config")?.detail).toContain(`Client ${CLIENT_ID}`);
    expect(result.steps.find((s) => s.name === "gateway_query")?.status).toBe("pass");
  });

  it("another private key: the gateway rejects the signature → pair_mismatch", async () => {
    const result = await checkKeys(antomConfig({ privateKey: otherMerchant.privateKeyPem }));
    expect(result.diagnosis.code).toBe("pair_mismatch");
    expect(JSON.stringify(result)).not.toContain(otherMerchant.privateKeyPem.split("\n")[1] as string);
  });

  it("our own public key where Antom's belongs → gateway_key_mismatch, found locally", async () => {
    const result = await checkKeys(antomConfig({ alipayPublicKey: merchant.publicKeyPem }));
    expect(result.diagnosis.code).toBe("gateway_key_mismatch");
  });

  it("a client id Antom does not know → partner_unknown, naming the client id", async () => {
    const result = await checkKeys(antomConfig({ clientId: "SANDBOX_NOBODY" }));
    expect(result.diagnosis.code).toBe("partner_unknown");
    expect(result.diagnosis.action).toContain("ALIPAY_ANTOM_CLIENT_ID");
  });

  it("no client id → config_missing naming ALIPAY_ANTOM_CLIENT_ID; MD5 is refused for Antom", async () => {
    const missing = await checkKeys(antomConfig({ clientId: undefined }));
    expect(missing.diagnosis.code).toBe("config_missing");
    expect(missing.steps[0]?.detail).toContain("ALIPAY_ANTOM_CLIENT_ID");
    const md5 = await checkKeys(antomConfig({ signType: "MD5", md5Key: "x".repeat(32) }));
    expect(md5.diagnosis.code).toBe("config_missing");
    expect(md5.steps[0]?.detail).toContain("RSA256");
  });

  it("the CLI reads ALIPAY_PROTOCOL=antom, ALIPAY_ANTOM_CLIENT_ID and ALIPAY_ANTOM_KEY_VERSION", () => {
    const config = checkConfigFromEnv(
      {
        ALIPAY_PROTOCOL: "antom",
        ALIPAY_ANTOM_CLIENT_ID: CLIENT_ID,
        ALIPAY_ANTOM_KEY_VERSION: "2",
        ALIPAY_GATEWAY_URL: "https://open-sea-global.alipay.com",
        ALIPAY_PRIVATE_KEY: merchant.privateKeyPem,
        ALIPAY_PUBLIC_KEY: antom.publicKeyBase64,
      },
      { baseDir: "/tmp" },
    );
    expect(config).toMatchObject({ protocol: "antom", clientId: CLIENT_ID, keyVersion: "2" });
  });
});
