import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SigningKey, VerifyingKey } from "@kiosk/alipay-core";
import {
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MD5_KEY,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_PARTNER_ID,
} from "@kiosk/alipay-core/testing";
import { scenarioCode, type ScenarioId } from "./scenarios.ts";
import { mapiCall, type MapiReply } from "./testing/signed-request.ts";
import {
  startNotificationReceiver,
  startTestSandbox,
  type NotificationReceiver,
  type TestSandbox,
} from "./testing/sandbox-fixture.ts";

const SIGNING_KEYS: Record<"MD5" | "RSA" | "RSA2", SigningKey> = {
  MD5: { signType: "MD5", md5Key: TEST_MD5_KEY },
  RSA: { signType: "RSA", privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM },
  RSA2: { signType: "RSA2", privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM },
};

function responseKey(signType: "MD5" | "RSA" | "RSA2"): VerifyingKey {
  return signType === "MD5" ? { signType, md5Key: TEST_MD5_KEY } : { signType, publicKey: TEST_GATEWAY_PUBLIC_KEY_PEM };
}

let sandbox: TestSandbox;
let receiver: NotificationReceiver;
let counter = 0;

beforeEach(async () => {
  sandbox = await startTestSandbox({ slowResponseScale: 0.005 });
  receiver = await startNotificationReceiver();
});

afterEach(async () => {
  await sandbox.close();
  await receiver.close();
});

function newId(): string {
  counter += 1;
  return `T${Date.now()}${counter}`;
}

function call(
  service: string,
  params: Record<string, string | undefined>,
  signType: "MD5" | "RSA" | "RSA2" = "MD5",
  httpMethod: "GET" | "POST" = "POST",
): Promise<MapiReply> {
  return mapiCall({
    gatewayUrl: sandbox.gatewayUrl,
    params: {
      service,
      partner: TEST_PARTNER_ID,
      _input_charset: "UTF-8",
      ...params,
    },
    key: SIGNING_KEYS[signType],
    httpMethod,
  });
}

function pay(
  code: string,
  options: {
    id?: string;
    amount?: string;
    currency?: string;
    signType?: "MD5" | "RSA" | "RSA2";
    notify?: boolean;
  } = {},
): Promise<MapiReply> {
  return call(
    "alipay.acquire.overseas.spot.pay",
    {
      alipay_seller_id: TEST_PARTNER_ID,
      trans_name: "Museum ticket",
      partner_trans_id: options.id ?? newId(),
      currency: options.currency ?? "USD",
      trans_amount: options.amount ?? "10.00",
      buyer_identity_code: code,
      identity_code_type: "barcode",
      trans_create_time: "20240101120000",
      biz_product: "OVERSEAS_MBARCODE_PAY",
      notify_url: options.notify === true ? receiver.url : undefined,
      extend_info: JSON.stringify({
        secondary_merchant_id: "S001",
        store_id: "ST01",
        terminal_id: "K01",
      }),
    },
    options.signType ?? "MD5",
  );
}

function query(id: string, signType: "MD5" | "RSA" | "RSA2" = "MD5"): Promise<MapiReply> {
  return call("alipay.acquire.overseas.query", { partner_trans_id: id }, signType);
}

function cancel(id: string): Promise<MapiReply> {
  return call("alipay.acquire.cancel", {
    out_trade_no: id,
    timestamp: String(sandbox.clock.now()),
  });
}

function refund(id: string, refundId: string, amount: string, extra: Record<string, string> = {}): Promise<MapiReply> {
  return call("alipay.acquire.overseas.spot.refund", {
    partner_trans_id: id,
    partner_refund_id: refundId,
    refund_amount: amount,
    currency: "USD",
    is_sync: "Y",
    ...extra,
  });
}

function code(id: ScenarioId, parameter = 0): string {
  return scenarioCode(id, { parameter, serial: 12345678 });
}

