import { createAlipayClient, type AlipayClient } from "@kiosk/alipay-core";
import {
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_PARTNER_ID,
  TEST_APP_ID,
  TEST_ANTOM_CLIENT_ID,
} from "@kiosk/alipay-core/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  corruptSignature,
  createRng,
  DEFAULT_FAULT_PLAN,
  startFaultProxy,
  type FaultPlan,
  type FaultProxy,
} from "./fault-proxy.ts";
import { scenarioCode } from "./scenarios.ts";
import {
  startNotificationReceiver,
  startTestSandbox,
  type NotificationReceiver,
  type TestSandbox,
} from "./testing/index.ts";

const NONE: FaultPlan["gateway"] = {
  delay: 0,
  dropBefore: 0,
  dropAfter: 0,
  http5xx: 0,
  malformed: 0,
  badSignature: 0,
};

function planWith(
  gateway: Partial<FaultPlan["gateway"]>,
  notifications: Partial<FaultPlan["notifications"]> = {},
): FaultPlan {
  return {
    ...DEFAULT_FAULT_PLAN,
    gateway: { ...NONE, ...gateway },
    delayMs: [1, 5],
    notifications: { duplicate: 0, late: 0, ...notifications },
    lateDelayMs: [10, 20],
  };
}

function client(gatewayUrl: string, protocol: "mapi" | "openapi", notifyUrl?: string): AlipayClient {
  const common = {
    gatewayUrl,
    privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
    alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
    timeouts: { pay: 5_000, query: 5_000 },
    ...(notifyUrl ? { notifyUrl } : {}),
  };
  return protocol === "openapi"
    ? createAlipayClient({ protocol: "openapi", appId: TEST_APP_ID, ...common })
    : createAlipayClient({
        protocol: "mapi",
        partnerId: TEST_PARTNER_ID,
        signType: "RSA2",
        ...common,
      });
}

let serial = 1;
const pay = (c: AlipayClient, id: string) =>
  c.pay({
    partnerTransId: id,
    amountMinor: 1000,
    currency: "SGD",
    paymentCode: scenarioCode("success", { serial: serial++ }),
    subject: "Tickets",
  });

async function errorName(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => "no error",
    (e: unknown) => (e instanceof Error ? e.name : String(e)),
  );
}

