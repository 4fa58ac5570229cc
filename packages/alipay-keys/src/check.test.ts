/**
 * The key check against the real sandbox gateway (in-process, port 0): generated keys pass,
 * then each piece is broken in turn and must get its own diagnosis.
 */
import {
  AlipayGatewayError,
  AlipayNetworkError,
  AlipaySignatureError,
  FetchTransport,
  generateRsaKeyPair,
} from "@kiosk/alipay-core";
import { startSandbox, type RunningSandbox } from "@kiosk/alipay-sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkKeys, classifyGatewayError, type KeyCheckConfig } from "./check.ts";
import { DIAGNOSIS_CODES, diagnosisFor } from "./diagnoses.ts";
import { generateKeyPair, publicKeyForPortal, type GeneratedKeyPair } from "./keys.ts";
import { createPrivateKey } from "node:crypto";

const PARTNER_ID = "2088000000009999";
const MD5_KEY = "k3yf0rthek10skch3ckt3st000000001";
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

let merchant: GeneratedKeyPair;
let otherMerchant: GeneratedKeyPair;
let gateway: ReturnType<typeof generateRsaKeyPair>;
let sandbox: RunningSandbox;

function toPkcs1(pem: string): string {
  return createPrivateKey(pem).export({ type: "pkcs1", format: "pem" }).toString();
}

function rsaConfig(overrides: Partial<KeyCheckConfig> = {}): KeyCheckConfig {
  return {
    protocol: "mapi",
    gatewayUrl: sandbox.gatewayUrl,
    partnerId: PARTNER_ID,
    signType: "RSA2",
    privateKey: merchant.privateKeyPem,
    // As Alipay's portal shows it: one line of base64.
    alipayPublicKey: gateway.publicKeyBase64,
    ...overrides,
  };
}

/** Every text the check produced, to assert that no key material leaks into it. */
function allText(result: Awaited<ReturnType<typeof checkKeys>>): string {
  return JSON.stringify(result);
}

function bodyOf(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
}

beforeAll(async () => {
  merchant = generateKeyPair();
  otherMerchant = generateKeyPair();
  gateway = generateRsaKeyPair();
  sandbox = await startSandbox({
    port: 0,
    tickIntervalMs: 0,
    logger: quiet,
    // The merchant registers the public key exactly as `alipay-keys generate` prints it.
    partners: [{ partnerId: PARTNER_ID, md5Key: MD5_KEY, rsaPublicKey: publicKeyForPortal(merchant.publicKeyPem) }],
    gatewayPrivateKey: gateway.privateKeyPem,
  });
});

afterAll(async () => {
  await sandbox?.close();
});

