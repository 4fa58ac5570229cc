/** The MAPI gateway: cancel, refund and settlement files. */
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
  cancel,
  refund,
  code,
} from "./__tests__/mapi-harness.ts";

useMapiSandbox();

describe("MAPI cancel", () => {
  it("reverses a paid trade on the same Beijing day and moves the money back", async () => {
    const id = newId();
    const paid = await pay(code("success"), { id });
    const buyerId = paid.response["alipay_buyer_user_id"] as string;
    expect(env.sandbox.store.accounts.get(TEST_PARTNER_ID)?.balances["USD"]).toBe(1000);
    const buyerBefore = env.sandbox.store.accounts.get(buyerId)?.balances["CNY"];
    const cancelled = await cancel(id);
    expect(cancelled.response).toMatchObject({
      result_code: "SUCCESS",
      retry_flag: "N",
      out_trade_no: id,
      trade_no: paid.response["alipay_trans_id"],
    });
    expect(cancelled.verify(responseKey("MD5"))).toBe(true);
    expect((await query(id)).response["alipay_trans_status"]).toBe("TRADE_CLOSED");
    expect(env.sandbox.store.accounts.get(TEST_PARTNER_ID)?.balances["USD"]).toBe(0);
    expect(env.sandbox.store.accounts.get(buyerId)?.balances["CNY"]).toBe((buyerBefore ?? 0) + 7123);
    expect((await cancel(id)).response["result_code"]).toBe("SUCCESS");
    expect((await refund(id, `${id}R1`, "1.00")).response).toMatchObject({
      result_code: "FAILED",
      error: "TRADE_STATUS_ERROR",
    });
  });

  it("refuses to reverse a paid trade on a later day", async () => {
    const id = newId();
    await pay(code("success"), { id });
    env.sandbox.clock.advance(12 * 60 * 60_000); // 12:00 → 00:00 next day, GMT+8
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
    expect(env.sandbox.store.accounts.get(TEST_PARTNER_ID)?.balances["USD"]).toBe(0);
  });

  it("is idempotent per partner_refund_id and refuses a discordant repeat", async () => {
    const id = newId();
    await pay(code("success"), { id });
    expect((await refund(id, `${id}R1`, "2.00")).response["result_code"]).toBe("SUCCESS");
    expect((await refund(id, `${id}R1`, "2.00")).response["result_code"]).toBe("SUCCESS");
    expect(env.sandbox.store.refunds).toHaveLength(1);
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
      notify_url: env.receiver.url,
    });
    await env.sandbox.tick();
    expect(env.receiver.received.map((r) => r.params)).toEqual([
      expect.objectContaining({
        partner_refund_id: `${id}R1`,
        refund_amount: "4.00",
        refund_status: "REFUND_SUCCESS",
      }),
    ]);
    const notifyId = env.receiver.received[0]?.params["notify_id"] as string;
    const verified = await mapiCall({
      gatewayUrl: env.sandbox.gatewayUrl,
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

    env.sandbox.clock.advance(24 * 60 * 60_000);
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
    env.sandbox.clock.advance(24 * 60 * 60_000);
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
