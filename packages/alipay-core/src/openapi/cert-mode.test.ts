import type { KeyObject } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalGateway, type LocalGateway } from "../__tests__/local-gateway.ts";
import { AlipayCertificateError, parseAlipayCertificate, rootCertificateSn } from "../certs.ts";
import { OpenApiClient } from "./client.ts";
import type { OpenApiConfig } from "./config.ts";
import { AlipayConfigError, AlipaySignatureError } from "../errors.ts";
import { loadPrivateKey, signContent, signParams } from "../signing.ts";
import {
  createTestAlipayPki,
  FakeClock,
  TEST_APP_ID,
  TEST_GATEWAY_PRIVATE_KEY_PEM,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  testRsaKeyPair,
} from "../testing/index.ts";

const next = testRsaKeyPair();
const stranger = testRsaKeyPair();
const pki = createTestAlipayPki({
  appKey: loadPrivateKey(TEST_MERCHANT_PRIVATE_KEY_PEM),
  alipayKeys: [loadPrivateKey(TEST_GATEWAY_PRIVATE_KEY_PEM), next.privateKey, stranger.privateKey],
});
const [CURRENT_PEM, NEXT_PEM, STRANGER_PEM] = pki.alipayCertPems as [string, string, string];
const sn = (pem: string): string => parseAlipayCertificate(pem).sn;

let gw: LocalGateway;
/** The Alipay key and SN the gateway answers with. */
let answerWith: { key: string | KeyObject; certSn: string | undefined } = {
  key: TEST_GATEWAY_PRIVATE_KEY_PEM,
  certSn: undefined,
};

beforeAll(async () => {
  gw = await startLocalGateway((r) => {
    const json = JSON.stringify({
      code: "10000",
      msg: "Success",
      out_trade_no: r.params["out_trade_no"] ?? "T1",
      trade_status: "WAIT_BUYER_PAY",
    });
    const sign = signContent(json, {
      signType: "RSA2",
      privateKey: answerWith.key,
    });
    const certSn = answerWith.certSn === undefined ? "" : `,"alipay_cert_sn":"${answerWith.certSn}"`;
    return {
      contentType: "application/json",
      body: `{"alipay_trade_query_response":${json}${certSn},"sign":"${sign}"}`,
    };
  });
});
afterAll(() => gw.close());

function config(overrides: Partial<OpenApiConfig> = {}): OpenApiConfig {
  return {
    protocol: "openapi",
    gatewayUrl: gw.url,
    appId: TEST_APP_ID,
    privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
    appCert: pki.appCertPem,
    alipayCert: CURRENT_PEM,
    alipayRootCert: pki.rootBundlePem,
    ...overrides,
  } as OpenApiConfig;
}

const query = (client: OpenApiClient): Promise<unknown> => client.query({ partnerTransId: "T1", currency: "CNY" });

describe("OpenApiClient in certificate mode", () => {
  it("sends app_cert_sn and alipay_root_cert_sn, signed", async () => {
    answerWith = { key: TEST_GATEWAY_PRIVATE_KEY_PEM, certSn: sn(CURRENT_PEM) };
    const client = new OpenApiClient(config(), {
      clock: new FakeClock({ startMs: Date.UTC(2024, 0, 1) }),
    });
    await expect(query(client)).resolves.toMatchObject({
      status: "waiting_buyer",
    });
    const sent = gw.requests.at(-1)?.params ?? {};
    expect(sent["app_cert_sn"]).toBe(sn(pki.appCertPem));
    expect(sent["alipay_root_cert_sn"]).toBe(rootCertificateSn(pki.rootBundlePem));
    expect(client.certSns).toEqual({
      appCertSn: sn(pki.appCertPem),
      alipayRootCertSn: rootCertificateSn(pki.rootBundlePem),
      alipayCertSn: sn(CURRENT_PEM),
    });
  });

  it("verifies a response that names no alipay_cert_sn with the current certificate", async () => {
    answerWith = { key: TEST_GATEWAY_PRIVATE_KEY_PEM, certSn: undefined };
    await expect(query(new OpenApiClient(config()))).resolves.toMatchObject({
      status: "waiting_buyer",
    });
  });

  it("follows a rotated alipay_cert_sn to the configured next certificate", async () => {
    answerWith = { key: next.privateKey, certSn: sn(NEXT_PEM) };
    await expect(query(new OpenApiClient(config()))).rejects.toMatchObject({
      name: "AlipaySignatureError",
      reason: "unknown_cert_sn",
    });
    await expect(query(new OpenApiClient(config({ alipayNextCert: NEXT_PEM })))).resolves.toMatchObject({
      status: "waiting_buyer",
    });
  });

  it("refuses a response whose alipay_cert_sn names one certificate and whose signature is another's", async () => {
    answerWith = { key: stranger.privateKey, certSn: sn(CURRENT_PEM) };
    await expect(query(new OpenApiClient(config()))).rejects.toMatchObject({
      name: "AlipaySignatureError",
      reason: "bad_sign",
    });
    answerWith = { key: stranger.privateKey, certSn: sn(STRANGER_PEM) };
    await expect(query(new OpenApiClient(config({ alipayNextCert: NEXT_PEM })))).rejects.toBeInstanceOf(
      AlipaySignatureError,
    );
  });

  it("verifies a notification signed under the next certificate once it is configured", () => {
    const params = {
      notify_type: "trade_status_sync",
      out_trade_no: "T1",
      trade_status: "TRADE_SUCCESS",
      total_amount: "1.00",
      app_id: TEST_APP_ID,
    };
    const signed = {
      ...params,
      sign_type: "RSA2",
      sign: signParams(params, {
        signType: "RSA2",
        privateKey: next.privateKey,
      }),
    };
    expect(() => new OpenApiClient(config()).verifyNotification(signed)).toThrow(AlipaySignatureError);
    expect(new OpenApiClient(config({ alipayNextCert: NEXT_PEM })).verifyNotification(signed)).toMatchObject({
      status: "paid",
      amountMinor: 100,
    });
  });

  it.each<[string, Partial<OpenApiConfig>, RegExp]>([
    ["an app certificate for another key", { appCert: CURRENT_PEM }, /appCert does not certify privateKey/],
    ["a missing root certificate", { alipayRootCert: undefined }, /needs appCert, alipayCert and alipayRootCert/],
    ["both a public key and certificates", { alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM }, /not both/],
    ["a certificate that is not PEM", { alipayCert: "MIIB..." }, /alipayCert: Not a PEM certificate/],
    ["a root bundle without an RSA certificate", { alipayRootCert: "x" }, /alipayRootCert/],
  ])("refuses %s at construction with AlipayConfigError", (_name, overrides, message) => {
    expect(() => new OpenApiClient(config(overrides))).toThrow(AlipayConfigError);
    expect(() => new OpenApiClient(config(overrides))).toThrow(message);
  });

  it("types certificate problems as AlipayCertificateError", () => {
    expect(() => parseAlipayCertificate("nope")).toThrow(AlipayCertificateError);
    expect(() => rootCertificateSn(CURRENT_PEM.replace("MII", "MIX"))).toThrow(AlipayCertificateError);
  });
});
