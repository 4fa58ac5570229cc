import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifyParams } from "@kiosk/alipay-core";
import {
  TEST_APP_ID,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MD5_KEY,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_PARTNER_ID,
} from "@kiosk/alipay-core/testing";
import { scenarioCode } from "./scenarios.ts";
import { mapiCall, openApiCall, type MapiReply } from "./testing/signed-request.ts";
import { startTestSandbox, type TestSandbox } from "./testing/sandbox-fixture.ts";

let sandbox: TestSandbox;

beforeEach(async () => {
  sandbox = await startTestSandbox();
});

afterEach(async () => {
  await sandbox.close();
});

function pay(id: string, code: string): Promise<MapiReply> {
  return mapiCall({
    gatewayUrl: sandbox.gatewayUrl,
    params: {
      service: "alipay.acquire.overseas.spot.pay",
      partner: TEST_PARTNER_ID,
      alipay_seller_id: TEST_PARTNER_ID,
      trans_name: "Ticket",
      partner_trans_id: id,
      currency: "HKD",
      trans_amount: "50.00",
      buyer_identity_code: code,
    },
    key: { signType: "MD5", md5Key: TEST_MD5_KEY },
  });
}

function queryStatus(id: string): Promise<string | undefined> {
  return mapiCall({
    gatewayUrl: sandbox.gatewayUrl,
    params: {
      service: "alipay.acquire.overseas.query",
      partner: TEST_PARTNER_ID,
      partner_trans_id: id,
    },
    key: { signType: "MD5", md5Key: TEST_MD5_KEY },
  }).then((r) => r.response["alipay_trans_status"]);
}