describe.each(["MD5", "RSA", "RSA2"] as const)("MAPI with sign_type=%s", (signType) => {
  it("pays instantly, signs the answer and finds the trade by query", async () => {
    const id = newId();
    const paid = await pay(code("success"), { id, signType });
    expect(paid.isSuccess).toBe(true);
    expect(paid.signType).toBe(signType);
    expect(paid.verify(responseKey(signType))).toBe(true);
    expect(paid.response).toMatchObject({
      result_code: "SUCCESS",
      partner_trans_id: id,
      trans_amount: "10.00",
      currency: "USD",
      exchange_rate: "7.12340000",
      trans_amount_cny: "71.23",
      alipay_pay_time: "20240101120000",
    });
    expect(paid.response["alipay_trans_id"]).toMatch(/^\d{28}$/);
    expect(paid.request["partner_trans_id"]).toBe(id);
    expect(paid.request["_input_charset"]).toBe("UTF-8");

    const found = await query(id, signType);
    expect(found.verify(responseKey(signType))).toBe(true);
    expect(found.response).toMatchObject({
      result_code: "SUCCESS",
      alipay_trans_status: "TRADE_SUCCESS",
      out_trade_no: id,
    });
  });

  it("rejects a bad signature with ILLEGAL_SIGN (unsigned)", async () => {
    const reply = await mapiCall({
      gatewayUrl: sandbox.gatewayUrl,
      params: {
        service: "alipay.acquire.overseas.query",
        partner: TEST_PARTNER_ID,
        partner_trans_id: "X1",
      },
      key: SIGNING_KEYS[signType],
      signOverride: signType === "MD5" ? "0".repeat(32) : Buffer.alloc(256, 1).toString("base64"),
    });
    expect(reply).toMatchObject({
      isSuccess: false,
      error: "ILLEGAL_SIGN",
      sign: undefined,
    });
  });

  it("rejects a request whose parameters changed after signing", async () => {
    const reply = await mapiCall({
      gatewayUrl: sandbox.gatewayUrl,
      params: {
        service: "alipay.acquire.overseas.query",
        partner: TEST_PARTNER_ID,
        partner_trans_id: "X1",
      },
      key: SIGNING_KEYS[signType],
      signOverride: (await import("@kiosk/alipay-core")).signParams(
        {
          service: "alipay.acquire.overseas.query",
          partner: TEST_PARTNER_ID,
          partner_trans_id: "X2",
        },
        SIGNING_KEYS[signType],
      ),
    });
    expect(reply.error).toBe("ILLEGAL_SIGN");
  });

  it("runs a PIN wait to success and signs the notification the same way", async () => {
    const id = newId();
    expect((await pay(code("pin_wait_confirm", 5), { id, signType, notify: true })).response["result_code"]).toBe(
      "UNKNOW",
    );
    sandbox.clock.advance(5_000);
    await sandbox.tick();
    const params = receiver.received[0]?.params ?? {};
    expect(params).toMatchObject({
      out_trade_no: id,
      trade_status: "TRADE_SUCCESS",
      sign_type: signType,
    });
    const { verifyParams } = await import("@kiosk/alipay-core");
    expect(verifyParams(params, responseKey(signType))).toBe(true);
  });

  it("reverses a paid trade with cancel and refuses an over-refund", async () => {
    const reversed = newId();
    await pay(code("success"), { id: reversed, signType });
    const cancelled = await call(
      "alipay.acquire.cancel",
      { out_trade_no: reversed, timestamp: "1704081630123" },
      signType,
    );
    expect(cancelled.response["result_code"]).toBe("SUCCESS");
    expect(cancelled.verify(responseKey(signType))).toBe(true);
    const refunded = newId();
    await pay(code("success"), { id: refunded, signType, amount: "1.00" });
    const over = await call(
      "alipay.acquire.overseas.spot.refund",
      {
        partner_trans_id: refunded,
        partner_refund_id: `${refunded}R`,
        refund_amount: "1.01",
        currency: "USD",
        is_sync: "Y",
      },
      signType,
    );
    expect(over.response).toMatchObject({
      result_code: "FAILED",
      error: "REFUND_AMT_NOT_EQUAL_TOTAL",
    });
    expect(over.verify(responseKey(signType))).toBe(true);
  });

  it("accepts GET with everything in the query string", async () => {
    const reply = await call("alipay.acquire.overseas.query", { partner_trans_id: "NOPE" }, signType, "GET");
    expect(reply.isSuccess).toBe(true);
    expect(reply.response).toMatchObject({
      result_code: "FAIL",
      error: "TRANS_NOT_FOUND",
    });
    expect(reply.verify(responseKey(signType))).toBe(true);
  });
});

