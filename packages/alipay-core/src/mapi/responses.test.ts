import { describe, expect, it } from "vitest";
import { AlipayResponseError } from "../errors.ts";
import { declaredCharset, mapiGatewayError, parseMapiEnvelope } from "./envelope.ts";
import { mapMapiCancel, mapMapiNotification, mapMapiPay, mapMapiQuery, mapMapiRefund } from "./responses.ts";

const T0 = Date.UTC(2024, 0, 1, 4, 0, 0); // 2024-01-01 12:00:00 GMT+8
const req = { partnerTransId: "TEST20240101120000001", currency: "USD" };
describe("MAPI envelope", () => {
  it("parses a success envelope, decoding entities and keeping empty fields", () => {
    const env = parseMapiEnvelope(
      '<?xml version="1.0" encoding="GBK"?><alipay><is_success>T</is_success><request><param name="a">1</param></request><response><alipay><x>a &amp; b</x><e/><n>007</n></alipay></response><sign>abc</sign><sign_type>MD5</sign_type></alipay>',
    );
    expect(env).toEqual({
      isSuccess: true,
      fields: { x: "a & b", e: "", n: "007" },
      sign: "abc",
      signType: "MD5",
    });
  });

  it("parses a gateway rejection", () => {
    expect(parseMapiEnvelope("<alipay><is_success>F</is_success><error>ILLEGAL_SIGN</error></alipay>")).toEqual({
      isSuccess: false,
      error: "ILLEGAL_SIGN",
    });
    expect(parseMapiEnvelope("<alipay><is_success>F</is_success></alipay>")).toEqual({
      isSuccess: false,
      error: "UNKNOWN_GATEWAY_ERROR",
    });
  });

  it("reports a missing sign as undefined", () => {
    const env = parseMapiEnvelope(
      "<alipay><is_success>T</is_success><response><alipay><a>1</a></alipay></response></alipay>",
    );
    expect(env).toEqual({
      isSuccess: true,
      fields: { a: "1" },
      sign: undefined,
      signType: undefined,
    });
  });

  it.each([
    ["not xml", "garbage"],
    ["a DTD", '<!DOCTYPE alipay [<!ENTITY a "x">]><alipay><is_success>F</is_success><error>&a;</error></alipay>'],
    ["wrong root", "<html><body>x</body></html>"],
    ["bad is_success", "<alipay><is_success>X</is_success></alipay>"],
    ["no response", "<alipay><is_success>T</is_success></alipay>"],
    [
      "repeated field",
      "<alipay><is_success>T</is_success><response><alipay><a>1</a><a>2</a></alipay></response></alipay>",
    ],
    [
      "nested field",
      "<alipay><is_success>T</is_success><response><alipay><a><b>1</b></a></alipay></response></alipay>",
    ],
  ])("rejects %s", (_n, xml) => {
    expect(() => parseMapiEnvelope(xml)).toThrow(AlipayResponseError);
  });

  it("reads CDATA, character references and padded values as the text they stand for", () => {
    const env = parseMapiEnvelope(
      "<alipay>\n  <is_success> T </is_success>\n  <response><alipay><c><![CDATA[a <b> & c]]></c><r>&#36;&#x4E2D;&lt;&quot;&apos;</r><w>\n  x y \n</w></alipay></response>\n  <sign>s</sign>\n</alipay>\n",
    );
    expect(env).toEqual({
      isSuccess: true,
      fields: { c: "a <b> & c", r: "$中<\"'", w: "x y" },
      sign: "s",
      signType: undefined,
    });
  });

  it.each([
    ["an unclosed element", "<alipay><is_success>F</is_success><error>X</alipay>"],
    ["mismatched tags", "<alipay><is_success>F</is_success><error>X</err></alipay>"],
    ["an unknown entity", "<alipay><is_success>F</is_success><error>&nbsp;</error></alipay>"],
    ["a second root", "<alipay><is_success>F</is_success></alipay><alipay></alipay>"],
    ["text outside the root", "<alipay><is_success>F</is_success></alipay>trailing"],
    ["a bare ampersand", "<alipay><is_success>F</is_success><error>a & b</error></alipay>"],
  ])("refuses XML with %s", (_n, xml) => {
    expect(() => parseMapiEnvelope(xml)).toThrow(AlipayResponseError);
  });

  it("reads the declared charset from the XML declaration, then the header", () => {
    expect(declaredCharset("text/xml; charset=GBK", "<alipay>")).toBe("gbk");
    expect(declaredCharset("text/xml; charset=GBK", '<?xml version="1.0" encoding="utf-8"?>')).toBe("utf-8");
    expect(declaredCharset(undefined, "<alipay>")).toBe("utf-8");
  });

  it("marks SYSTEM_ERROR gateway rejections retryable and others not", () => {
    expect(mapiGatewayError("SYSTEM_ERROR", "id").isRetryable).toBe(true);
    const e = mapiGatewayError("ILLEGAL_SIGN", undefined);
    expect(e.isRetryable).toBe(false);
    expect(e.gatewayCode).toBe("ILLEGAL_SIGN");
  });
});

