import { describe, expect, it } from "vitest";
import { AlipayGatewayError, AlipayResponseError, AlipayValidationError } from "../errors.ts";
import {
  buildAntomPayBody,
  mapAntomCancel,
  mapAntomPay,
  mapAntomQuery,
  mapAntomRefund,
  mapAntomRefundQuery,
} from "./wire.ts";

const ID = "K_antom_1";
const REQ = { partnerTransId: ID, amountMinor: 1234, currency: "SGD" };
const result = (resultStatus: string, resultCode: string) => ({
  result: { resultStatus, resultCode, resultMessage: resultCode.toLowerCase() },
});
const paidBody = {
  ...result("S", "SUCCESS"),
  paymentRequestId: ID,
  paymentId: "20261205114010800100188000000001",
  paymentAmount: { currency: "SGD", value: "1234" },
  paymentTime: "2026-12-05T11:40:10+08:00",
  pspCustomerInfo: { pspName: "GCASH", pspCustomerId: "6399****0001" },
  paymentMethodType: "CONNECT_WALLET",
};

describe("pay body (User-presented Mode)", () => {
  it("sends IN_STORE_PAYMENT, the code as paymentMethodId, paymentRequestId and minor-unit amounts as strings", () => {
    const body = buildAntomPayBody({
      ...REQ,
      paymentCode: "281234567890123456",
      subject: "2 x Adult",
      paymentMethodType: "CONNECT_WALLET",
      notifyUrl: undefined,
      referenceMerchantId: "S001",
      merchantName: "Harbour Tickets",
      merchantMcc: "7996",
      storeId: "ST01",
      storeName: undefined,
      terminalId: "K01",
      terminalRequestTime: "2026-12-05T03:40:10.000+00:00",
    });
    expect(body).toMatchObject({
      productCode: "IN_STORE_PAYMENT",
      paymentRequestId: ID,
      paymentAmount: { currency: "SGD", value: "1234" },
      paymentMethod: { paymentMethodType: "CONNECT_WALLET", paymentMethodId: "281234567890123456" },
      paymentFactor: { inStorePaymentScenario: "PaymentCode" },
      order: {
        referenceOrderId: ID,
        orderAmount: { currency: "SGD", value: "1234" },
        merchant: { referenceMerchantId: "S001", store: { referenceStoreId: "ST01" } },
        env: { storeTerminalId: "K01" },
      },
    });
    expect(body).not.toHaveProperty("paymentNotifyUrl");
  });

  it.each([
    ["a fractional amount", { amountMinor: 12.5 }],
    ["a zero amount", { amountMinor: 0 }],
    ["an unknown currency", { currency: "XXX" }],
    ["a code with letters", { paymentCode: "28abc" }],
    ["an id with spaces", { partnerTransId: "K 1" }],
  ])("refuses %s before sending", (_label, change) => {
    expect(() =>
      buildAntomPayBody({
        ...REQ,
        paymentCode: "281234567890123456",
        subject: "x",
        paymentMethodType: "CONNECT_WALLET",
        notifyUrl: undefined,
        referenceMerchantId: undefined,
        merchantName: undefined,
        merchantMcc: undefined,
        storeId: undefined,
        storeName: undefined,
        terminalId: undefined,
        terminalRequestTime: "t",
        ...change,
      }),
    ).toThrow(AlipayValidationError);
  });
});