describe("MAPI gateway errors", () => {
  it("answers ILLEGAL_PARTNER for an unknown partner", async () => {
    const reply = await mapiCall({
      gatewayUrl: sandbox.gatewayUrl,
      params: {
        service: "alipay.acquire.overseas.query",
        partner: "2088000000000000",
        partner_trans_id: "X",
      },
      key: SIGNING_KEYS.MD5,
    });
    expect(reply.error).toBe("ILLEGAL_PARTNER");
  });

  it("answers ILLEGAL_SIGN_TYPE for a missing or unknown sign_type", async () => {
    for (const override of [null, "DSA"]) {
      const reply = await mapiCall({
        gatewayUrl: sandbox.gatewayUrl,
        params: {
          service: "alipay.acquire.overseas.query",
          partner: TEST_PARTNER_ID,
          partner_trans_id: "X",
        },
        key: SIGNING_KEYS.MD5,
        signTypeOverride: override,
      });
      expect(reply.error).toBe("ILLEGAL_SIGN_TYPE");
    }
  });

  it("answers ILLEGAL_SERVICE for an unknown service", async () => {
    expect((await call("alipay.acquire.overseas.cancel", { out_trade_no: "X" })).error).toBe("ILLEGAL_SERVICE");
  });

  it("answers ILLEGAL_ARGUMENT when a required parameter is missing", async () => {
    const reply = await call("alipay.acquire.overseas.spot.pay", {
      alipay_seller_id: TEST_PARTNER_ID,
      trans_name: "Ticket",
      partner_trans_id: newId(),
      currency: "USD",
      buyer_identity_code: code("success"),
    });
    expect(reply.error).toBe("ILLEGAL_ARGUMENT");
    expect((await call("alipay.acquire.overseas.query", {})).error).toBe("ILLEGAL_ARGUMENT");
    expect((await call("alipay.acquire.cancel", { out_trade_no: "X" })).error).toBe("ILLEGAL_ARGUMENT");
    expect(
      (
        await call("alipay.acquire.overseas.spot.refund", {
          partner_trans_id: "X",
          currency: "USD",
        })
      ).error,
    ).toBe("ILLEGAL_ARGUMENT");
  });

  it("answers ILLEGAL_CHARSET for a charset it does not simulate", async () => {
    expect(
      (
        await call("alipay.acquire.overseas.query", {
          partner_trans_id: "X",
          _input_charset: "GBK",
        })
      ).error,
    ).toBe("ILLEGAL_CHARSET");
  });

  it("refuses malformed values with a signed INVALID_PARAMETER", async () => {
    const badAmount = await pay(code("success"), { amount: "10.999" });
    expect(badAmount.response).toMatchObject({
      result_code: "FAILED",
      error: "INVALID_PARAMETER",
    });
    expect(badAmount.verify(responseKey("MD5"))).toBe(true);
    const jpyDecimals = await pay(code("success"), {
      amount: "100.50",
      currency: "JPY",
    });
    expect(jpyDecimals.response["error"]).toBe("INVALID_PARAMETER");
    const currency = await pay(code("success"), { currency: "XXX" });
    expect(currency.response["error"]).toBe("CURRENCY_NOT_SUPPORT");
  });
});