const PAID_FIELDS = {
  alipay_buyer_login_id: "135***1234",
  alipay_buyer_user_id: "2088102122524333",
  alipay_pay_time: "20240101120003",
  alipay_trans_id: "2024010122001424330500011111",
  currency: "USD",
  exchange_rate: "7.12340000",
  partner_trans_id: "TEST20240101120000001",
  payment_inst: "ALIPAYCN",
  trans_amount: "0.01",
  trans_amount_cny: "0.07",
};

describe("MAPI spot.pay result spellings (SUCCESS / FAILED / UNKNOW)", () => {
  it("SUCCESS → paid with every detail", () => {
    expect(mapMapiPay({ ...PAID_FIELDS, result_code: "SUCCESS" }, req)).toEqual({
      status: "paid",
      partnerTransId: req.partnerTransId,
      alipayTransId: "2024010122001424330500011111",
      paidAt: new Date(T0 + 3000),
      amountMinor: 1,
      currency: "USD",
      buyerLoginIdMasked: "135***1234",
      buyerUserId: "2088102122524333",
      paymentInst: "ALIPAYCN",
      exchangeRate: "7.12340000",
    });
  });

  it("SUCCESS with minimal fields", () => {
    expect(mapMapiPay({ result_code: "SUCCESS", alipay_trans_id: "1", trans_amount: "0.01" }, req)).toEqual({
      status: "paid",
      partnerTransId: req.partnerTransId,
      alipayTransId: "1",
      paidAt: undefined,
      amountMinor: 1,
      currency: "USD",
    });
  });

  it("FAILED with an error → failed with reason and detail", () => {
    expect(
      mapMapiPay(
        {
          result_code: "FAILED",
          error: "BUYER_BALANCE_NOT_ENOUGH",
          detail_error_des: "d",
        },
        req,
      ),
    ).toEqual({
      status: "failed",
      partnerTransId: req.partnerTransId,
      reason: "BUYER_BALANCE_NOT_ENOUGH",
      detail: "d",
    });
    expect(mapMapiPay({ result_code: "FAILED" }, req)).toMatchObject({
      status: "failed",
      reason: "FAILED",
    });
  });

  it("FAILED + SYSTEM_ERROR → unknown (query, maybe retry pay with the same id)", () => {
    expect(mapMapiPay({ result_code: "FAILED", error: "SYSTEM_ERROR" }, req)).toEqual({
      status: "unknown",
      partnerTransId: req.partnerTransId,
      reason: "SYSTEM_ERROR",
      isSystemError: true,
    });
  });

  it.each([["TRADE_HAS_SUCCESS"], ["TRADE_HAS_CLOSE"]])(
    "FAILED + %s (resend of an existing trade) → unknown, so the machine queries instead of failing a charged trade",
    (error) => {
      expect(mapMapiPay({ result_code: "FAILED", error }, req)).toEqual({
        status: "unknown",
        partnerTransId: req.partnerTransId,
        reason: error,
        isSystemError: false,
      });
    },
  );

  it("UNKNOW (sic) → unknown", () => {
    expect(mapMapiPay({ result_code: "UNKNOW", error: "SYSTEM_ERROR" }, req)).toMatchObject({
      status: "unknown",
      isSystemError: true,
    });
    expect(mapMapiPay({ result_code: "UNKNOW" }, req)).toMatchObject({
      status: "unknown",
      reason: undefined,
      isSystemError: false,
    });
  });

  it.each([["UNKNOWN"], ["FAIL"], ["success"], [undefined]])("rejects the foreign spelling %s", (code) => {
    const fields: Record<string, string> = code === undefined ? {} : { result_code: code };
    expect(() => mapMapiPay(fields, req)).toThrow(AlipayResponseError);
  });

  it.each([
    ["another partner_trans_id", { partner_trans_id: "OTHER" }],
    ["another currency", { currency: "SGD" }],
    ["no alipay_trans_id", { alipay_trans_id: "" }],
    ["a bad amount", { trans_amount: "0.001" }],
    ["no amount", { trans_amount: "" }],
  ])("rejects a SUCCESS with %s", (_n, patch) => {
    expect(() => mapMapiPay({ ...PAID_FIELDS, result_code: "SUCCESS", ...patch }, req)).toThrow(AlipayResponseError);
  });
});

