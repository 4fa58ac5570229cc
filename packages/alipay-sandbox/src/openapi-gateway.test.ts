import { unzipSync } from "fflate";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifyParams, type VerifyingKey } from "@kiosk/alipay-core";
import {
  TEST_APP_ID,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_PARTNER_ID,
} from "@kiosk/alipay-core/testing";
import { scenarioCode, type ScenarioId } from "./scenarios.ts";
import { openApiCall, type OpenApiReply } from "./testing/signed-request.ts";
import {
  startNotificationReceiver,
  startTestSandbox,
  type NotificationReceiver,
  type TestSandbox,
} from "./testing/sandbox-fixture.ts";

const GATEWAY_KEY: VerifyingKey = {
  signType: "RSA2",
  publicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
};

let sandbox: TestSandbox;
let receiver: NotificationReceiver;
let counter = 0;

beforeEach(async () => {
  sandbox = await startTestSandbox();
  receiver = await startNotificationReceiver();
});

afterEach(async () => {
  await sandbox.close();
  await receiver.close();
});

function newId(): string {
  counter += 1;
  return `O${Date.now()}_${counter}`;
}

function call(
  method: string,
  bizContent: Record<string, unknown>,
  options: {
    signType?: "RSA" | "RSA2";
    overrides?: Record<string, string | undefined>;
    signOverride?: string;
    notify?: boolean;
  } = {},
): Promise<OpenApiReply> {
  return openApiCall({
    gatewayUrl: sandbox.gatewayUrl,
    appId: TEST_APP_ID,
    method,
    bizContent,
    privateKey: {
      signType: options.signType ?? "RSA2",
      privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
    },
    ...(options.notify === true ? { notifyUrl: receiver.url } : {}),
    ...(options.overrides === undefined ? {} : { overrides: options.overrides }),
    ...(options.signOverride === undefined ? {} : { signOverride: options.signOverride }),
  });
}

function code(id: ScenarioId, parameter = 0): string {
  return scenarioCode(id, { parameter, serial: 42 });
}

function pay(authCode: string, id: string, extra: Record<string, unknown> = {}, notify = false): Promise<OpenApiReply> {
  return call(
    "alipay.trade.pay",
    {
      out_trade_no: id,
      scene: "bar_code",
      auth_code: authCode,
      subject: "Museum ticket",
      total_amount: "88.00",
      ...extra,
    },
    { notify },
  );
}

const query = (id: string): Promise<OpenApiReply> => call("alipay.trade.query", { out_trade_no: id });

describe.each(["RSA2", "RSA"] as const)("OpenAPI with sign_type=%s", (signType) => {
  it("pays with code 10000 and a response signed over the raw JSON", async () => {
    const id = newId();
    const reply = await call(
      "alipay.trade.pay",
      {
        out_trade_no: id,
        scene: "bar_code",
        auth_code: code("success"),
        subject: "Ticket",
        total_amount: "88.00",
      },
      { signType },
    );
    expect(reply.responseKey).toBe("alipay_trade_pay_response");
    expect(reply.response).toMatchObject({
      code: "10000",
      msg: "Success",
      out_trade_no: id,
      total_amount: "88.00",
      buyer_pay_amount: "88.00",
    });
    expect(reply.verify({ signType, publicKey: TEST_GATEWAY_PUBLIC_KEY_PEM })).toBe(true);
  });

  it("rejects a bad signature with 40002 isv.invalid-signature", async () => {
    const reply = await call(
      "alipay.trade.query",
      { out_trade_no: "X" },
      { signType, signOverride: Buffer.alloc(256, 7).toString("base64") },
    );
    expect(reply.response).toMatchObject({
      code: "40002",
      msg: "Invalid Arguments",
      sub_code: "isv.invalid-signature",
    });
    expect(String(reply.response["sub_msg"])).toContain("method=alipay.trade.query");
  });
});