describe("MAPI scenario codes", () => {
  it("0001 insufficient balance: FAILED, trade closed", async () => {
    const id = newId();
    const reply = await pay(code("insufficient_balance"), { id });
    expect(reply.response).toMatchObject({
      result_code: "FAILED",
      error: "BUYER_BALANCE_NOT_ENOUGH",
    });
    expect((await query(id)).response["alipay_trans_status"]).toBe("TRADE_CLOSED");
  });

  it("0002 expired code and non-Alipay codes: SOUNDWAVE_PARSER_FAIL, no trade", async () => {
    const id = newId();
    expect((await pay(code("expired_code"), { id })).response).toMatchObject({
      result_code: "FAILED",
      error: "SOUNDWAVE_PARSER_FAIL",
    });
    expect((await query(id)).response["error"]).toBe("TRANS_NOT_FOUND");
    expect((await pay("123456789012345678")).response["error"]).toBe("SOUNDWAVE_PARSER_FAIL");
  });

  it("0010 PIN wait: UNKNOW, WAIT_BUYER_PAY until N seconds of sandbox time, then paid and notified", async () => {
    const id = newId();
    const reply = await pay(code("pin_wait_confirm", 30), { id, notify: true });
    expect(reply.response).toMatchObject({
      result_code: "UNKNOW",
      error: "ORDER_SUCCESS_PAY_INPROCESS",
    });
    expect((await query(id)).response["alipay_trans_status"]).toBe("WAIT_BUYER_PAY");
    sandbox.clock.advance(29_000);
    expect((await query(id)).response["alipay_trans_status"]).toBe("WAIT_BUYER_PAY");
    sandbox.clock.advance(1_000);
    const paid = await query(id);
    expect(paid.response).toMatchObject({
      alipay_trans_status: "TRADE_SUCCESS",
      alipay_pay_time: "20240101120030",
    });
    await sandbox.tick();
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]?.params).toMatchObject({
      notify_type: "trade_status_sync",
      out_trade_no: id,
      trade_status: "TRADE_SUCCESS",
      sign_type: "MD5",
    });
    const { verifyParams } = await import("@kiosk/alipay-core");
    expect(
      verifyParams(receiver.received[0]?.params ?? {}, {
        signType: "MD5",
        md5Key: TEST_MD5_KEY,
      }),
    ).toBe(true);
  });

  it("0011 PIN never: stays waiting until cancelled (close)", async () => {
    const id = newId();
    expect((await pay(code("pin_wait_never"), { id })).response["result_code"]).toBe("UNKNOW");
    sandbox.clock.advance(60 * 60_000);
    expect((await query(id)).response["alipay_trans_status"]).toBe("WAIT_BUYER_PAY");
    const cancelled = await cancel(id);
    expect(cancelled.response).toMatchObject({
      result_code: "SUCCESS",
      retry_flag: "N",
      out_trade_no: id,
    });
    expect((await query(id)).response["alipay_trans_status"]).toBe("TRADE_CLOSED");
  });

  it("0011 PIN never: closes by itself after the waiting-trade expiry", async () => {
    const id = newId();
    await pay(code("pin_wait_never"), { id });
    sandbox.clock.advance(3 * 60 * 60_000);
    expect((await query(id)).response["alipay_trans_status"]).toBe("TRADE_CLOSED");
  });

  it("0012 PIN wait then the buyer gives up: TRADE_CLOSED, nothing charged", async () => {
    const id = newId();
    await pay(code("pin_wait_reject", 5), { id });
    sandbox.clock.advance(5_000);
    expect((await query(id)).response["alipay_trans_status"]).toBe("TRADE_CLOSED");
    expect(sandbox.store.accounts.get(TEST_PARTNER_ID)?.balances["USD"] ?? 0).toBe(0);
  });

  it("0020 UNKNOW on pay although the charge went through", async () => {
    const id = newId();
    expect((await pay(code("unknown_paid"), { id })).response).toMatchObject({
      result_code: "UNKNOW",
      error: "SYSTEM_ERROR",
    });
    expect((await query(id)).response["alipay_trans_status"]).toBe("TRADE_SUCCESS");
  });

  it("0021 UNKNOW on pay and no trade: cancel answers TRADE_NOT_EXIST", async () => {
    const id = newId();
    expect((await pay(code("unknown_not_created"), { id })).response["result_code"]).toBe("UNKNOW");
    expect((await query(id)).response["error"]).toBe("TRANS_NOT_FOUND");
    expect((await cancel(id)).response).toMatchObject({
      result_code: "FAIL",
      retry_flag: "N",
      detail_error_code: "TRADE_NOT_EXIST",
    });
  });

  it("0030 SYSTEM_ERROR on the first K calls of every service", async () => {
    const id = newId();
    const first = await pay(code("system_error", 2), { id });
    expect(first).toMatchObject({ isSuccess: false, error: "SYSTEM_ERROR" });
    expect((await query(id)).error).toBe("SYSTEM_ERROR");
    expect((await query(id)).error).toBe("SYSTEM_ERROR");
    expect((await query(id)).response["alipay_trans_status"]).toBe("TRADE_SUCCESS");
    expect((await refund(id, `${id}R1`, "1.00")).error).toBe("SYSTEM_ERROR");
    expect((await refund(id, `${id}R1`, "1.00")).error).toBe("SYSTEM_ERROR");
    expect((await refund(id, `${id}R1`, "1.00")).response["result_code"]).toBe("SUCCESS");
    // pay had its first call failing too; the second pay call repeats the id.
    expect((await pay(code("system_error", 2), { id })).error).toBe("SYSTEM_ERROR");
    expect((await pay(code("system_error", 2), { id })).response["error"]).toBe("TRADE_HAS_SUCCESS");
  });

  it("0031 SYSTEM_ERROR without a trade on the first K pays: queries find nothing, pay K+1 charges", async () => {
    const id = newId();
    for (let i = 0; i < 2; i++) {
      expect(await pay(code("system_error_no_trade", 2), { id })).toMatchObject({
        isSuccess: false,
        error: "SYSTEM_ERROR",
      });
      expect((await query(id)).response["error"]).toBe("TRANS_NOT_FOUND");
    }
    expect((await pay(code("system_error_no_trade", 2), { id })).response["result_code"]).toBe("SUCCESS");
    expect((await query(id)).response["alipay_trans_status"]).toBe("TRADE_SUCCESS");
  });

  it("0040 slow response: answers late (scaled), trade recorded on arrival", async () => {
    const id = newId();
    const started = performance.now();
    const reply = await pay(code("slow_response", 4), { id });
    expect(performance.now() - started).toBeGreaterThanOrEqual(15); // 4 s × 0.005
    expect(reply.response["result_code"]).toBe("SUCCESS");
  });

  it("0050 dropped connection after charging: no answer, query finds TRADE_SUCCESS", async () => {
    const id = newId();
    await expect(pay(code("dropped_connection"), { id })).rejects.toThrow();
    expect((await query(id)).response["alipay_trans_status"]).toBe("TRADE_SUCCESS");
  });

  it("0051 dropped before processing: no answer, no trade", async () => {
    const id = newId();
    await expect(pay(code("dropped_before_processing"), { id })).rejects.toThrow();
    expect((await query(id)).response["error"]).toBe("TRANS_NOT_FOUND");
  });

  it.each(["MD5", "RSA2"] as const)(
    "0060 bad signature (%s): the answer does not verify, the trade is paid",
    async (signType) => {
      const id = newId();
      const reply = await pay(code("bad_signature"), { id, signType });
      expect(reply.response["result_code"]).toBe("SUCCESS");
      expect(reply.sign).toBeDefined();
      expect(reply.verify(responseKey(signType))).toBe(false);
      const found = await query(id, signType);
      expect(found.verify(responseKey(signType))).toBe(true);
      expect(found.response["alipay_trans_status"]).toBe("TRADE_SUCCESS");
    },
  );

  it("refuses a repeated partner_trans_id", async () => {
    const id = newId();
    await pay(code("success"), { id });
    expect((await pay(code("success"), { id })).response).toMatchObject({
      result_code: "FAILED",
      error: "TRADE_HAS_SUCCESS",
    });
  });
});

