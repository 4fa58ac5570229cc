/**
 * Public-key certificate mode end to end: the real `@kiosk/alipay-core` client against the
 * sandbox over HTTP on 127.0.0.1. Requests carry `app_cert_sn` and `alipay_root_cert_sn`, the
 * sandbox checks them and answers `alipay_cert_sn`, and the client verifies with Alipay's
 * certificate — also after the sandbox rotates to a new Alipay certificate.
 */
import type { KeyObject } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AlipaySignatureError,
  createAlipayClient,
  loadPrivateKey,
  parseAlipayCertificate,
  type Clock as CoreClock,
  type OpenApiConfig,
} from "@kiosk/alipay-core";
import {
  createTestAlipayPki,
  TEST_APP_ID,
  TEST_GATEWAY_PRIVATE_KEY_PEM,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  testRsaKeyPair,
} from "@kiosk/alipay-core/testing";
import { scenarioCode } from "./scenarios.ts";
import {
  startNotificationReceiver,
  startTestSandbox,
  type NotificationReceiver,
  type TestSandbox,
} from "./testing/index.ts";

const rotated = testRsaKeyPair();
const pki = createTestAlipayPki({
  appKey: loadPrivateKey(TEST_MERCHANT_PRIVATE_KEY_PEM),
  alipayKeys: [loadPrivateKey(TEST_GATEWAY_PRIVATE_KEY_PEM), rotated.privateKey],
});
const [CURRENT_PEM, ROTATED_PEM] = pki.alipayCertPems as [string, string];
const sn = (pem: string): string => parseAlipayCertificate(pem).sn;

let sandbox: TestSandbox;
let receiver: NotificationReceiver;

beforeAll(async () => {
  receiver = await startNotificationReceiver();
  sandbox = await startTestSandbox({
    apps: [{ appId: TEST_APP_ID, appCertPem: pki.appCertPem }],
    certMode: {
      rootCertPem: pki.rootBundlePem,
      alipayCerts: pki.alipayCertPems.map((certPem, i) => ({
        certPem,
        privateKey: pki.alipayKeys[i] as KeyObject,
      })),
    },
    notifications: { retryScheduleMs: [] },
    // as real Alipay answers: `\/` in the body, the signature over the unescaped text
    escapeSlashesInJson: true,
  });
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

/** The client's clock: the sandbox's time (no test here sleeps). */
function coreClock(): CoreClock {
  return { now: () => sandbox.clock.now(), sleep: () => Promise.resolve() };
}

function config(overrides: Partial<OpenApiConfig> = {}): OpenApiConfig {
  return {
    protocol: "openapi",
    gatewayUrl: sandbox.gatewayUrl,
    appId: TEST_APP_ID,
    privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
    appCert: pki.appCertPem,
    alipayCert: CURRENT_PEM,
    alipayRootCert: pki.rootBundlePem,
    notifyUrl: receiver.url,
    ...overrides,
  } as OpenApiConfig;
}

async function rawGateway(params: Record<string, string>): Promise<Record<string, unknown>> {
  const response = await fetch(sandbox.gatewayUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params).toString(),
  });
  return (await response.json()) as Record<string, unknown>;
}