describe("OpenAPI protocol errors", () => {
  it("answers 40001 for missing common parameters and 40002 for invalid ones", async () => {
    expect(
      (await call("alipay.trade.query", { out_trade_no: "X" }, { overrides: { app_id: undefined } })).subCode,
    ).toBe("isv.missing-app-id");
    expect(
      (await call("alipay.trade.query", { out_trade_no: "X" }, { overrides: { app_id: "2021999999999999" } })).subCode,
    ).toBe("isv.invalid-app-id");
    expect(
      (await call("alipay.trade.query", { out_trade_no: "X" }, { overrides: { timestamp: undefined } })).response,
    ).toMatchObject({
      code: "40001",
      sub_code: "isv.missing-timestamp",
    });
    expect((await call("alipay.trade.query", { out_trade_no: "X" }, { overrides: { sign_type: "MD5" } })).subCode).toBe(
      "isv.invalid-signature-type",
    );
    const unknown = await call("alipay.trade.precreate", { out_trade_no: "X" });
    expect(unknown.responseKey).toBe("error_response");
    expect(unknown.subCode).toBe("isv.invalid-method");
    expect(unknown.verify(GATEWAY_KEY)).toBe(true); // error_response is signed too
  });

  it("answers ACQ.INVALID_PARAMETER for a missing or malformed business parameter", async () => {
    const missing = await call("alipay.trade.pay", {
      out_trade_no: newId(),
      scene: "bar_code",
      subject: "T",
      total_amount: "1.00",
    });
    expect(missing.response).toMatchObject({
      code: "40004",
      msg: "Business Failed",
      sub_code: "ACQ.INVALID_PARAMETER",
    });
    expect(missing.verify(GATEWAY_KEY)).toBe(true);
    expect((await pay(code("success"), newId(), { total_amount: "1.001" })).subCode).toBe("ACQ.INVALID_PARAMETER");
    expect((await pay(code("success"), "has-dash")).subCode).toBe("ACQ.INVALID_PARAMETER");
    expect((await pay(code("success"), newId(), { scene: "security_code" })).subCode).toBe("ACQ.INVALID_PARAMETER");
    expect((await call("alipay.trade.query", {})).subCode).toBe("ACQ.INVALID_PARAMETER");
  });
});

describe("OpenAPI scenario codes", () => {
  it("insufficient balance and expired code answer 40004 with ACQ sub codes", async () => {
    expect((await pay(code("insufficient_balance"), newId())).subCode).toBe("ACQ.BUYER_BALANCE_NOT_ENOUGH");
    const expired = newId();
    expect((await pay(code("expired_code"), expired)).subCode).toBe("ACQ.PAYMENT_AUTH_CODE_INVALID");
    expect((await query(expired)).subCode).toBe("ACQ.TRADE_NOT_EXIST");
  });

  it("PIN wait answers 10003, then the buyer confirms after N seconds; a notification follows", async () => {
    const id = newId();
    const reply = await pay(code("pin_wait_confirm", 15), id, {}, true);
    expect(reply.response).toMatchObject({
      code: "10003",
      msg: "order success pay inprocess",
      out_trade_no: id,
    });
    expect((await query(id)).response["trade_status"]).toBe("WAIT_BUYER_PAY");
    sandbox.clock.advance(15_000);
    await sandbox.tick();
    expect((await query(id)).response).toMatchObject({
      code: "10000",
      trade_status: "TRADE_SUCCESS",
      send_pay_date: "2024-01-01 12:00:15",
    });
    expect(receiver.received).toHaveLength(1);
    const notification = receiver.received[0]?.params ?? {};
    expect(notification).toMatchObject({
      notify_type: "trade_status_sync",
      trade_status: "TRADE_SUCCESS",
      app_id: TEST_APP_ID,
    });
    expect(verifyParams(notification, GATEWAY_KEY, "v1")).toBe(true);
  });

  it("UNKNOW answers 20000 isp.unknow-error", async () => {
    const paid = newId();
    expect((await pay(code("unknown_paid"), paid)).response).toMatchObject({
      code: "20000",
      sub_code: "isp.unknow-error",
    });
    expect((await query(paid)).response["trade_status"]).toBe("TRADE_SUCCESS");
    const lost = newId();
    expect((await pay(code("unknown_not_created"), lost)).code).toBe("20000");
    expect((await query(lost)).subCode).toBe("ACQ.TRADE_NOT_EXIST");
  });

  it("SYSTEM_ERROR scenario: ACQ.SYSTEM_ERROR, and cancel says retry_flag=Y", async () => {
    const id = newId();
    expect((await pay(code("system_error"), id)).subCode).toBe("ACQ.SYSTEM_ERROR");
    expect((await query(id)).subCode).toBe("ACQ.SYSTEM_ERROR");
    expect((await query(id)).response["trade_status"]).toBe("TRADE_SUCCESS");
    const first = await call("alipay.trade.cancel", { out_trade_no: id });
    expect(first.response).toMatchObject({
      code: "40004",
      sub_code: "ACQ.SYSTEM_ERROR",
      retry_flag: "Y",
    });
    expect((await call("alipay.trade.cancel", { out_trade_no: id })).response).toMatchObject({
      code: "10000",
      action: "refund",
    });
  });

  it("SYSTEM_ERROR without a trade: ACQ.SYSTEM_ERROR, the query finds no trade, the resend charges", async () => {
    const id = newId();
    expect((await pay(code("system_error_no_trade"), id)).subCode).toBe("ACQ.SYSTEM_ERROR");
    expect((await query(id)).subCode).toBe("ACQ.TRADE_NOT_EXIST");
    expect((await pay(code("system_error_no_trade"), id)).code).toBe("10000");
    expect((await query(id)).response["trade_status"]).toBe("TRADE_SUCCESS");
  });

  it("bad signature scenario: the pay answer does not verify", async () => {
    const reply = await pay(code("bad_signature"), newId());
    expect(reply.code).toBe("10000");
    expect(reply.verify(GATEWAY_KEY)).toBe(false);
  });

  it("dropped connection: no answer, the trade is paid", async () => {
    const id = newId();
    await expect(pay(code("dropped_connection"), id)).rejects.toThrow();
    expect((await query(id)).response["trade_status"]).toBe("TRADE_SUCCESS");
  });
});