describe("MAPI query result spellings (SUCCESS / FAIL + alipay_trans_status)", () => {
  it.each([
    ["TRADE_SUCCESS", "paid"],
    ["TRADE_FINISHED", "paid"],
    ["WAIT_BUYER_PAY", "waiting_buyer"],
    ["TRADE_CLOSED", "closed"],
  ])("%s → %s", (status, expected) => {
    const r = mapMapiQuery(
      {
        ...PAID_FIELDS,
        out_trade_no: req.partnerTransId,
        result_code: "SUCCESS",
        alipay_trans_status: status,
      },
      req,
    );
    expect(r.status).toBe(expected);
    if (r.status === "waiting_buyer" || r.status === "closed")
      expect(r.alipayTransId).toBe(PAID_FIELDS.alipay_trans_id);
  });

  it("waiting without alipay_trans_id", () => {
    expect(mapMapiQuery({ result_code: "SUCCESS", alipay_trans_status: "WAIT_BUYER_PAY" }, req)).toEqual({
      status: "waiting_buyer",
      partnerTransId: req.partnerTransId,
    });
  });

  it.each([
    [{ error: "TRANS_NOT_FOUND" }, { status: "not_found" }],
    [{ error: "TRADE_NOT_EXIST" }, { status: "not_found" }],
    [{ error: "SYSTEM_ERROR" }, { status: "unknown", isSystemError: true }],
    [
      { detail_error_code: "ILLEGAL_ARGUMENT" },
      { status: "unknown", reason: "ILLEGAL_ARGUMENT", isSystemError: false },
    ],
  ])("FAIL %j → %j", (patch, expected) => {
    expect(mapMapiQuery({ result_code: "FAIL", ...patch }, req)).toMatchObject(expected);
  });

  it("rejects FAILED (query spells it FAIL), unknown statuses and a foreign out_trade_no", () => {
    expect(() => mapMapiQuery({ result_code: "FAILED" }, req)).toThrow(AlipayResponseError);
    expect(() => mapMapiQuery({ result_code: "SUCCESS", alipay_trans_status: "TRADE_PENDING" }, req)).toThrow(
      /alipay_trans_status/,
    );
    expect(() =>
      mapMapiQuery(
        {
          result_code: "SUCCESS",
          out_trade_no: "X",
          alipay_trans_status: "TRADE_CLOSED",
        },
        req,
      ),
    ).toThrow(/out_trade_no/);
  });
});