describe("fault proxy", () => {
  let sandbox: TestSandbox | undefined;
  let proxy: FaultProxy | undefined;
  let receiver: NotificationReceiver | undefined;

  afterEach(async () => {
    await proxy?.close();
    await receiver?.close();
    await sandbox?.close();
    sandbox = undefined;
    proxy = undefined;
    receiver = undefined;
  });

  const start = async (plan: FaultPlan, notifyTargetUrl?: string) => {
    await proxy?.close();
    await sandbox?.close();
    const s = await startTestSandbox();
    sandbox = s;
    proxy = await startFaultProxy({
      gatewayUrl: s.gatewayUrl,
      seed: 7,
      plan,
      ...(notifyTargetUrl ? { notifyTargetUrl } : {}),
    });
    return proxy;
  };

  const antom = (origin: string, notifyUrl?: string): AlipayClient =>
    createAlipayClient({
      protocol: "antom",
      clientId: TEST_ANTOM_CLIENT_ID,
      gatewayUrl: origin,
      privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
      alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
      timeouts: { pay: 5_000, query: 5_000 },
      ...(notifyUrl ? { notifyUrl } : {}),
    });

  it("Antom: passes the signature headers both ways, and corrupts the answer's header signature on a bad_signature fault", async () => {
    const p = await start(planWith({}));
    expect((await pay(antom(p.url), "FP-ANTOM-1")).status).toBe("paid");
    const bad = await start(planWith({ badSignature: 1 }));
    expect(await errorName(pay(antom(bad.url), "FP-ANTOM-2"))).toBe("AlipaySignatureError");
    expect(bad.counts.bad_signature).toBe(1);
  });

  it("Antom: relays notifyPayment with its headers to the target's path, which the signature covers", async () => {
    const target = await startNotificationReceiver();
    receiver = target;
    target.answer = JSON.stringify({ result: { resultCode: "SUCCESS", resultStatus: "S", resultMessage: "success" } });
    const p = await start(planWith({}), target.url);
    // The client's notify URL on the proxy keeps the target's path (/notify here).
    expect((await pay(antom(p.url, `${p.url}/notify`), "FP-ANTOM-N")).status).toBe("paid");
    await sandbox!.tick();
    expect(target.received).toHaveLength(1);
    const [got] = target.received;
    const verified = antom(p.url).verifyNotification({
      path: got?.path ?? "",
      body: got?.body ?? "",
      signature: got?.headers["signature"] ?? "",
      "request-time": got?.headers["request-time"] ?? "",
      "client-id": got?.headers["client-id"] ?? "",
    });
    expect(verified).toMatchObject({ partnerTransId: "FP-ANTOM-N", status: "paid" });
  });

  it("passes calls through untouched when no fault is due", async () => {
    const p = await start(planWith({}));
    const result = await pay(client(p.gatewayUrl, "mapi"), "FP-CLEAN-1");
    expect(result.status).toBe("paid");
    expect(Object.values(p.counts).every((n) => n === 0)).toBe(true);
    expect(p.seen.gateway).toBe(1);
  });

  it("drops a call before the gateway sees it: no trade exists", async () => {
    const p = await start(planWith({ dropBefore: 1 }));
    expect(await errorName(pay(client(p.gatewayUrl, "mapi"), "FP-DROPB-1"))).toBe("AlipayNetworkError");
    expect(sandbox!.store.findTrade(TEST_PARTNER_ID, { outTradeNo: "FP-DROPB-1" })).toBeUndefined();
    expect(p.counts.drop_before).toBe(1);
  });

  it("drops the answer after the gateway charged: the trade exists, the merchant heard nothing", async () => {
    const p = await start(planWith({ dropAfter: 1 }));
    expect(await errorName(pay(client(p.gatewayUrl, "mapi"), "FP-DROPA-1"))).toBe("AlipayNetworkError");
    expect(sandbox!.store.findTrade(TEST_PARTNER_ID, { outTradeNo: "FP-DROPA-1" })?.status).toBe("TRADE_SUCCESS");
    expect(p.counts.drop_after).toBe(1);
  });

  it("answers 5xx, and corrupts XML, JSON and signatures so the client refuses them", async () => {
    let p = await start(planWith({ http5xx: 1 }));
    expect(await errorName(pay(client(p.gatewayUrl, "mapi"), "FP-5XX-1"))).not.toBe("no error");
    expect(p.counts.http_5xx).toBe(1);

    p = await start(planWith({ malformed: 1 }));
    expect(await errorName(pay(client(p.gatewayUrl, "mapi"), "FP-XML-1"))).toBe("AlipayResponseError");
    expect(await errorName(pay(client(p.gatewayUrl, "openapi"), "FPJSON1"))).toBe("AlipayResponseError");
    expect(p.counts).toMatchObject({ malformed_xml: 1, malformed_json: 1 });

    p = await start(planWith({ badSignature: 1 }));
    expect(await errorName(pay(client(p.gatewayUrl, "mapi"), "FP-SIG-1"))).toBe("AlipaySignatureError");
    expect(await errorName(pay(client(p.gatewayUrl, "openapi"), "FPSIG2"))).toBe("AlipaySignatureError");
    expect(p.counts.bad_signature).toBe(2);
  });

  it("delivers notifications, plus duplicate and late copies", async () => {
    receiver = await startNotificationReceiver();
    const p = await start(planWith({}, { duplicate: 1, late: 1 }), receiver.url);
    const result = await pay(client(p.gatewayUrl, "mapi", p.notifyUrl), "FP-NOTE-1");
    expect(result.status).toBe("paid");
    await sandbox!.tick();
    await p.close({ shouldFlush: true });
    proxy = undefined;
    expect(receiver.received.map((n) => n.params.out_trade_no)).toEqual(["FP-NOTE-1", "FP-NOTE-1", "FP-NOTE-1"]);
    expect(p.counts).toMatchObject({
      duplicate_notification: 1,
      late_notification: 1,
    });
    expect(sandbox!.store.notifications[0]?.status).toBe("delivered");
  });

  it("is deterministic for a seed, and corrupts only the signature", () => {
    const a = createRng(42);
    const b = createRng(42);
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
    expect(corruptSignature("<alipay><sign>abcd</sign></alipay>")).toBe("<alipay><sign>abAd</sign></alipay>");
    expect(corruptSignature('{"x_response":{},"sign":"abcd"}')).toBe('{"x_response":{},"sign":"abAd"}');
    expect(corruptSignature("<alipay><is_success>F</is_success></alipay>")).toBeNull();
  });
});
