import { describe, expect, it } from "vitest";
import { buildOpenApiBillBiz } from "./bill.ts";
import {
  buildOpenApiCancelBiz,
  buildOpenApiParams,
  buildOpenApiPayBiz,
  buildOpenApiQueryBiz,
  buildOpenApiRefundBiz,
} from "./params.ts";

const T0 = Date.UTC(2024, 0, 1, 4, 0, 0); // 2024-01-01 12:00:00 GMT+8
const req = { partnerTransId: "TEST20240101120000001", currency: "USD" };
describe("OpenAPI builders", () => {
  it("builds common params with biz_content JSON", () => {
    const params = buildOpenApiParams(
      {
        appId: "2021000000000001",
        signType: "RSA2",
        nowMs: T0,
        notifyUrl: "https://n",
        appAuthToken: "tok",
      },
      "alipay.trade.query",
      { out_trade_no: "P1" },
    );
    expect(params).toEqual({
      app_id: "2021000000000001",
      method: "alipay.trade.query",
      format: "JSON",
      charset: "utf-8",
      sign_type: "RSA2",
      timestamp: "2024-01-01 12:00:00",
      version: "1.0",
      biz_content: '{"out_trade_no":"P1"}',
      notify_url: "https://n",
      app_auth_token: "tok",
    });
  });

  it("builds alipay.trade.pay with scene=bar_code", () => {
    expect(
      buildOpenApiPayBiz({
        partnerTransId: "P1",
        amountMinor: 1234,
        currency: "SGD",
        paymentCode: "281234567890123456",
        subject: "T",
        memo: "m",
        storeId: "S",
        terminalId: "K",
        timeoutExpress: "5m",
        settleCurrency: "USD",
      }),
    ).toEqual({
      out_trade_no: "P1",
      scene: "bar_code",
      auth_code: "281234567890123456",
      product_code: "FACE_TO_FACE_PAYMENT",
      subject: "T",
      total_amount: "12.34",
      trans_currency: "SGD",
      settle_currency: "USD",
      body: "m",
      store_id: "S",
      terminal_id: "K",
      timeout_express: "5m",
    });
    expect(
      buildOpenApiPayBiz({
        partnerTransId: "P1",
        amountMinor: 1,
        currency: "CNY",
        paymentCode: "281234567890123456",
        subject: "T",
      })["trans_currency"],
    ).toBeUndefined();
  });

  it("builds query, cancel, refund and bill biz_content", () => {
    expect(buildOpenApiQueryBiz("P1")).toEqual({ out_trade_no: "P1" });
    expect(buildOpenApiCancelBiz("P1")).toEqual({ out_trade_no: "P1" });
    expect(
      buildOpenApiRefundBiz({
        partnerTransId: "P1",
        partnerRefundId: "R1",
        amountMinor: 5,
        currency: "SGD",
        reason: "r",
      }),
    ).toEqual({
      out_trade_no: "P1",
      out_request_no: "R1",
      refund_amount: "0.05",
      refund_currency: "SGD",
      refund_reason: "r",
    });
    expect(
      buildOpenApiRefundBiz({
        partnerTransId: "P1",
        partnerRefundId: "R1",
        amountMinor: 5,
        currency: "CNY",
      }),
    ).toEqual({
      out_trade_no: "P1",
      out_request_no: "R1",
      refund_amount: "0.05",
    });
    expect(() =>
      buildOpenApiRefundBiz({
        partnerTransId: "P1",
        partnerRefundId: "P1",
        amountMinor: 5,
        currency: "CNY",
      }),
    ).toThrow(/differ/);
    expect(buildOpenApiBillBiz("2024-01-01")).toEqual({
      bill_type: "trade",
      bill_date: "2024-01-01",
    });
  });
});
