import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  antomRequestHeaders,
  createAlipayClient,
  FetchTransport,
  loadPrivateKey,
  type AlipayClient,
} from "@kiosk/alipay-core";
import {
  TEST_ANTOM_CLIENT_ID,
  TEST_GATEWAY_PRIVATE_KEY_PEM,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
} from "@kiosk/alipay-core/testing";
import { walletForCode } from "./antom-gateway.ts";
import { createManualClock } from "./clock.ts";
import { startSandbox, type RunningSandbox } from "./sandbox.ts";
import { scenarioCode } from "./scenarios.ts";

const running: RunningSandbox[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.close();
});

async function start(): Promise<{ sandbox: RunningSandbox; client: AlipayClient }> {
  const sandbox = await startSandbox({ clock: createManualClock(), tickIntervalMs: 0 });
  running.push(sandbox);
  const client = createAlipayClient({
    protocol: "antom",
    gatewayUrl: sandbox.url,
    clientId: TEST_ANTOM_CLIENT_ID,
    privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
    alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
  });
  return { sandbox, client };
}

const PAY = { amountMinor: 1234, currency: "SGD", subject: "2 x Adult" };

describe("Antom gateway of the sandbox", () => {
  it.each([
    [0, "Alipay"],
    [1, "AlipayHK"],
    [2, "GCash"],
    [3, "Kakao Pay"],
    [4, "Touch 'n Go eWallet"],
    [5, "TrueMoney"],
    [6, "DANA"],
  ])("a code whose third digit is %i pays with %s, and the result names the wallet", async (digit, wallet) => {
    const { client } = await start();
    const code = scenarioCode("success", { serial: digit * 10_000_000 });
    expect(walletForCode(code).displayName).toBe(wallet);
    const result = await client.pay({ ...PAY, partnerTransId: `W${digit}`, paymentCode: code });
    expect(result).toMatchObject({ status: "paid", walletName: wallet, paymentMethodType: "CONNECT_WALLET" });
  });

  it("refuses a request signed with another key (INVALID_SIGNATURE), and charges nothing", async () => {
    const { sandbox } = await start();
    const path = "/ams/api/v1/payments/pay";
    const body = JSON.stringify({
      productCode: "IN_STORE_PAYMENT",
      paymentRequestId: "FORGED1",
      paymentAmount: { currency: "SGD", value: "1234" },
      paymentMethod: { paymentMethodType: "CONNECT_WALLET", paymentMethodId: scenarioCode("success") },
      order: { orderDescription: "x" },
    });
    const headers = antomRequestHeaders({
      method: "POST",
      path,
      clientId: TEST_ANTOM_CLIENT_ID,
      requestTime: "1",
      keyVersion: "1",
      privateKey: loadPrivateKey(TEST_GATEWAY_PRIVATE_KEY_PEM),
      body,
    });
    const response = await fetch(`${sandbox.url}${path}`, { method: "POST", headers, body });
    expect(await response.json()).toMatchObject({ result: { resultStatus: "F", resultCode: "INVALID_SIGNATURE" } });
    expect(sandbox.store.trades.size).toBe(0);
  });

  it("a client id the sandbox does not know is refused (signed INVALID_CLIENT: a gateway error, not retryable)", async () => {
    const { sandbox } = await start();
    const stranger = createAlipayClient({
      protocol: "antom",
      gatewayUrl: sandbox.url,
      clientId: "SOMEONE_ELSE",
      privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
      alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
    });
    await expect(
      stranger.pay({ ...PAY, partnerTransId: "S1", paymentCode: scenarioCode("success") }),
    ).rejects.toMatchObject({ name: "AlipayGatewayError", gatewayCode: "INVALID_CLIENT", isRetryable: false });
    expect(sandbox.store.trades.size).toBe(0);
  });

  it("a correctly signed request without productCode gets a signed F PARAM_ILLEGAL, nothing charged", async () => {
    const { sandbox } = await start();
    const path = "/ams/api/v1/payments/pay";
    const body = JSON.stringify({ paymentRequestId: "NOPRODUCT", paymentAmount: { currency: "SGD", value: "1" } });
    const headers = antomRequestHeaders({
      method: "POST",
      path,
      clientId: TEST_ANTOM_CLIENT_ID,
      requestTime: "1",
      keyVersion: "1",
      privateKey: loadPrivateKey(TEST_MERCHANT_PRIVATE_KEY_PEM),
      body,
    });
    const response = await fetch(`${sandbox.url}${path}`, { method: "POST", headers, body });
    expect(response.headers.get("signature")).toMatch(/^algorithm=RSA256,keyVersion=1,signature=/);
    expect(response.headers.get("client-id")).toBe(TEST_ANTOM_CLIENT_ID);
    expect(response.headers.get("response-time")).not.toBeNull();
    expect(await response.json()).toMatchObject({ result: { resultStatus: "F", resultCode: "PARAM_ILLEGAL" } });
    expect(sandbox.store.trades.size).toBe(0);
  });

  it("a refund that knows Antom's paymentId sends one request; without it, the payment is inquired first", async () => {
    const { sandbox } = await start();
    const paths: string[] = [];
    const inner = new FetchTransport();
    const client = createAlipayClient(
      {
        protocol: "antom",
        gatewayUrl: sandbox.url,
        clientId: TEST_ANTOM_CLIENT_ID,
        privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
        alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
      },
      {
        transport: {
          request: (request) => {
            paths.push(new URL(request.url).pathname);
            return inner.request(request);
          },
        },
      },
    );
    const paid = await client.pay({ ...PAY, partnerTransId: "R1", paymentCode: scenarioCode("success") });
    if (paid.status !== "paid") throw new Error(`not paid: ${paid.status}`);
    paths.length = 0;
    const known = await client.refund({
      partnerTransId: "R1",
      partnerRefundId: "R1_A",
      amountMinor: 100,
      currency: "SGD",
      alipayTransId: paid.alipayTransId,
    });
    expect(known).toMatchObject({ status: "refunded", refundAmountMinor: 100 });
    expect(paths).toEqual(["/ams/api/v1/payments/refund"]);
    paths.length = 0;
    await expect(
      client.refund({ partnerTransId: "R1", partnerRefundId: "R1_B", amountMinor: 100, currency: "SGD" }),
    ).resolves.toMatchObject({ status: "refunded" });
    expect(paths).toEqual(["/ams/api/v1/payments/inquiryPayment", "/ams/api/v1/payments/refund"]);
    expect(sandbox.store.refunds.filter((r) => r.kind === "refund")).toHaveLength(2);
  });
});