describe("result mapping onto the shared outcome unions", () => {
  it("pay S → paid, with the wallet and payment method type recorded", () => {
    expect(mapAntomPay(paidBody, REQ)).toMatchObject({
      status: "paid",
      partnerTransId: ID,
      alipayTransId: paidBody.paymentId,
      amountMinor: 1234,
      currency: "SGD",
      paymentInst: "GCASH",
      walletName: "GCash",
      paymentMethodType: "CONNECT_WALLET",
      buyerUserId: "6399****0001",
    });
  });

  it.each([
    ["U", "PAYMENT_IN_PROCESS", { status: "waiting_buyer" }],
    ["U", "USER_PAYING", { status: "waiting_buyer" }],
    ["U", "UNKNOWN_EXCEPTION", { status: "unknown", reason: "UNKNOWN_EXCEPTION", isSystemError: true }],
    [
      "U",
      "REQUEST_TRAFFIC_EXCEED_LIMIT",
      { status: "unknown", reason: "REQUEST_TRAFFIC_EXCEED_LIMIT", isSystemError: true },
    ],
    ["U", "SOMETHING_NEW", { status: "unknown", reason: "SOMETHING_NEW", isSystemError: false }],
    ["F", "USER_BALANCE_NOT_ENOUGH", { status: "failed", reason: "USER_BALANCE_NOT_ENOUGH" }],
    ["F", "INVALID_CODE", { status: "failed", reason: "INVALID_CODE" }],
    ["F", "ORDER_IS_CLOSED", { status: "failed", reason: "ORDER_IS_CLOSED" }],
    ["F", "REPEAT_REQ_INCONSISTENT", { status: "unknown", isSystemError: false }],
  ])("pay %s %s", (status, code, expected) => {
    expect(mapAntomPay({ ...result(status, code), paymentRequestId: ID }, REQ)).toMatchObject({
      partnerTransId: ID,
      ...expected,
    });
  });

  it("pay refused at the gate (signature, credentials, parameters) is an error, never a trade fact", () => {
    for (const code of ["INVALID_SIGNATURE", "INVALID_CLIENT", "PARAM_ILLEGAL", "ACCESS_DENIED"])
      expect(() => mapAntomPay(result("F", code), REQ)).toThrow(AlipayGatewayError);
  });

  it("pay S for another id or amount is rejected", () => {
    expect(() => mapAntomPay({ ...paidBody, paymentRequestId: "OTHER" }, REQ)).toThrow(AlipayResponseError);
    expect(() => mapAntomPay({ ...paidBody, paymentAmount: { currency: "SGD", value: "1235" } }, REQ)).toThrow(
      AlipayResponseError,
    );
    expect(() => mapAntomPay({ ...paidBody, paymentAmount: { currency: "SGD", value: "12.34" } }, REQ)).toThrow(
      AlipayResponseError,
    );
    expect(() => mapAntomPay({ paymentRequestId: ID }, REQ)).toThrow(AlipayResponseError);
  });

  it.each([
    ["SUCCESS", "paid"],
    ["PROCESSING", "waiting_buyer"],
    ["PENDING", "waiting_buyer"],
    ["FAIL", "closed"],
    ["CANCELLED", "closed"],
  ])("inquiryPayment S with paymentStatus %s → %s", (paymentStatus, status) => {
    expect(mapAntomQuery({ ...paidBody, paymentStatus }, REQ).status).toBe(status);
  });

  it("inquiryPayment F ORDER_NOT_EXIST → not_found; U → unknown; an unknown paymentStatus is an error", () => {
    expect(mapAntomQuery(result("F", "ORDER_NOT_EXIST"), REQ)).toEqual({ status: "not_found", partnerTransId: ID });
    expect(mapAntomQuery(result("U", "UNKNOWN_EXCEPTION"), REQ)).toMatchObject({
      status: "unknown",
      isSystemError: true,
    });
    expect(() => mapAntomQuery({ ...paidBody, paymentStatus: "WEIRD" }, REQ)).toThrow(AlipayResponseError);
  });

  it.each([
    ["S", "SUCCESS", { status: "cancelled", alipayTransId: paidBody.paymentId }],
    ["U", "UNKNOWN_EXCEPTION", { status: "retry", reason: "UNKNOWN_EXCEPTION" }],
    ["F", "REQUEST_TRAFFIC_EXCEED_LIMIT", { status: "retry" }],
    ["F", "ORDER_NOT_EXIST", { status: "not_found" }],
    ["F", "ORDER_IS_CLOSED", { status: "cancelled", action: "close" }],
    ["F", "ORDER_STATUS_INVALID", { status: "failed", reason: "ORDER_STATUS_INVALID" }],
    ["F", "CANCEL_WINDOW_EXCEED", { status: "failed", reason: "CANCEL_WINDOW_EXCEED" }],
  ])("cancel %s %s", (status, code, expected) => {
    expect(
      mapAntomCancel({ ...result(status, code), paymentRequestId: ID, paymentId: paidBody.paymentId }, REQ),
    ).toMatchObject(expected);
  });

  const REFUND = { ...REQ, partnerRefundId: "R1" };
  it.each([
    ["S", "SUCCESS", { status: "refunded", refundAmountMinor: 1234 }],
    ["U", "REFUND_IN_PROCESS", { status: "accepted" }],
    ["U", "UNKNOWN_EXCEPTION", { status: "unknown", isSystemError: true }],
    ["F", "REFUND_AMOUNT_EXCEED", { status: "failed", reason: "REFUND_AMOUNT_EXCEED" }],
  ])("refund %s %s", (status, code, expected) => {
    expect(
      mapAntomRefund(
        { ...result(status, code), refundRequestId: "R1", refundAmount: { currency: "SGD", value: "1234" } },
        REFUND,
      ),
    ).toMatchObject(expected);
  });

  it.each([
    ["SUCCESS", { status: "refunded", refundAmountMinor: 1234, currency: "SGD" }],
    ["PROCESSING", { status: "pending" }],
    ["FAIL", { status: "failed" }],
  ])("inquiryRefund refundStatus %s", (refundStatus, expected) => {
    expect(
      mapAntomRefundQuery(
        {
          ...result("S", "SUCCESS"),
          refundRequestId: "R1",
          refundStatus,
          refundAmount: { currency: "SGD", value: "1234" },
        },
        REFUND,
      ),
    ).toMatchObject(expected);
    expect(mapAntomRefundQuery(result("F", "REFUND_NOT_EXIST"), REFUND).status).toBe("not_found");
  });
});
