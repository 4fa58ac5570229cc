/** The MAPI gateway: every scenario payment code. */
import { describe, expect, it } from "vitest";
import { TEST_MD5_KEY, TEST_PARTNER_ID } from "@kiosk/alipay-core/testing";
import { responseKey, env, useMapiSandbox, newId, pay, query, cancel, refund, code } from "./__tests__/mapi-harness.ts";

useMapiSandbox();

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
    env.sandbox.clock.advance(29_000);
    expect((await query(id)).response["alipay_trans_status"]).toBe("WAIT_BUYER_PAY");
    env.sandbox.clock.advance(1_000);
    const paid = await query(id);
    expect(paid.response).toMatchObject({
      alipay_trans_status: "TRADE_SUCCESS",
      alipay_pay_time: "20240101120030",
    });
    await env.sandbox.tick();
    expect(env.receiver.received).toHaveLength(1);
    expect(env.receiver.received[0]?.params).toMatchObject({
      notify_type: "trade_status_sync",
      out_trade_no: id,
      trade_status: "TRADE_SUCCESS",
      sign_type: "MD5",
    });
    const { verifyParams } = await import("@kiosk/alipay-core");
    expect(
      verifyParams(env.receiver.received[0]?.params ?? {}, {
        signType: "MD5",
        md5Key: TEST_MD5_KEY,
      }),
    ).toBe(true);
  });

  it("0011 PIN never: stays waiting until cancelled (close)", async () => {
    const id = newId();
    expect((await pay(code("pin_wait_never"), { id })).response["result_code"]).toBe("UNKNOW");
    env.sandbox.clock.advance(60 * 60_000);
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
    env.sandbox.clock.advance(3 * 60 * 60_000);
    expect((await query(id)).response["alipay_trans_status"]).toBe("TRADE_CLOSED");
  });

  it("0012 PIN wait then the buyer gives up: TRADE_CLOSED, nothing charged", async () => {
    const id = newId();
    await pay(code("pin_wait_reject", 5), { id });
    env.sandbox.clock.advance(5_000);
    expect((await query(id)).response["alipay_trans_status"]).toBe("TRADE_CLOSED");
    expect(env.sandbox.store.accounts.get(TEST_PARTNER_ID)?.balances["USD"] ?? 0).toBe(0);
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