describe("Antom notifyPayment from the sandbox", () => {
  /** A merchant's notify endpoint over real HTTP: answers 500 to the first `failFirst` posts, then Antom's ack. */
  async function merchantEndpoint(failFirst: number) {
    const received: { path: string; headers: Record<string, string | undefined>; body: string }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const one = (name: string) => {
          const v = req.headers[name];
          return Array.isArray(v) ? v[0] : v;
        };
        received.push({
          path: req.url ?? "",
          headers: {
            "content-type": one("content-type"),
            signature: one("signature"),
            "request-time": one("request-time"),
            "client-id": one("client-id"),
          },
          body: Buffer.concat(chunks).toString("utf8"),
        });
        if (received.length <= failFirst) {
          res.writeHead(500).end("busy");
          return;
        }
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ result: { resultCode: "SUCCESS", resultStatus: "S", resultMessage: "success" } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/alipay/notify`, received };
  }
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it("POSTs a signed notifyPayment (JSON, header signature) to paymentNotifyUrl, resent after a non-200 until acknowledged", async () => {
    const clock = createManualClock();
    const sandbox = await startSandbox({ clock, tickIntervalMs: 0 });
    running.push(sandbox);
    const endpoint = await merchantEndpoint(1);
    const client = createAlipayClient({
      protocol: "antom",
      gatewayUrl: sandbox.url,
      clientId: TEST_ANTOM_CLIENT_ID,
      privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
      alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
      notifyUrl: endpoint.url,
    });
    const code = scenarioCode("success", { serial: 20_000_001 });
    expect(await client.pay({ ...PAY, partnerTransId: "N1", paymentCode: code })).toMatchObject({ status: "paid" });
    await sandbox.tick();
    expect(endpoint.received).toHaveLength(1);
    clock.advance(2 * 60_000);
    await sandbox.tick();
    expect(endpoint.received).toHaveLength(2);
    clock.advance(60 * 60_000);
    await sandbox.tick();
    expect(endpoint.received).toHaveLength(2);
    const [first, second] = endpoint.received;
    expect(second).toEqual(first);
    expect(first?.path).toBe("/api/alipay/notify");
    expect(first?.headers["content-type"]).toContain("application/json");
    expect(first?.headers["client-id"]).toBe(TEST_ANTOM_CLIENT_ID);
    const verified = client.verifyNotification({
      path: "/api/alipay/notify",
      body: first?.body ?? "",
      signature: first?.headers.signature ?? "",
      "request-time": first?.headers["request-time"] ?? "",
      "client-id": first?.headers["client-id"] ?? "",
    });
    expect(verified).toMatchObject({
      protocol: "antom",
      notifyType: "PAYMENT_RESULT",
      partnerTransId: "N1",
      status: "paid",
      amountMinor: 1234,
      currency: "SGD",
      walletName: "GCash",
    });
    expect(() =>
      client.verifyNotification({
        path: "/api/alipay/notify",
        body: (first?.body ?? "").replace('"1234"', '"1"'),
        signature: first?.headers.signature ?? "",
        "request-time": first?.headers["request-time"] ?? "",
        "client-id": first?.headers["client-id"] ?? "",
      }),
    ).toThrow(/signature|rejected/i);
    expect(sandbox.store.notifications.map((n) => n.status)).toEqual(["delivered"]);
  });
});
