import { describe, expect, it } from "vitest";
import { AlipayGatewayError, AlipayResponseError } from "../errors.ts";
import { mapOpenApiBill } from "./bill.ts";
import {
  checkOpenApiGatewayCode,
  mapOpenApiCancel,
  mapOpenApiNotification,
  mapOpenApiPay,
  mapOpenApiQuery,
  mapOpenApiRefund,
  parseOpenApiResponse,
} from "./responses.ts";
import { isLoopbackHost } from "../shared/urls.ts";

const T0 = Date.UTC(2024, 0, 1, 4, 0, 0); // 2024-01-01 12:00:00 GMT+8
const req = { partnerTransId: "TEST20240101120000001", currency: "USD" };
describe("OpenAPI result codes (10000 / 10003 / 20000 / 40004)", () => {
  const paidResponse = {
    code: "10000",
    msg: "Success",
    trade_no: "2024010122001",
    out_trade_no: req.partnerTransId,
    buyer_logon_id: "135***1234",
    buyer_user_id: "2088102122524333",
    total_amount: "0.01",
    trans_currency: "USD",
    gmt_payment: "2024-01-01 12:00:03",
    trans_pay_rate: "7.1234",
  };

  it("parses the response object and rejects non-objects", () => {
    expect(parseOpenApiResponse('{"code":"10000"}')).toEqual({ code: "10000" });
    expect(() => parseOpenApiResponse("[1]")).toThrow(AlipayResponseError);
    expect(() => parseOpenApiResponse("{")).toThrow(AlipayResponseError);
  });

  it("throws typed gateway errors for codes that are not business answers", () => {
    expect(() => checkOpenApiGatewayCode({ code: "40002", sub_code: "isv.invalid-signature" }, "P1")).toThrow(
      AlipayGatewayError,
    );
    expect(() => checkOpenApiGatewayCode({ code: "20001" }, undefined)).toThrow(/20001/);
    expect(() => checkOpenApiGatewayCode({ msg: "x" }, undefined)).toThrow(AlipayResponseError);
    expect(() => checkOpenApiGatewayCode({ code: 10000 }, undefined)).not.toThrow();
  });

  it("pay 10000 → paid", () => {
    expect(mapOpenApiPay(paidResponse, req)).toEqual({
      status: "paid",
      partnerTransId: req.partnerTransId,
      alipayTransId: "2024010122001",
      paidAt: new Date(T0 + 3000),
      amountMinor: 1,
      currency: "USD",
      buyerLoginIdMasked: "135***1234",
      buyerUserId: "2088102122524333",
      exchangeRate: "7.1234",
    });
  });

  it.each([
    [
      { code: "10003", trade_no: "T" },
      { status: "waiting_buyer", alipayTransId: "T" },
    ],
    [{ code: "10003" }, { status: "waiting_buyer" }],
    [
      { code: "20000", sub_code: "aop.unknown-error" },
      { status: "unknown", reason: "aop.unknown-error", isSystemError: true },
    ],
    [
      { code: "40004", sub_code: "ACQ.SYSTEM_ERROR" },
      { status: "unknown", isSystemError: true },
    ],
    [
      { code: "40004", sub_code: "ACQ.TRADE_HAS_SUCCESS" },
      { status: "unknown", isSystemError: false },
    ],
    [
      {
        code: "40004",
        sub_code: "ACQ.PAYMENT_AUTH_CODE_INVALID",
        sub_msg: "[SOUNDWAVE_PARSER_FAIL]",
      },
      {
        status: "failed",
        reason: "ACQ.PAYMENT_AUTH_CODE_INVALID",
        detail: "[SOUNDWAVE_PARSER_FAIL]",
      },
    ],
    [{ code: "40004" }, { status: "failed", reason: "40004" }],
  ])("pay %j → %j", (r, expected) => {
    expect(mapOpenApiPay(r, req)).toMatchObject(expected);
  });

  it("pay rejects a foreign out_trade_no or currency", () => {
    expect(() => mapOpenApiPay({ ...paidResponse, out_trade_no: "X" }, req)).toThrow(AlipayResponseError);
    expect(() => mapOpenApiPay({ ...paidResponse, trans_currency: "SGD" }, req)).toThrow(AlipayResponseError);
    expect(() => mapOpenApiPay({ ...paidResponse, trade_no: "" }, req)).toThrow(/trade_no/);
  });

  it.each([
    [{ ...paidResponse, trade_status: "TRADE_SUCCESS" }, "paid"],
    [
      {
        ...paidResponse,
        trade_status: "TRADE_FINISHED",
        buyer_user_id: undefined,
        buyer_open_id: "o",
      },
      "paid",
    ],
    [{ code: "10000", trade_status: "WAIT_BUYER_PAY", trade_no: "T" }, "waiting_buyer"],
    [{ code: "10000", trade_status: "TRADE_CLOSED" }, "closed"],
    [{ code: "40004", sub_code: "ACQ.TRADE_NOT_EXIST" }, "not_found"],
    [{ code: "40004", sub_code: "ACQ.SYSTEM_ERROR" }, "unknown"],
    [{ code: "40004", sub_code: "ACQ.INVALID_PARAMETER" }, "unknown"],
    [{ code: "20000" }, "unknown"],
  ])("query %j → %s", (r, expected) => {
    expect(mapOpenApiQuery(r, req).status).toBe(expected);
  });

  it("query rejects an unknown trade_status", () => {
    expect(() => mapOpenApiQuery({ code: "10000", trade_status: "X" }, req)).toThrow(AlipayResponseError);
  });

  it.each([
    [
      { code: "10000", action: "close", trade_no: "T", retry_flag: "N" },
      { status: "cancelled", action: "close", alipayTransId: "T" },
    ],
    [
      { code: "10000", action: "refund" },
      { status: "cancelled", action: "refund" },
    ],
    // 10000 without action (or with an unknown one): no trade was found (ref §3a trade.cancel).
    [{ code: "10000", action: "weird" }, { status: "not_found" }],
    [{ code: "10000", retry_flag: "N" }, { status: "not_found" }],
    [{ code: "10000", trade_no: "T" }, { status: "not_found" }],
    [{ code: "40004", sub_code: "ACQ.TRADE_NOT_EXIST" }, { status: "not_found" }],
    [
      {
        code: "40004",
        sub_code: "ACQ.REASON_TRADE_STATUS_INVALID",
        retry_flag: "N",
      },
      { status: "failed", reason: "ACQ.REASON_TRADE_STATUS_INVALID" },
    ],
    [{ code: "40004", sub_code: "ACQ.SYSTEM_ERROR", retry_flag: "Y" }, { status: "retry" }],
    [{ code: "20000" }, { status: "retry" }],
  ])("cancel %j → %j", (r, expected) => {
    expect(mapOpenApiCancel(r, req)).toMatchObject(expected);
  });

  const refundReq = {
    partnerTransId: req.partnerTransId,
    partnerRefundId: "R1",
    amountMinor: 1,
    currency: "USD",
  };
  it.each([
    [
      { code: "10000", fund_change: "Y", refund_fee: "0.01", trade_no: "T" },
      { status: "refunded", refundAmountMinor: 1, alipayTransId: "T" },
    ],
    // No money moved in this call (a delayed refund, or a repeat): not done, confirm by query.
    [
      { code: "10000", fund_change: "N" },
      { status: "accepted", reason: "fund_change=N" },
    ],
    [{ code: "10000" }, { status: "accepted", reason: "fund_change=absent" }],
    [
      { code: "40004", sub_code: "ACQ.SYSTEM_ERROR" },
      { status: "unknown", isSystemError: true },
    ],
    [
      { code: "40004", sub_code: "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL" },
      { status: "failed", reason: "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL" },
    ],
    [{ code: "20000" }, { status: "unknown" }],
  ])("refund %j → %j", (r, expected) => {
    expect(mapOpenApiRefund(r, refundReq)).toMatchObject(expected);
  });

  it.each([
    ["localhost", true],
    ["LOCALHOST", true],
    ["127.0.0.1", true],
    ["127.255.255.254", true],
    ["::1", true],
    ["[::1]", true],
    ["127.0.0.256", false],
    ["127.0.0", false],
    ["128.0.0.1", false],
    ["127.0.0.1.nip.io", false],
    ["localhost.example", false],
    ["[::2]", false],
    ["example.com", false],
  ])("isLoopbackHost(%s) = %s", (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });

  it("bill download url", () => {
    expect(
      mapOpenApiBill({
        code: "10000",
        bill_download_url: "https://dwbillcenter.alipay.com/x",
      }),
    ).toEqual({ downloadUrl: "https://dwbillcenter.alipay.com/x" });
    expect(() => mapOpenApiBill({ code: "10000", bill_download_url: "http://x" })).toThrow(AlipayResponseError);
    // A local sandbox serves its bills over plain http on loopback.
    for (const url of [
      "http://127.0.0.1:4010/sandbox/bills/abc",
      "http://127.8.9.10/bill",
      "http://localhost:4010/bill",
      "http://[::1]:4010/bill",
      "http://dwbillcenter.alipay.com/x",
    ]) {
      expect(mapOpenApiBill({ code: "10000", bill_download_url: url })).toEqual({ downloadUrl: url });
    }
    for (const url of [
      "http://evil.example/x",
      "http://127.0.0.1.evil.example/x",
      "http://128.0.0.1/x",
      "http://10.0.0.5/x",
      "ftp://127.0.0.1/x",
      "not a url",
    ]) {
      expect(() => mapOpenApiBill({ code: "10000", bill_download_url: url })).toThrow(AlipayResponseError);
    }
    expect(mapOpenApiBill({ code: "40004", sub_code: "isp.bill_not_exist" })).toEqual({
      message: "isp.bill_not_exist",
    });
    expect(() => mapOpenApiBill({ code: "40004", sub_code: "isv.invalid-date" })).toThrow(AlipayGatewayError);
    expect(() => mapOpenApiBill({ code: "20000" })).toThrow(AlipayGatewayError);
    expect(() => mapOpenApiBill({})).toThrow(AlipayGatewayError);
  });

  it("notification mapping", () => {
    const n = mapOpenApiNotification({
      out_trade_no: "P1",
      trade_no: "T",
      trade_status: "TRADE_SUCCESS",
      total_amount: "0.10",
      gmt_payment: "2024-01-01 12:00:03",
      notify_id: "n",
    });
    expect(n).toMatchObject({
      protocol: "openapi",
      partnerTransId: "P1",
      status: "paid",
      amountMinor: 10,
      currency: "CNY",
      paidAt: new Date(T0 + 3000),
    });
    expect(() => mapOpenApiNotification({})).toThrow(AlipayResponseError);
  });

  it("notification total_amount is in trans_currency, else CNY (ref §3a; the stored currency is never assumed)", () => {
    const base = {
      out_trade_no: "P1",
      trade_status: "TRADE_SUCCESS",
      total_amount: "32.00",
    };
    expect(mapOpenApiNotification(base)).toMatchObject({
      amountMinor: 3200,
      currency: "CNY",
      amountText: "32.00",
    });
    expect(
      mapOpenApiNotification({
        ...base,
        trans_currency: "SGD",
        settle_currency: "USD",
      }),
    ).toMatchObject({ amountMinor: 3200, currency: "SGD" });
  });

  it("notification: names an app_id or seller_id that is not ours; an unconfigured seller cannot be proven", () => {
    const base = {
      out_trade_no: "P1",
      trade_status: "TRADE_SUCCESS",
      total_amount: "1.00",
    };
    const ours = { appId: "2021000000000001", sellerId: "2088101122136241" };
    expect(
      mapOpenApiNotification({ ...base, app_id: ours.appId, seller_id: ours.sellerId }, ours).foreignIdentity,
    ).toBeUndefined();
    expect(
      mapOpenApiNotification({ ...base, app_id: "2021999999999999", seller_id: ours.sellerId }, ours).foreignIdentity,
    ).toMatch(/^app_id 2021999999999999 is not ours/);
    expect(
      mapOpenApiNotification({ ...base, app_id: ours.appId, seller_id: "2088999999999999" }, ours).foreignIdentity,
    ).toMatch(/^seller_id 2088999999999999 is not ours/);
    expect(
      mapOpenApiNotification({ ...base, seller_id: ours.sellerId }, { appId: ours.appId }).foreignIdentity,
    ).toMatch(/^seller_id 2088101122136241 cannot be proven ours/);
  });
});