describe("sandbox in public-key certificate mode", () => {
  it("pays and queries with certificate SNs, verified with Alipay's certificate", async () => {
    const client = createAlipayClient(config(), { clock: coreClock() });
    const paid = await client.pay({
      partnerTransId: "CERT0001",
      amountMinor: 1234,
      currency: "CNY",
      paymentCode: scenarioCode("success"),
      subject: "2 x Adult",
    });
    expect(paid).toMatchObject({ status: "paid", amountMinor: 1234 });
    await expect(client.query({ partnerTransId: "CERT0001", currency: "CNY" })).resolves.toMatchObject({
      status: "paid",
      amountMinor: 1234,
    });
    expect(sandbox.store.trades.size).toBe(1);
  });

  it("answers alipay_cert_sn, and verifies the notification it sends with Alipay's certificate", async () => {
    await sandbox.tick();
    const notification = receiver.received.find((n) => n.params["out_trade_no"] === "CERT0001");
    expect(notification).toBeDefined();
    const client = createAlipayClient(config(), { clock: coreClock() });
    expect(client.verifyNotification(notification?.params ?? {})).toMatchObject({ status: "paid", amountMinor: 1234 });
  });

  it.each([
    ["without app_cert_sn", { app_cert_sn: "" }, "isv.missing-app-cert-sn"],
    ["with another app_cert_sn", { app_cert_sn: "0".repeat(32) }, "isv.invalid-app-cert-sn"],
    ["with another alipay_root_cert_sn", { alipay_root_cert_sn: "1".repeat(32) }, "isv.invalid-alipay-root-cert-sn"],
  ])("refuses a request %s", async (_name, change, subCode) => {
    // take a genuinely signed request's parameters from the client through a recording transport
    let sent: Record<string, string> = {};
    const recording = createAlipayClient(config(), {
      clock: coreClock(),
      transport: {
        request(request) {
          sent = Object.fromEntries(new URLSearchParams(request.body ?? ""));
          return Promise.resolve({
            status: 200,
            headers: {},
            body: new Uint8Array(),
          });
        },
      },
    });
    await recording.query({ partnerTransId: "CERT0001", currency: "CNY" }).catch(() => undefined);
    expect(sent["app_cert_sn"]).toBe(sn(pki.appCertPem));
    const params = Object.fromEntries(Object.entries({ ...sent, ...change }).filter(([, v]) => v !== ""));
    const body = await rawGateway(params);
    expect(body["alipay_trade_query_response"]).toMatchObject({
      sub_code: subCode,
    });
    expect(body["alipay_cert_sn"]).toBe(sn(CURRENT_PEM));
  });

  it("follows Alipay's rotation to a new certificate held as alipayNextCert; refuses it without", async () => {
    sandbox.rotateAlipayCert(sn(ROTATED_PEM));
    try {
      const withoutNext = createAlipayClient(config(), {
        clock: coreClock(),
      });
      const refused = await withoutNext
        .query({ partnerTransId: "CERT0001", currency: "CNY" })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(AlipaySignatureError);
      expect(refused).toMatchObject({ reason: "unknown_cert_sn" });
      expect((refused as Error).message).toContain(sn(ROTATED_PEM));

      const withNext = createAlipayClient(config({ alipayNextCert: ROTATED_PEM }), {
        clock: coreClock(),
      });
      await expect(withNext.query({ partnerTransId: "CERT0001", currency: "CNY" })).resolves.toMatchObject({
        status: "paid",
      });
      const paid = await withNext.pay({
        partnerTransId: "CERT0002",
        amountMinor: 500,
        currency: "CNY",
        paymentCode: scenarioCode("success", { serial: 1 }),
        subject: "1 x Child",
      });
      expect(paid).toMatchObject({ status: "paid", amountMinor: 500 });
    } finally {
      sandbox.rotateAlipayCert(sn(CURRENT_PEM));
    }
  });

  it("reads a bill whose link the gateway wrote with \\/ escapes (verified unescaped)", async () => {
    const client = createAlipayClient(config(), { clock: coreClock() });
    let body = "";
    const recording = createAlipayClient(config(), {
      clock: coreClock(),
      transport: {
        async request(request) {
          const response = await fetch(request.url, {
            method: request.method,
            headers: request.headers,
            ...(request.body === undefined ? {} : { body: request.body }),
          });
          const bytes = new Uint8Array(await response.arrayBuffer());
          if (request.method === "POST") body = new TextDecoder().decode(bytes);
          return { status: response.status, headers: {}, body: bytes };
        },
      },
    });
    await expect(recording.downloadSettlement({ startDate: "2023-12-31" })).resolves.toMatchObject({
      format: "download_url",
    });
    expect(body).toContain("http:\\/\\/127.0.0.1");
    await expect(
      client.downloadSettlement({
        startDate: "2023-12-31",
        readBillArchive: true,
      }),
    ).resolves.toEqual({ format: "records", records: [], isSigned: false });
  });

  it("keeps public-key mode for an app without a certificate", async () => {
    const plain = await startTestSandbox({
      certMode: {
        rootCertPem: pki.rootBundlePem,
        alipayCerts: [{ certPem: CURRENT_PEM, privateKey: TEST_GATEWAY_PRIVATE_KEY_PEM }],
      },
    });
    try {
      const client = createAlipayClient(
        {
          protocol: "openapi",
          gatewayUrl: plain.gatewayUrl,
          appId: TEST_APP_ID,
          privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
          alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
        },
        {
          clock: {
            now: () => plain.clock.now(),
            sleep: () => Promise.resolve(),
          },
        },
      );
      await expect(client.query({ partnerTransId: "NONE0001", currency: "CNY" })).resolves.toMatchObject({
        status: "not_found",
      });
    } finally {
      await plain.close();
    }
  });
});