async function api(path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${sandbox.url}${path}`, init);
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
  };
}

const post = (body?: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

describe("operator API", () => {
  it("serves /healthz and the HTML page", async () => {
    expect((await api("/healthz")).body).toMatchObject({ status: "ok" });
    const page = await fetch(`${sandbox.url}/sandbox`);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain("Confirm PIN");
  });

  it("lists waiting trades and lets a person confirm one", async () => {
    await pay("W1", scenarioCode("pin_wait_never"));
    const { body } = await api("/sandbox/trades?status=WAIT_BUYER_PAY");
    const trades = body["trades"] as Array<Record<string, unknown>>;
    expect(trades).toHaveLength(1);
    expect(trades[0]).toMatchObject({
      outTradeNo: "W1",
      amount: "50.00",
      currency: "HKD",
      scenario: "pin_wait_never",
    });
    const confirmed = await api(`/sandbox/trades/${String(trades[0]?.["tradeNo"])}/confirm`, post());
    expect(confirmed.status).toBe(200);
    expect(await queryStatus("W1")).toBe("TRADE_SUCCESS");
    const again = await api(`/sandbox/trades/${String(trades[0]?.["tradeNo"])}/confirm`, post());
    expect(again.status).toBe(409);
  });

  it("lets a person reject a waiting trade (by out_trade_no too)", async () => {
    await pay("W2", scenarioCode("pin_wait_confirm", { parameter: 600 }));
    expect((await api("/sandbox/trades/W2/reject", post())).status).toBe(200);
    expect(await queryStatus("W2")).toBe("TRADE_CLOSED");
    expect((await api("/sandbox/trades/NOPE/reject", post())).status).toBe(404);
    const detail = await api("/sandbox/trades/W2");
    expect(detail.body["trade"]).toMatchObject({
      status: "TRADE_CLOSED",
      closeReason: "operator_rejected",
    });
  });

  it("shows account balances moving with payments", async () => {
    await pay("A1", scenarioCode("success", { serial: 7 }));
    const { body } = await api("/sandbox/accounts");
    const accounts = body["accounts"] as Array<{
      accountId: string;
      kind: string;
      balances: Record<string, number>;
    }>;
    expect(accounts.find((a) => a.accountId === TEST_PARTNER_ID)?.balances).toEqual({ HKD: 5000 });
    expect(accounts.find((a) => a.accountId === TEST_APP_ID)?.kind).toBe("merchant");
    const buyer = accounts.find((a) => a.kind === "buyer");
    expect(buyer?.balances["CNY"]).toBe(1_000_000_00 - 4563);
  });

  it("injects faults: SYSTEM_ERROR, dropped connection, bad signature", async () => {
    const put = (faults: unknown) => api("/sandbox/faults", { method: "PUT", body: JSON.stringify(faults) });
    expect((await put({ systemErrorNext: 1 })).body["faults"]).toMatchObject({
      systemErrorNext: 1,
      dropNext: 0,
    });
    expect((await pay("F1", scenarioCode("success"))).error).toBe("SYSTEM_ERROR");
    expect(await queryStatus("F1")).toBe(undefined); // rejected before processing

    await put({ dropNext: 1 });
    await expect(pay("F2", scenarioCode("success"))).rejects.toThrow();
    expect(await queryStatus("F2")).toBe("TRADE_SUCCESS"); // processed, then dropped

    await put({ badSignatureNext: 1 });
    const md5 = { signType: "MD5" as const, md5Key: TEST_MD5_KEY };
    expect((await pay("F3", scenarioCode("success"))).verify(md5)).toBe(false);
    expect((await pay("F4", scenarioCode("success"))).verify(md5)).toBe(true);

    expect((await put({ nope: 1 })).status).toBe(400);
    expect((await put({ dropNext: -1 })).status).toBe(400);
  });

  it("fails only cancels N times with cancelSystemErrorNext, then cancels normally", async () => {
    const cancel = (id: string): Promise<MapiReply> =>
      mapiCall({
        gatewayUrl: sandbox.gatewayUrl,
        params: {
          service: "alipay.acquire.cancel",
          partner: TEST_PARTNER_ID,
          out_trade_no: id,
          timestamp: String(Date.now()),
        },
        key: { signType: "MD5", md5Key: TEST_MD5_KEY },
      });
    const put = await api("/sandbox/faults", {
      method: "PUT",
      body: JSON.stringify({ cancelSystemErrorNext: 2 }),
    });
    expect(put.body["faults"]).toMatchObject({
      cancelSystemErrorNext: 2,
      systemErrorNext: 0,
    });
    expect((await pay("C1", scenarioCode("pin_wait_never"))).response["result_code"]).toBe("UNKNOW");
    expect(await queryStatus("C1")).toBe("WAIT_BUYER_PAY"); // other services are not affected
    expect((await cancel("C1")).error).toBe("SYSTEM_ERROR");
    expect((await cancel("C1")).error).toBe("SYSTEM_ERROR");
    expect(await queryStatus("C1")).toBe("WAIT_BUYER_PAY"); // refused before processing
    expect((await cancel("C1")).response["result_code"]).toBe("SUCCESS");
    expect(await queryStatus("C1")).toBe("TRADE_CLOSED");
    expect((await api("/sandbox/faults")).body["faults"]).toMatchObject({
      cancelSystemErrorNext: 0,
    });
  });

  it("bad-signature fault applies to OpenAPI answers too", async () => {
    sandbox.setFaults({ badSignatureNext: 1 });
    const reply = await openApiCall({
      gatewayUrl: sandbox.gatewayUrl,
      appId: TEST_APP_ID,
      method: "alipay.trade.query",
      bizContent: { out_trade_no: "X" },
      privateKey: {
        signType: "RSA2",
        privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
      },
    });
    expect(reply.subCode).toBe("ACQ.TRADE_NOT_EXIST");
    expect(
      reply.verify({
        signType: "RSA2",
        publicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
      }),
    ).toBe(false);
  });

  it("signs a notification for a trade on request, as sent or altered, and sends nothing", async () => {
    await pay("N1", scenarioCode("pin_wait_never"));
    const signed = async (body: unknown) => {
      const { status, body: reply } = await api("/sandbox/trades/N1/notification", post(body));
      expect(status).toBe(200);
      return reply["params"] as Record<string, string>;
    };
    const md5 = { signType: "MD5", md5Key: TEST_MD5_KEY } as const;
    // As the sandbox would send it for the trade's current status.
    const asIs = await signed({});
    expect(asIs).toMatchObject({
      partner_trans_id: "N1",
      trade_status: "WAIT_BUYER_PAY",
      trans_amount: "50.00",
      currency: "HKD",
      sign_type: "MD5",
    });
    expect(verifyParams(asIs, md5, "v1")).toBe(true);
    // A success the gateway signs although it does not prove the payment (no amount, another seller).
    const altered = await signed({
      tradeStatus: "TRADE_SUCCESS",
      omit: ["trans_amount", "total_fee", "currency"],
      set: { seller_id: "2088999999999999" },
    });
    expect(altered).toMatchObject({
      trade_status: "TRADE_SUCCESS",
      seller_id: "2088999999999999",
    });
    expect(altered["gmt_payment"]).toBeDefined();
    for (const name of ["trans_amount", "total_fee", "currency"]) expect(altered[name]).toBeUndefined();
    expect(verifyParams(altered, md5, "v1")).toBe(true);
    // Nothing changed at the gateway, nothing was delivered.
    expect(await queryStatus("N1")).toBe("WAIT_BUYER_PAY");
    expect((await api("/sandbox/notifications")).body["notifications"]).toEqual([]);
    expect((await api("/sandbox/trades/NOPE/notification", post({}))).status).toBe(404);
    expect((await api("/sandbox/trades/N1/notification", post({ tradeStatus: "PAID" }))).status).toBe(400);
  });

  it("resets trades, balances and faults", async () => {
    await pay("R1", scenarioCode("success"));
    sandbox.setFaults({ systemErrorNext: 5 });
    expect((await api("/sandbox/reset", post())).body).toEqual({ ok: true });
    expect(((await api("/sandbox/trades")).body["trades"] as unknown[]).length).toBe(0);
    expect((await api("/sandbox/faults")).body["faults"]).toMatchObject({
      systemErrorNext: 0,
    });
    expect(await queryStatus("R1")).toBe(undefined);
  });

  it("publishes the scenario table with example codes", async () => {
    const { body } = await api("/sandbox/scenarios");
    const scenarios = body["scenarios"] as Array<{
      id: string;
      exampleCode: string;
    }>;
    expect(scenarios.find((s) => s.id === "success")?.exampleCode).toBe("280000000000000000");
    expect(scenarios.find((s) => s.id === "pin_wait_confirm")?.exampleCode).toBe("280000000000000010");
  });

  it("answers 404 for unknown routes", async () => {
    expect((await api("/nope")).status).toBe(404);
    expect((await api("/sandbox/nope")).status).toBe(404);
  });
});