describe("MAPI cancel result spellings (SUCCESS / FAIL / UNKNOWN + retry_flag)", () => {
  const c = { partnerTransId: req.partnerTransId };
  it.each([
    [
      { result_code: "SUCCESS", trade_no: "T1", retry_flag: "N" },
      { status: "cancelled", alipayTransId: "T1" },
    ],
    // SUCCESS that names no trade: the gateway may never have had it (a late pay may still land).
    [{ result_code: "SUCCESS" }, { status: "not_found" }],
    [{ result_code: "SUCCESS", retry_flag: "N" }, { status: "not_found" }],
    [
      {
        result_code: "FAIL",
        retry_flag: "Y",
        detail_error_code: "SYSTEM_ERROR",
      },
      { status: "retry", reason: "SYSTEM_ERROR" },
    ],
    [{ result_code: "FAIL" }, { status: "retry", reason: undefined }],
    [
      {
        result_code: "FAIL",
        retry_flag: "N",
        detail_error_code: "REASON_TRADE_BEEN_FREEZEN",
      },
      { status: "failed", reason: "REASON_TRADE_BEEN_FREEZEN" },
    ],
    [
      { result_code: "FAIL", retry_flag: "N" },
      { status: "failed", reason: "FAIL" },
    ],
    [
      {
        result_code: "FAIL",
        retry_flag: "N",
        detail_error_code: "TRADE_NOT_EXIST",
      },
      { status: "not_found" },
    ],
    [{ result_code: "FAIL", error: "TRANS_NOT_FOUND" }, { status: "not_found" }],
    [
      { result_code: "UNKNOWN", error: "SYSTEM_ERROR" },
      { status: "retry", reason: "SYSTEM_ERROR" },
    ],
  ])("%j → %j", (fields, expected) => {
    expect(mapMapiCancel(fields, c)).toMatchObject({
      partnerTransId: req.partnerTransId,
      ...expected,
    });
  });

  it("rejects UNKNOW (cancel spells it UNKNOWN) and a foreign out_trade_no", () => {
    expect(() => mapMapiCancel({ result_code: "UNKNOW" }, c)).toThrow(AlipayResponseError);
    expect(() => mapMapiCancel({ result_code: "SUCCESS", out_trade_no: "X" }, c)).toThrow(AlipayResponseError);
  });
});

describe("MAPI refund result spellings (SUCCESS / FAILED / UNKNOW)", () => {
  const r = {
    partnerTransId: req.partnerTransId,
    partnerRefundId: "R1",
    amountMinor: 1,
    currency: "USD",
  };
  it("SUCCESS → refunded", () => {
    expect(
      mapMapiRefund(
        {
          result_code: "SUCCESS",
          refund_amount: "0.01",
          currency: "USD",
          alipay_trans_id: "A",
          partner_refund_id: "R1",
        },
        r,
      ),
    ).toEqual({
      status: "refunded",
      partnerTransId: req.partnerTransId,
      partnerRefundId: "R1",
      refundAmountMinor: 1,
      currency: "USD",
      alipayTransId: "A",
    });
    expect(mapMapiRefund({ result_code: "SUCCESS" }, r)).toMatchObject({
      status: "refunded",
      refundAmountMinor: 1,
    });
  });

  it.each([
    [
      { result_code: "FAILED", error: "REFUND_AMT_RESTRICTION" },
      { status: "failed", reason: "REFUND_AMT_RESTRICTION" },
    ],
    [{ result_code: "FAILED" }, { status: "failed", reason: "FAILED" }],
    [
      { result_code: "FAILED", error: "SYSTEM_ERROR" },
      { status: "unknown", isSystemError: true },
    ],
    [{ result_code: "UNKNOW" }, { status: "unknown", isSystemError: false }],
  ])("%j → %j", (fields, expected) => {
    expect(mapMapiRefund(fields, r)).toMatchObject(expected);
  });

  it.each([
    ["a different amount", { result_code: "SUCCESS", refund_amount: "0.02" }],
    ["a different currency", { result_code: "SUCCESS", currency: "SGD" }],
    ["another refund id", { result_code: "SUCCESS", partner_refund_id: "R2" }],
    ["a foreign spelling", { result_code: "FAIL" }],
  ])("rejects %s", (_n, fields) => {
    expect(() => mapMapiRefund(fields, r)).toThrow(AlipayResponseError);
  });
});

