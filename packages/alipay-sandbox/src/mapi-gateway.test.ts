/** The MAPI gateway (`service=`) per sign type, and its gateway-level errors. */
import { describe, expect, it } from "vitest";
import { TEST_PARTNER_ID } from "@kiosk/alipay-core/testing";
import { mapiCall } from "./testing/signed-request.ts";
import {
  SIGNING_KEYS,
  responseKey,
  env,
  useMapiSandbox,
  newId,
  call,
  pay,
  query,
  code,
} from "./__tests__/mapi-harness.ts";

useMapiSandbox();

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
      gatewayUrl: env.sandbox.gatewayUrl,
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
      gatewayUrl: env.sandbox.gatewayUrl,
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
    env.sandbox.clock.advance(5_000);
    await env.sandbox.tick();
    const params = env.receiver.received[0]?.params ?? {};
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
      gatewayUrl: env.sandbox.gatewayUrl,
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
        gatewayUrl: env.sandbox.gatewayUrl,
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
