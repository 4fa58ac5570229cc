/**
 * Oracle: Alipay's own Node SDK (`alipay-sdk` 4.14.0, dev dependency only) against our
 * signing, both directions, for the OpenAPI protocol, in public-key mode and in public-key
 * certificate mode. If our sign strings, SNs or signatures ever drift from Alipay's, these fail.
 */
import { AlipaySdk } from "alipay-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalGateway, type GatewayRequest, type LocalGateway } from "../__tests__/local-gateway.ts";
import { parseAlipayCertificate, rootCertificateSn } from "../certs.ts";
import { OpenApiClient } from "./client.ts";
import type { OpenApiConfig } from "./config.ts";
import {
  buildOpenApiSignContent,
  exportPrivateKey,
  loadPrivateKey,
  signContent,
  signOpenApiParams,
  verifyContent,
  verifyParams,
  type SigningKey,
} from "../signing.ts";
import {
  createTestAlipayPki,
  createTestCertificate,
  FakeClock,
  signNotificationParams,
  TEST_APP_ID,
  TEST_GATEWAY_PRIVATE_KEY_PEM,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_MERCHANT_PUBLIC_KEY_PEM,
  testRsaKeyPair,
} from "../testing/index.ts";

const ALIPAY: SigningKey = {
  signType: "RSA2",
  privateKey: TEST_GATEWAY_PRIVATE_KEY_PEM,
};
const pki = createTestAlipayPki({
  appKey: loadPrivateKey(TEST_MERCHANT_PRIVATE_KEY_PEM),
  alipayKeys: [loadPrivateKey(TEST_GATEWAY_PRIVATE_KEY_PEM)],
});
const [ALIPAY_CERT_PEM] = pki.alipayCertPems as [string];

type Mode = "public key" | "certificate";

function sdkFor(mode: Mode, gateway = "https://openapi.invalid/gateway.do"): AlipaySdk {
  const common = {
    appId: TEST_APP_ID,
    privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
    keyType: "PKCS8" as const,
    gateway,
  };
  return mode === "certificate"
    ? new AlipaySdk({
        ...common,
        appCertContent: pki.appCertPem,
        alipayPublicCertContent: ALIPAY_CERT_PEM,
        alipayRootCertContent: pki.rootBundlePem,
      })
    : new AlipaySdk({
        ...common,
        alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
      });
}

function clientConfig(mode: Mode, gatewayUrl: string): OpenApiConfig {
  const common = {
    protocol: "openapi" as const,
    gatewayUrl,
    appId: TEST_APP_ID,
    privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
    notifyUrl: "https://kiosk.example/alipay/notify",
  };
  return mode === "certificate"
    ? {
        ...common,
        appCert: pki.appCertPem,
        alipayCert: ALIPAY_CERT_PEM,
        alipayRootCert: pki.rootBundlePem,
      }
    : { ...common, alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM };
}

const sdkConfig = (sdk: AlipaySdk): Record<string, unknown> => sdk.config as unknown as Record<string, unknown>;

describe("certificate SNs", () => {
  it("computes the app, Alipay and root certificate SNs exactly as alipay-sdk", () => {
    const config = sdkConfig(sdkFor("certificate"));
    expect(parseAlipayCertificate(pki.appCertPem).sn).toBe(config["appCertSn"]);
    expect(parseAlipayCertificate(ALIPAY_CERT_PEM).sn).toBe(config["alipayCertSn"]);
    expect(rootCertificateSn(pki.rootBundlePem)).toBe(config["alipayRootCertSn"]);
    // the bundle's EC root is left out: two RSA-signed certificates, one `_`
    expect(rootCertificateSn(pki.rootBundlePem).split("_")).toHaveLength(2);
  });

  it("agrees with alipay-sdk on a certificate with a long serial and a UTF-8 issuer", () => {
    const issuer = testRsaKeyPair();
    const cert = createTestCertificate({
      subject: [
        ["C", "CN"],
        ["O", "测试"],
        ["CN", "支付宝公钥"],
      ],
      issuer: [
        ["C", "CN"],
        ["ST", "浙江"],
        ["L", "杭州"],
        ["O", "蚂蚁 测试"],
        ["OU", "Certification Authority"],
        ["CN", "测试 Class 2 R1"],
      ],
      serialHex: "9f3e2d1c0b0a09080706050403020100ff",
      notBefore: new Date(Date.UTC(2024, 0, 1)),
      notAfter: new Date(Date.UTC(2030, 0, 1)),
      publicKey: loadPrivateKey(TEST_GATEWAY_PRIVATE_KEY_PEM),
      signingKey: issuer.privateKey,
    });
    const sdk = new AlipaySdk({
      appId: TEST_APP_ID,
      privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
      keyType: "PKCS8",
      appCertContent: pki.appCertPem,
      alipayPublicCertContent: cert,
      alipayRootCertContent: pki.rootBundlePem,
    });
    expect(parseAlipayCertificate(cert).sn).toBe(sdkConfig(sdk)["alipayCertSn"]);
  });
});