describe("MAPI notification mapping", () => {
  it("maps the KAL-style fields", () => {
    const n = mapMapiNotification({
      notify_id: "n1",
      notify_type: "trade_status_sync",
      out_trade_no: "P1",
      trade_no: "T1",
      trade_status: "TRADE_SUCCESS",
      total_fee: "0.10",
      currency: "HKD",
      gmt_payment: "2024-01-01 12:00:03",
    });
    expect(n).toMatchObject({
      protocol: "mapi",
      notifyId: "n1",
      partnerTransId: "P1",
      alipayTransId: "T1",
      status: "paid",
      amountMinor: 10,
      currency: "HKD",
      paidAt: new Date(T0 + 3000),
    });
  });

  it.each([
    ["TRADE_FINISHED", "finished"],
    ["TRADE_CLOSED", "closed"],
    ["WAIT_BUYER_PAY", "waiting_buyer"],
    ["REFUND", "other"],
  ])("status %s → %s", (s, expected) => {
    expect(mapMapiNotification({ partner_trans_id: "P1", alipay_trans_status: s }).status).toBe(expected);
  });

  it("reads the amount in trans_currency, else currency (ref §1.4); without either it stays unknown", () => {
    const base = {
      partner_trans_id: "P1",
      trade_status: "TRADE_SUCCESS",
      trans_amount: "32.00",
    };
    expect(mapMapiNotification({ ...base, trans_currency: "SGD", currency: "USD" })).toMatchObject({
      amountMinor: 3200,
      currency: "SGD",
    });
    expect(mapMapiNotification({ ...base, currency: "SGD" })).toMatchObject({
      amountMinor: 3200,
      currency: "SGD",
    });
    expect(mapMapiNotification({ ...base, trans_amount: "0.01" })).toMatchObject({
      amountMinor: undefined,
      currency: undefined,
      amountText: "0.01",
    });
    expect(mapMapiNotification({ ...base, currency: "XXX" })).toMatchObject({
      amountMinor: undefined,
      currency: "XXX",
      amountText: "32.00",
    });
  });

  it("names the first merchant identity that is not ours (partner, seller_id, alipay_seller_id)", () => {
    const ours = { partnerId: "2088101122136241" };
    const base = { partner_trans_id: "P1", trade_status: "TRADE_SUCCESS" };
    expect(
      mapMapiNotification({ ...base, partner: "2088101122136241", seller_id: "2088101122136241" }, ours)
        .foreignIdentity,
    ).toBeUndefined();
    expect(mapMapiNotification(base, ours).foreignIdentity).toBeUndefined();
    expect(mapMapiNotification({ ...base, partner: "2088999999999999" }, ours).foreignIdentity).toMatch(
      /^partner 2088999999999999 is not ours/,
    );
    expect(mapMapiNotification({ ...base, seller_id: "2088999999999999" }, ours).foreignIdentity).toMatch(
      /^seller_id 2088999999999999/,
    );
    expect(mapMapiNotification({ ...base, alipay_seller_id: "2088999999999999" }, ours).foreignIdentity).toMatch(
      /^alipay_seller_id/,
    );
  });

  it("needs an id; leaves the amount undefined without a currency", () => {
    expect(() => mapMapiNotification({ trade_status: "TRADE_SUCCESS" })).toThrow(AlipayResponseError);
    expect(mapMapiNotification({ partner_trans_id: "P1", trans_amount: "1.00" }).amountMinor).toBeUndefined();
  });
});