describe("MAPI cancel", () => {
  it("reverses a paid trade on the same Beijing day and moves the money back", async () => {
    const id = newId();
    const paid = await pay(code("success"), { id });
    const buyerId = paid.response["alipay_buyer_user_id"] as string;
    expect(sandbox.store.accounts.get(TEST_PARTNER_ID)?.balances["USD"]).toBe(1000);
    const buyerBefore = sandbox.store.accounts.get(buyerId)?.balances["CNY"];
    const cancelled = await cancel(id);
    expect(cancelled.response).toMatchObject({
      result_code: "SUCCESS",
      retry_flag: "N",
      out_trade_no: id,
      trade_no: paid.response["alipay_trans_id"],
    });
    expect(cancelled.verify(responseKey("MD5"))).toBe(true);
    expect((await query(id)).response["alipay_trans_status"]).toBe("TRADE_CLOSED");
    expect(sandbox.store.accounts.get(TEST_PARTNER_ID)?.balances["USD"]).toBe(0);
    expect(sandbox.store.accounts.get(buyerId)?.balances["CNY"]).toBe((buyerBefore ?? 0) + 7123);
    expect((await cancel(id)).response["result_code"]).toBe("SUCCESS");
    expect((await refund(id, `${id}R1`, "1.00")).response).toMatchObject({
      result_code: "FAILED",
      error: "TRADE_STATUS_ERROR",
    });
  });

  it("refuses to reverse a paid trade on a later day", async () => {
    const id = newId();
    await pay(code("success"), { id });
    sandbox.clock.advance(12 * 60 * 60_000); // 12:00 → 00:00 next day, GMT+8
    expect((await cancel(id)).response).toMatchObject({
      result_code: "FAIL",
      retry_flag: "N",
      detail_error_code: "TRADE_STATUS_ERROR",
    });
  });

  it("refuses to reverse a partially refunded trade", async () => {
    const id = newId();
    await pay(code("success"), { id });
    await refund(id, `${id}R1`, "1.00");
    expect((await cancel(id)).response["detail_error_code"]).toBe("REFUND_AMT_NOT_EQUAL_TOTAL");
  });
});