describe.each<Mode>(["public key", "certificate"])("alipay-sdk oracle, %s mode", (mode) => {
  let gw: LocalGateway;
  /** Verified by us with the app's key; answered signed by us with Alipay's key. */
  let verifiedRequests: boolean[] = [];
  let tamper = false;

  beforeAll(async () => {
    gw = await startLocalGateway((request: GatewayRequest) => {
      const params = request.params;
      verifiedRequests.push(
        verifyContent(buildOpenApiSignContent(params), params["sign"] ?? "", {
          signType: "RSA2",
          publicKey: TEST_MERCHANT_PUBLIC_KEY_PEM,
        }),
      );
      const method = params["method"] ?? "";
      const response = {
        code: "10000",
        msg: "Success",
        trade_no: "2024010122001400000000000001",
        out_trade_no: "T1",
        trade_status: "TRADE_SUCCESS",
        total_amount: "12.34",
        send_pay_date: "2024-01-01 12:00:03",
      };
      const json = JSON.stringify(response);
      const sign = signContent(json, ALIPAY);
      const signedJson = tamper ? json.replace("12.34", "99.99") : json;
      const certSn =
        mode === "certificate" ? `,"alipay_cert_sn":${JSON.stringify(parseAlipayCertificate(ALIPAY_CERT_PEM).sn)}` : "";
      return {
        contentType: "application/json;charset=utf-8",
        body: `{"${method.replace(/\./g, "_")}_response":${signedJson}${certSn},"sign":${JSON.stringify(sign)}}`,
      };
    });
  });
  afterAll(() => gw.close());

  it("our request signature equals alipay-sdk's over the same parameters", async () => {
    const client = new OpenApiClient(clientConfig(mode, gw.url), {
      clock: new FakeClock({ startMs: Date.UTC(2024, 0, 1, 4) }),
    });
    await client.pay({
      partnerTransId: "T1",
      amountMinor: 1234,
      currency: "CNY",
      paymentCode: "281234567890123456",
      subject: "Tickets 票",
    });
    const ours = (gw.requests.at(-1) as GatewayRequest).params;
    const sdkQuery = sdkFor(mode).sdkExecute(
      "alipay.trade.pay",
      {
        timestamp: ours["timestamp"],
        format: "JSON",
        notify_url: ours["notify_url"],
        bizContent: JSON.parse(ours["biz_content"] as string) as Record<string, unknown>,
      },
      { bizContentAutoSnakeCase: false },
    );
    const theirs = Object.fromEntries(new URLSearchParams(sdkQuery));
    const { charset: _queryCharset, ...oursSent } = ours;
    expect(theirs).toEqual({ ...oursSent, charset: "utf-8" });
    expect(ours["sign"]).toBe(theirs["sign"]);
    if (mode === "certificate") {
      expect(ours["app_cert_sn"]).toBe(sdkConfig(sdkFor(mode))["appCertSn"]);
      expect(ours["alipay_root_cert_sn"]).toBe(sdkConfig(sdkFor(mode))["alipayRootCertSn"]);
    } else {
      expect(ours["app_cert_sn"]).toBeUndefined();
    }
    // and signing alipay-sdk's parameters ourselves gives alipay-sdk's signature
    const { sign: sdkSign, ...unsigned } = theirs;
    expect(
      signOpenApiParams(unsigned, {
        signType: "RSA2",
        privateKey: exportPrivateKey(TEST_MERCHANT_PRIVATE_KEY_PEM, "pkcs1"),
      }),
    ).toBe(sdkSign);
  });

  it("we verify a request alipay-sdk signed, and alipay-sdk verifies the response we signed", async () => {
    verifiedRequests = [];
    tamper = false;
    const result = await sdkFor(mode, gw.url).exec(
      "alipay.trade.query",
      { bizContent: { out_trade_no: "T1" } },
      { validateSign: true },
    );
    expect(verifiedRequests).toEqual([true]);
    expect(result).toMatchObject({
      code: "10000",
      tradeStatus: "TRADE_SUCCESS",
      totalAmount: "12.34",
    });
    const sent = (gw.requests.at(-1) as GatewayRequest).params;
    if (mode === "certificate") {
      expect(sent["app_cert_sn"]).toBe(parseAlipayCertificate(pki.appCertPem).sn);
      expect(sent["alipay_root_cert_sn"]).toBe(rootCertificateSn(pki.rootBundlePem));
    }
  });

  it("alipay-sdk refuses the response we signed once it is tampered with (the oracle really checks)", async () => {
    tamper = true;
    await expect(
      sdkFor(mode, gw.url).exec("alipay.trade.query", { bizContent: { out_trade_no: "T1" } }, { validateSign: true }),
    ).rejects.toThrow(/验签失败/);
    tamper = false;
  });

  it("our client accepts what alipay-sdk accepts from the same gateway", async () => {
    tamper = false;
    const client = new OpenApiClient(clientConfig(mode, gw.url), {
      clock: new FakeClock({ startMs: Date.UTC(2024, 0, 1, 4) }),
    });
    await expect(client.query({ partnerTransId: "T1", currency: "CNY" })).resolves.toMatchObject({
      status: "paid",
      amountMinor: 1234,
    });
  });

  it("a notification signed by alipay-sdk verifies with us (rsaCheckV2), and one we sign verifies with alipay-sdk (rsaCheckV1)", () => {
    const notification = {
      notify_type: "trade_status_sync",
      notify_id: "2024010100222120003000000001",
      out_trade_no: "T1",
      trade_no: "2024010122001400000000000001",
      trade_status: "TRADE_SUCCESS",
      total_amount: "12.34",
      gmt_payment: "2024-01-01 12:00:03",
    };
    // alipay-sdk as Alipay: its signing key is Alipay's
    const sdkAsAlipay = new AlipaySdk({
      appId: TEST_APP_ID,
      privateKey: TEST_GATEWAY_PRIVATE_KEY_PEM,
      keyType: "PKCS8",
      alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
    });
    const signedBySdk = Object.fromEntries(
      new URLSearchParams(
        sdkAsAlipay.sdkExecute("alipay.trade.pay", notification, {
          bizContentAutoSnakeCase: false,
        }),
      ),
    );
    const alipayKey = {
      signType: "RSA2" as const,
      publicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
    };
    expect(verifyParams(signedBySdk, alipayKey, "v2")).toBe(true);
    expect(verifyParams({ ...signedBySdk, total_amount: "99.99" }, alipayKey, "v2")).toBe(false);

    const signedByUs = signNotificationParams(notification, ALIPAY);
    const receiver = sdkFor(mode);
    expect(receiver.checkNotifySign(signedByUs)).toBe(true);
    expect(receiver.checkNotifySignV2(signedByUs)).toBe(true);
    expect(receiver.checkNotifySign({ ...signedByUs, total_amount: "99.99" })).toBe(false);
    // and our client takes it too
    const client = new OpenApiClient(clientConfig(mode, gw.url));
    expect(client.verifyNotification(signedByUs)).toMatchObject({
      status: "paid",
      amountMinor: 1234,
    });
  });
});