describe("checkKeys against the sandbox", () => {
  it("passes with generated keys registered with the gateway", async () => {
    const result = await checkKeys(rsaConfig());
    expect(result.diagnosis.code).toBe("ok");
    expect(result.ok).toBe(true);
    expect(result.steps.map((s) => [s.name, s.status])).toEqual([
      ["config", "pass"],
      ["private_key_format", "pass"],
      ["alipay_public_key_format", "pass"],
      ["gateway_query", "pass"],
      ["clock", "pass"],
    ]);
    expect(result.fingerprints.privateKey).toBe(merchant.fingerprint);
    expect(allText(result)).not.toContain(bodyOf(merchant.privateKeyPem).slice(0, 40));
  });

  it("warns (without failing) for each attraction that lacks a secondary merchant id or store id", async () => {
    const result = await checkKeys(
      rsaConfig({
        merchantFields: [
          { scope: "Skyline", secondaryMerchantId: "SKY_2088", storeId: "SKY-1" },
          { scope: "Museum", secondaryMerchantId: null, storeId: "MUS-1" },
          { scope: "Harbour", secondaryMerchantId: null, storeId: null },
        ],
      }),
    );
    expect(result.ok).toBe(true);
    expect(result.diagnosis.code).toBe("ok");
    const step = result.steps.find((s) => s.name === "merchant_fields");
    expect(step?.status).toBe("warn");
    expect(step?.detail).toContain("Museum: secondary_merchant_id");
    expect(step?.detail).toContain("Harbour: secondary_merchant_id, store_id");
    expect(step?.detail).not.toContain("Skyline");
    const complete = await checkKeys(
      rsaConfig({ merchantFields: [{ scope: "Skyline", secondaryMerchantId: "SKY_2088", storeId: "SKY-1" }] }),
    );
    expect(complete.steps.find((s) => s.name === "merchant_fields")?.status).toBe("pass");
  });

  it("passes with an MD5 key", async () => {
    const result = await checkKeys(
      rsaConfig({ signType: "MD5", md5Key: MD5_KEY, privateKey: undefined, alipayPublicKey: undefined }),
    );
    expect(result.diagnosis.code).toBe("ok");
  });

  it("swapped pair: a private key from another pair → pair_mismatch (the gateway says ILLEGAL_SIGN)", async () => {
    const result = await checkKeys(rsaConfig({ privateKey: otherMerchant.privateKeyPem }));
    expect(result.ok).toBe(false);
    expect(result.diagnosis.code).toBe("pair_mismatch");
    expect(result.diagnosis.title).toMatch(/does not match the public key Alipay has/);
    expect(result.diagnosis.action).toMatch(/alipay-keys public-key/);
    expect(result.steps.find((s) => s.name === "gateway_query")?.detail).toMatch(/ILLEGAL_SIGN/);
    expect(allText(result)).not.toContain(bodyOf(otherMerchant.privateKeyPem).slice(0, 40));
  });

  it("swapped pair found locally when the uploaded public key is given", async () => {
    const result = await checkKeys(
      rsaConfig({ privateKey: otherMerchant.privateKeyPem, uploadedPublicKey: merchant.publicKeyForPortal }),
    );
    expect(result.diagnosis.code).toBe("pair_mismatch");
    expect(result.steps.find((s) => s.name === "local_pair")).toMatchObject({ status: "fail", code: "pair_mismatch" });
    expect(result.fingerprints).toMatchObject({
      privateKey: otherMerchant.fingerprint,
      uploadedPublicKey: merchant.fingerprint,
    });
  });

  it("PKCS#1 where PKCS#8 is expected → wrong_format, and the gateway step still shows the pair itself is right", async () => {
    const result = await checkKeys(rsaConfig({ privateKey: toPkcs1(merchant.privateKeyPem) }));
    expect(result.ok).toBe(false);
    expect(result.diagnosis.code).toBe("wrong_format");
    expect(result.diagnosis.explanation).toMatch(/PKCS#8/);
    const format = result.steps.find((s) => s.name === "private_key_format");
    expect(format).toMatchObject({ status: "fail", code: "wrong_format" });
    expect(format?.detail).toMatch(/PKCS#1 \(BEGIN RSA PRIVATE KEY\)/);
    expect(result.steps.find((s) => s.name === "gateway_query")?.status).toBe("pass");
  });

  it("PKCS#1 as bare base64 (which the server cannot read) → wrong_format", async () => {
    const result = await checkKeys(rsaConfig({ privateKey: bodyOf(toPkcs1(merchant.privateKeyPem)) }));
    expect(result.diagnosis.code).toBe("wrong_format");
  });

  it("base64 damaged by copy-and-paste → wrong_format, no gateway call", async () => {
    const body = bodyOf(merchant.privateKeyPem);
    const result = await checkKeys(
      rsaConfig({ privateKey: `-----BEGIN PRIVATE KEY-----\n${body.slice(0, 300)}\n-----END PRIVATE KEY-----` }),
    );
    expect(result.diagnosis.code).toBe("wrong_format");
    expect(result.steps.find((s) => s.name === "gateway_query")?.status).toBe("skip");
  });

  it("a PEM whose line breaks became spaces or literal \\n still works, with a warning", async () => {
    const flattened = merchant.privateKeyPem.replace(/\n/g, " ");
    const escaped = merchant.privateKeyPem.replace(/\n/g, "\\n");
    for (const privateKey of [flattened, escaped]) {
      const result = await checkKeys(rsaConfig({ privateKey }));
      expect(result.diagnosis.code).toBe("ok");
      expect(result.steps.find((s) => s.name === "private_key_format")?.status).toBe("warn");
    }
  });

  it("wrong MD5 key → md5_key_wrong", async () => {
    const result = await checkKeys(
      rsaConfig({ signType: "MD5", md5Key: "x".repeat(32), privateKey: undefined, alipayPublicKey: undefined }),
    );
    expect(result.diagnosis.code).toBe("md5_key_wrong");
    expect(result.diagnosis.explanation).toMatch(/ALIPAY_MD5_KEY/);
    expect(allText(result)).not.toContain("x".repeat(32));
  });

  it("wrong gateway public key → gateway_key_mismatch", async () => {
    const result = await checkKeys(rsaConfig({ alipayPublicKey: generateRsaKeyPair().publicKeyBase64 }));
    expect(result.diagnosis.code).toBe("gateway_key_mismatch");
    expect(result.steps.find((s) => s.name === "gateway_query")?.detail).toMatch(/accepted the request's signature/);
  });

  it("our own public key configured as Alipay's → gateway_key_mismatch found locally", async () => {
    const result = await checkKeys(rsaConfig({ alipayPublicKey: merchant.publicKeyForPortal }));
    expect(result.diagnosis.code).toBe("gateway_key_mismatch");
    expect(result.steps.find((s) => s.name === "local_pair")?.detail).toMatch(
      /public half of the kiosk's own private key/,
    );
  });

  it("a private key where Alipay's public key belongs → wrong_format", async () => {
    const result = await checkKeys(rsaConfig({ alipayPublicKey: otherMerchant.privateKeyPem }));
    expect(result.diagnosis.code).toBe("wrong_format");
  });

  it("unknown partner → partner_unknown", async () => {
    const result = await checkKeys(rsaConfig({ partnerId: "2088000000000001" }));
    expect(result.diagnosis.code).toBe("partner_unknown");
  });

  it("this machine's clock an hour ahead of the gateway → clock_skew", async () => {
    const result = await checkKeys(rsaConfig(), { now: () => Date.now() + 3_600_000 });
    expect(result.diagnosis.code).toBe("clock_skew");
    expect(result.steps.find((s) => s.name === "clock")?.detail).toMatch(/36\d\d s ahead/);
  });

  it("nothing listening → gateway_unreachable", async () => {
    const result = await checkKeys(rsaConfig({ gatewayUrl: "http://127.0.0.1:1/gateway.do" }), { timeoutMs: 2000 });
    expect(result.diagnosis.code).toBe("gateway_unreachable");
  });

  it("missing keys → config_missing", async () => {
    const result = await checkKeys(rsaConfig({ privateKey: undefined }));
    expect(result.diagnosis.code).toBe("config_missing");
    expect(result.steps[0]?.detail).toMatch(/ALIPAY_PRIVATE_KEY/);
  });

  it("uses the given transport", async () => {
    let calls = 0;
    const inner = new FetchTransport();
    await checkKeys(rsaConfig(), { transport: { request: (r) => (calls++, inner.request(r)) } });
    expect(calls).toBe(1);
  });
});

describe("classifyGatewayError", () => {
  const gw = (gatewayCode: string, subCode?: string) =>
    new AlipayGatewayError("x", { gatewayCode, isRetryable: false, ...(subCode ? { subCode } : {}) });
  it.each([
    [gw("ILLEGAL_SIGN"), "RSA2", "pair_mismatch"],
    [gw("ILLEGAL_SIGN"), "MD5", "md5_key_wrong"],
    [gw("40002", "isv.invalid-signature"), "RSA2", "pair_mismatch"],
    [gw("ILLEGAL_PARTNER"), "RSA2", "partner_unknown"],
    [gw("40002", "isv.invalid-app-id"), "RSA2", "partner_unknown"],
    [gw("ILLEGAL_SIGN_TYPE"), "RSA2", "sign_type_rejected"],
    [gw("ILLEGAL_CHARSET"), "RSA2", "charset"],
    [gw("40002", "isv.invalid-charset"), "RSA2", "charset"],
    [gw("40002", "isv.invalid-timestamp"), "RSA2", "clock_skew"],
    [gw("SYSTEM_ERROR"), "RSA2", "gateway_unreachable"],
    [new AlipaySignatureError("x", { reason: "bad_sign" }), "RSA2", "gateway_key_mismatch"],
    [new AlipaySignatureError("x", { reason: "sign_type_mismatch" }), "RSA2", "sign_type_rejected"],
    [new AlipayNetworkError("x", { isRequestSent: false }), "RSA2", "gateway_unreachable"],
  ] as const)("%s with %s → %s", (error, signType, code) => {
    expect(classifyGatewayError(error, signType).code).toBe(code);
  });

  it("has a title, explanation and action for every code", () => {
    for (const code of DIAGNOSIS_CODES) {
      const d = diagnosisFor(code);
      expect(d.title.length).toBeGreaterThan(10);
      expect(d.explanation.length).toBeGreaterThan(80);
      expect(d.action.length).toBeGreaterThan(10);
    }
  });
});