describe("MAPI refund", () => {
  it("refunds partially, refuses an over-refund, then closes the trade on the full amount", async () => {
    const id = newId();
    await pay(code("success"), { id, amount: "10.00" });
    const first = await refund(id, `${id}R1`, "3.00", {
      refund_reason: "customer request",
    });
    expect(first.response).toMatchObject({
      result_code: "SUCCESS",
      refund_amount: "3.00",
      refund_amount_cny: "21.37",
      partner_refund_id: `${id}R1`,
    });
    expect(first.verify(responseKey("MD5"))).toBe(true);
    expect((await query(id)).response["alipay_trans_status"]).toBe("TRADE_SUCCESS");
    const over = await refund(id, `${id}R2`, "7.01");
    expect(over.response).toMatchObject({
      result_code: "FAILED",
      error: "REFUND_AMT_NOT_EQUAL_TOTAL",
    });
    const rest = await refund(id, `${id}R3`, "7.00");
    expect(rest.response).toMatchObject({
      result_code: "SUCCESS",
      refund_amount_cny: "49.86",
    });
    expect((await query(id)).response["alipay_trans_status"]).toBe("TRADE_CLOSED");
    expect((await refund(id, `${id}R4`, "0.01")).response["error"]).toBe("REFUND_AMT_NOT_EQUAL_TOTAL");
    expect(sandbox.store.accounts.get(TEST_PARTNER_ID)?.balances["USD"]).toBe(0);
  });

  it("is idempotent per partner_refund_id and refuses a discordant repeat", async () => {
    const id = newId();
    await pay(code("success"), { id });
    expect((await refund(id, `${id}R1`, "2.00")).response["result_code"]).toBe("SUCCESS");
    expect((await refund(id, `${id}R1`, "2.00")).response["result_code"]).toBe("SUCCESS");
    expect(sandbox.store.refunds).toHaveLength(1);
    expect((await refund(id, `${id}R1`, "3.00")).response["error"]).toBe("DISCORDANT_REPEAT_REQUEST");
  });

  it("refuses unknown trades, unpaid trades, other currencies and reused payment ids", async () => {
    expect((await refund("NOPE", "NOPE-R", "1.00")).response["error"]).toBe("TRADE_NOT_EXIST");
    const waiting = newId();
    await pay(code("pin_wait_never"), { id: waiting });
    expect((await refund(waiting, `${waiting}R`, "1.00")).response["error"]).toBe("TRADE_STATUS_ERROR");
    const id = newId();
    await pay(code("success"), { id });
    expect((await refund(id, `${id}R`, "1.00", { currency: "EUR" })).response["error"]).toBe("INVALID_PARAMETER");
    expect((await refund(id, id, "1.00")).response["error"]).toBe("INVALID_PARAMETER");
  });

  it("notifies an asynchronous refund (is_sync=N) to its notify_url", async () => {
    const id = newId();
    await pay(code("success"), { id });
    await refund(id, `${id}R1`, "4.00", {
      is_sync: "N",
      notify_url: receiver.url,
    });
    await sandbox.tick();
    expect(receiver.received.map((r) => r.params)).toEqual([
      expect.objectContaining({
        partner_refund_id: `${id}R1`,
        refund_amount: "4.00",
        refund_status: "REFUND_SUCCESS",
      }),
    ]);
    const notifyId = receiver.received[0]?.params["notify_id"] as string;
    const verified = await mapiCall({
      gatewayUrl: sandbox.gatewayUrl,
      params: {
        service: "notify_verify",
        partner: TEST_PARTNER_ID,
        notify_id: notifyId,
      },
      key: SIGNING_KEYS.MD5,
    });
    expect(verified.text).toBe("true");
  });
});