describe("OpenAPI cancel and refund", () => {
  it("cancel closes a waiting trade (action=close) and reverses a paid one (action=refund)", async () => {
    const waiting = newId();
    await pay(code("pin_wait_never"), waiting);
    const closed = await call("alipay.trade.cancel", { out_trade_no: waiting });
    expect(closed.response).toMatchObject({
      code: "10000",
      action: "close",
      retry_flag: "N",
    });
    expect(closed.verify(GATEWAY_KEY)).toBe(true);
    expect((await query(waiting)).response["trade_status"]).toBe("TRADE_CLOSED");

    const paid = newId();
    await pay(code("success"), paid);
    const reversed = await call("alipay.trade.cancel", { out_trade_no: paid });
    expect(reversed.response).toMatchObject({
      code: "10000",
      action: "refund",
      gmt_refund_pay: "2024-01-01 12:00:00",
    });
    expect((await query(paid)).response["trade_status"]).toBe("TRADE_CLOSED");
  });

  it("cancel of a trade that never arrived succeeds and blocks a late pay", async () => {
    const id = newId();
    expect((await call("alipay.trade.cancel", { out_trade_no: id })).response).toMatchObject({
      code: "10000",
      retry_flag: "N",
    });
    expect((await pay(code("success"), id)).subCode).toBe("ACQ.TRADE_HAS_CLOSE");
  });

  it("cancel of a paid trade is refused after 24 hours", async () => {
    const id = newId();
    await pay(code("success"), id);
    sandbox.clock.advance(24 * 60 * 60_000 + 1);
    expect((await call("alipay.trade.cancel", { out_trade_no: id })).subCode).toBe("ACQ.TRADE_STATUS_ERROR");
  });

  it("refunds partially with cumulative refund_fee, refuses an over-refund, and notifies", async () => {
    const id = newId();
    await pay(code("success"), id, {}, true);
    const first = await call("alipay.trade.refund", {
      out_trade_no: id,
      refund_amount: "30.00",
      out_request_no: "R1",
    });
    expect(first.response).toMatchObject({
      code: "10000",
      fund_change: "Y",
      refund_fee: "30.00",
    });
    const again = await call("alipay.trade.refund", {
      out_trade_no: id,
      refund_amount: "30.00",
      out_request_no: "R1",
    });
    expect(again.response).toMatchObject({
      code: "10000",
      fund_change: "N",
      refund_fee: "30.00",
    });
    const over = await call("alipay.trade.refund", {
      out_trade_no: id,
      refund_amount: "58.01",
      out_request_no: "R2",
    });
    expect(over.response).toMatchObject({
      code: "40004",
      sub_code: "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
    });
    const rest = await call("alipay.trade.refund", {
      out_trade_no: id,
      refund_amount: "58.00",
      out_request_no: "R3",
    });
    expect(rest.response).toMatchObject({ code: "10000", refund_fee: "88.00" });
    expect((await query(id)).response["trade_status"]).toBe("TRADE_CLOSED");
    await sandbox.tick();
    const refundNotes = receiver.received.filter((r) => r.params["out_biz_no"] !== undefined);
    expect(refundNotes.map((r) => r.params["refund_fee"])).toEqual(["30.00", "88.00"]);
    expect(
      (
        await call("alipay.trade.refund", {
          out_trade_no: "NOPE",
          refund_amount: "1.00",
        })
      ).subCode,
    ).toBe("ACQ.TRADE_NOT_EXIST");
  });

  it("handles cross-border amounts (trans_currency) with CNY buyer amounts", async () => {
    const id = newId();
    const reply = await pay(code("success"), id, {
      trans_currency: "JPY",
      total_amount: "1000",
    });
    expect(reply.response).toMatchObject({
      code: "10000",
      total_amount: "1000",
      trans_currency: "JPY",
      pay_currency: "CNY",
      pay_amount: "48.12",
    });
  });
});

