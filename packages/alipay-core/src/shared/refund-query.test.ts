import { describe, expect, it } from "vitest";
import { AlipayResponseError, AlipayValidationError } from "../errors.ts";
import { buildMapiRefundQueryParams } from "../mapi/params.ts";
import { mapMapiRefundQuery } from "../mapi/responses.ts";
import { buildOpenApiRefundQueryBiz } from "../openapi/params.ts";
import { mapOpenApiRefundQuery } from "../openapi/responses.ts";

const req = {
  partnerTransId: "P1",
  partnerRefundId: "R1",
  amountMinor: 1234,
  currency: "SGD",
};

describe("refund query wire", () => {
  it("builds the MAPI and OpenAPI requests from the payment and refund ids", () => {
    expect(buildMapiRefundQueryParams({ partnerId: "2088101122136241" }, req)).toEqual({
      service: "alipay.acquire.refund.query",
      partner: "2088101122136241",
      _input_charset: "UTF-8",
      out_trade_no: "P1",
      out_return_no: "R1",
    });
    expect(buildOpenApiRefundQueryBiz(req)).toEqual({
      out_trade_no: "P1",
      out_request_no: "R1",
    });
  });

  it("rejects bad ids and amounts before sending", () => {
    expect(() => buildOpenApiRefundQueryBiz({ ...req, partnerRefundId: "" })).toThrow(AlipayValidationError);
    expect(() => buildMapiRefundQueryParams({ partnerId: "2088101122136241" }, { ...req, amountMinor: 0 })).toThrow(
      AlipayValidationError,
    );
  });

  it.each([
    [
      {
        code: "10000",
        out_trade_no: "P1",
        out_request_no: "R1",
        refund_amount: "12.34",
        refund_status: "REFUND_SUCCESS",
      },
      { status: "refunded", refundAmountMinor: 1234, currency: "SGD" },
    ],
    [
      {
        code: "10000",
        out_trade_no: "P1",
        out_request_no: "R1",
        refund_amount: "12.34",
      },
      { status: "pending", reason: "no refund_status" },
    ],
    [
      {
        code: "10000",
        out_trade_no: "P1",
        out_request_no: "R1",
        refund_amount: "12.34",
        refund_status: "REFUND_PROCESSING",
      },
      { status: "pending", reason: "REFUND_PROCESSING" },
    ],
    [{ code: "10000", out_trade_no: "P1" }, { status: "not_found" }],
    [{ code: "40004", sub_code: "ACQ.TRADE_NOT_EXIST" }, { status: "not_found" }],
    [
      { code: "40004", sub_code: "ACQ.SYSTEM_ERROR" },
      { status: "unknown", isSystemError: true },
    ],
    [
      { code: "20000", sub_code: "isp.unknow-error" },
      { status: "unknown", isSystemError: true },
    ],
  ])("OpenAPI %j → %j", (r, expected) => {
    expect(mapOpenApiRefundQuery(r, req)).toMatchObject(expected);
  });

  it("OpenAPI: a REFUND_SUCCESS for another amount or another refund is a response error", () => {
    expect(() =>
      mapOpenApiRefundQuery(
        {
          code: "10000",
          out_trade_no: "P1",
          out_request_no: "R1",
          refund_amount: "1.00",
          refund_status: "REFUND_SUCCESS",
        },
        req,
      ),
    ).toThrow(AlipayResponseError);
    expect(() =>
      mapOpenApiRefundQuery(
        {
          code: "10000",
          out_trade_no: "P1",
          out_request_no: "R2",
          refund_amount: "12.34",
          refund_status: "REFUND_SUCCESS",
        },
        req,
      ),
    ).toThrow(AlipayResponseError);
  });

  it.each([
    [
      {
        response_code: "SUCCESS",
        refund_result_code: "SUCCESS",
        out_trade_no: "P1",
        out_return_no: "R1",
        refund_amount: "12.34",
        currency: "SGD",
      },
      { status: "refunded", refundAmountMinor: 1234 },
    ],
    [
      { response_code: "SUCCESS", refund_result_code: "SUCCESS" },
      { status: "refunded", refundAmountMinor: 1234 },
    ],
    [
      {
        response_code: "SUCCESS",
        refund_result_code: "PROCESSING",
        refund_error_code: "MERCHANT_BALANCE_NOT_ENOUGH",
      },
      { status: "pending", reason: "MERCHANT_BALANCE_NOT_ENOUGH" },
    ],
    [
      {
        response_code: "SUCCESS",
        refund_result_code: "FAILED",
        refund_error_code: "MERCHANT_BALANCE_NOT_ENOUGH",
      },
      { status: "failed", reason: "MERCHANT_BALANCE_NOT_ENOUGH" },
    ],
    [
      { response_code: "SUCCESS", refund_result_code: "CANCELED" },
      { status: "failed", reason: "CANCELED" },
    ],
    [{ response_code: "NOT_FOUND" }, { status: "not_found" }],
    [{ response_code: "TRADE_NOT_EXIST" }, { status: "not_found" }],
    [{ response_code: "QUERY_FAILED" }, { status: "unknown", reason: "QUERY_FAILED" }],
  ])("MAPI %j → %j", (fields, expected) => {
    expect(mapMapiRefundQuery(fields, req)).toMatchObject(expected);
  });

  it("MAPI: unknown spellings, another currency or amount are response errors", () => {
    expect(() => mapMapiRefundQuery({ response_code: "OK" }, req)).toThrow(AlipayResponseError);
    expect(() => mapMapiRefundQuery({ response_code: "SUCCESS", refund_result_code: "DONE" }, req)).toThrow(
      AlipayResponseError,
    );
    expect(() =>
      mapMapiRefundQuery(
        {
          response_code: "SUCCESS",
          refund_result_code: "SUCCESS",
          currency: "USD",
        },
        req,
      ),
    ).toThrow(AlipayResponseError);
    expect(() =>
      mapMapiRefundQuery(
        {
          response_code: "SUCCESS",
          refund_result_code: "SUCCESS",
          refund_amount: "12.00",
        },
        req,
      ),
    ).toThrow(AlipayResponseError);
    expect(() =>
      mapMapiRefundQuery(
        {
          response_code: "SUCCESS",
          refund_result_code: "SUCCESS",
          out_return_no: "R9",
        },
        req,
      ),
    ).toThrow(AlipayResponseError);
  });
});