describe("MAPI settlement files", () => {
  it("lists the day's payments, refunds and cancels from the sandbox's records", async () => {
    const paidId = newId();
    const cancelledId = newId();
    await pay(code("success"), { id: paidId, amount: "10.00" });
    await refund(paidId, `${paidId}R1`, "2.50");
    await pay(code("success"), { id: cancelledId, amount: "5.00" });
    await cancel(cancelledId);
    await pay(code("insufficient_balance"));

    const sameDay = await call("forex_compare_file", {
      start_date: "20240101",
      end_date: "20240101",
    });
    expect(sameDay.text).toBe("End date must be before today");

    sandbox.clock.advance(24 * 60 * 60_000);
    const file = await call("forex_compare_file", {
      start_date: "20240101",
      end_date: "20240101",
    });
    const lines = file.text.split("\n");
    expect(lines).toEqual([
      `${paidId}|10.00|USD|20240101120000|20240102090000|PAYMENT|0.06|SUCCESS|`,
      `${paidId}R1|2.50|USD|20240101120000|20240102090000|REFUND|0.02|SUCCESS|partner_trans_id=${paidId}`,
      `${cancelledId}|5.00|USD|20240101120000|20240102090000|PAYMENT|0.03|SUCCESS|`,
      `${cancelledId}|5.00|USD|20240101120000|20240102090000|CANCEL|0.03|SUCCESS|partner_trans_id=${cancelledId}`,
    ]);
    sandbox.clock.advance(24 * 60 * 60_000);
    const liquidation = await call("forex_liquidation_file", {
      start_date: "20240102",
      end_date: "20240102",
    });
    expect(liquidation.text.split("\n")).toHaveLength(4);

    expect(
      (
        await call("forex_compare_file", {
          start_date: "20231231",
          end_date: "20231231",
        })
      ).text,
    ).toBe("No balance account data in the period");
    expect(
      (
        await call("forex_compare_file", {
          start_date: "20231201",
          end_date: "20231231",
        })
      ).text,
    ).toBe("Over 10 days to Date period");
    expect(
      (
        await call("forex_compare_file", {
          start_date: "2024-01-01",
          end_date: "20240101",
        })
      ).text,
    ).toBe("Date format incorrect YYYYMMDD");
  });
});