describe("OpenAPI bill download", () => {
  it("serves a ZIP of the day's trade bill from its own records", async () => {
    const paid = newId();
    await pay(code("success"), paid, { store_id: "ST01" });
    await call("alipay.trade.refund", {
      out_trade_no: paid,
      refund_amount: "8.00",
      out_request_no: "R1",
    });
    const early = await call("alipay.data.dataservice.bill.downloadurl.query", {
      bill_type: "trade",
      bill_date: "2024-01-01",
    });
    expect(early.subCode).toBe("isp.bill_not_exist");

    sandbox.clock.advance(24 * 60 * 60_000);
    const reply = await call("alipay.data.dataservice.bill.downloadurl.query", {
      bill_type: "trade",
      bill_date: "2024-01-01",
    });
    expect(reply.code).toBe("10000");
    expect(reply.verify(GATEWAY_KEY)).toBe(true);
    const url = String(reply.response["bill_download_url"]);
    expect(url.startsWith(sandbox.url)).toBe(true);
    const download = await fetch(url);
    expect(download.headers.get("content-type")).toBe("application/zip");
    const entries = Object.entries(unzipSync(new Uint8Array(await download.arrayBuffer()))).map(([name, data]) => ({
      name,
      data,
    }));
    expect(entries.map((e) => e.name)).toEqual([
      `${TEST_PARTNER_ID}_20240101_业务明细.csv`,
      `${TEST_PARTNER_ID}_20240101_业务明细(汇总).csv`,
    ]);
    // GBK like Alipay's bills: not valid UTF-8 once it holds Chinese text.
    const bytes = entries[0]?.data ?? Buffer.alloc(0);
    expect(() => new TextDecoder("utf-8", { fatal: true }).decode(bytes)).toThrow();
    const detail = new TextDecoder("gbk").decode(bytes);
    expect(detail.startsWith("#支付宝业务明细查询\r\n")).toBe(true);
    const rows = detail.split("\r\n").filter((l) => !l.startsWith("#") && l !== "");
    expect(rows[0]).toMatch(/^支付宝交易号,商户订单号,业务类型/);
    expect(rows[1]).toContain(`,${paid},交易,Museum ticket,`);
    expect(rows[1]).toContain(",88.00,88.00,");
    expect(rows[2]).toContain(`,${paid},退款,`);
    expect(rows[2]).toContain(",-8.00,-8.00,");
    expect(rows).toHaveLength(3);

    sandbox.clock.advance(31_000);
    expect((await fetch(url)).status).toBe(404);
  });
});
