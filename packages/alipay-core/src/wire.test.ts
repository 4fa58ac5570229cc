import { describe, expect, it } from "vitest";
import { AlipayGatewayError, AlipayResponseError, AlipayValidationError } from "./errors.ts";
import { buildSignContent, signParams } from "./signing.ts";
import { KAL_MD5_KEY, VECTORS_B } from "./testing/index.ts";
import {
  buildExtendInfo,
  buildMapiCancelParams,
  buildMapiPayParams,
  buildMapiQueryParams,
  buildMapiRefundParams,
  buildMapiSettlementParams,
  buildOpenApiBillBiz,
  buildOpenApiCancelBiz,
  buildOpenApiParams,
  buildOpenApiPayBiz,
  buildOpenApiQueryBiz,
  buildOpenApiRefundBiz,
  checkOpenApiGatewayCode,
  createPartnerTransId,
  currencyExponent,
  declaredCharset,
  formatAmount,
  formatChargeAmount,
  formatCompactTime,
  formatDashedTime,
  mapiGatewayError,
  mapMapiCancel,
  mapMapiNotification,
  mapMapiPay,
  mapMapiQuery,
  mapMapiRefund,
  mapOpenApiBill,
  isLoopbackHost,
  mapOpenApiCancel,
  mapOpenApiNotification,
  mapOpenApiPay,
  mapOpenApiQuery,
  mapOpenApiRefund,
  maskPaymentCode,
  parseAlipayTime,
  parseAmount,
  parseCalendarDate,
  parseMapiEnvelope,
  parseOpenApiResponse,
  parseSettlementFile,
  validatePartnerTransId,
  validatePaymentCode,
} from "./wire.ts";

const T0 = Date.UTC(2024, 0, 1, 4, 0, 0); // 2024-01-01 12:00:00 GMT+8
const req = { partnerTransId: "TEST20240101120000001", currency: "USD" };

describe("amounts", () => {
  it.each([
    [1234, "SGD", "12.34"],
    [1234, "JPY", "1234"],
    [1, "USD", "0.01"],
    [10, "USD", "0.10"],
    [0, "USD", "0.00"],
    [100, "KRW", "100"],
    [10_000_000_000, "USD", "100000000.00"],
  ])("formats %i %s as %s", (minor, currency, text) => {
    expect(formatAmount(minor, currency)).toBe(text);
    expect(parseAmount(text, currency)).toBe(minor);
  });

  it.each([
    ["12.3", "USD", 1230],
    ["1234.00", "JPY", 1234],
    ["0.070", "USD", 7],
    [" 3997.60 ", "HKD", 399760],
    ["-1.50", "USD", undefined],
    ["1.234", "USD", undefined],
    ["1.5", "JPY", undefined],
    ["1e3", "USD", undefined],
    ["", "USD", undefined],
    ["12.34", "XXX", undefined],
    ["9999999999999999.00", "USD", undefined],
  ])("parses %j %s → %s", (text, currency, minor) => {
    expect(parseAmount(text, currency)).toBe(minor);
  });

  it("parses signed amounts when allowed", () => {
    expect(parseAmount("-1.50", "USD", { isSigned: true })).toBe(-150);
  });

  it.each([[-1], [1.5], [Number.MAX_SAFE_INTEGER + 1], [Number.NaN]])("rejects %s minor units", (minor) => {
    expect(() => formatAmount(minor, "USD")).toThrow(AlipayValidationError);
  });

  it("rejects unknown currencies and out-of-range charges", () => {
    expect(() => currencyExponent("usd")).toThrow(/not supported/);
    expect(() => formatChargeAmount(0, "USD")).toThrow(/outside/);
    expect(() => formatChargeAmount(10_000_000_001, "USD")).toThrow(/outside/);
    expect(() => formatChargeAmount(100_000_001, "JPY")).toThrow(/outside/);
    expect(formatChargeAmount(100_000_000, "JPY")).toBe("100000000");
  });
});

describe("times", () => {
  it("formats trans_create_time and OpenAPI timestamp in GMT+8 by default", () => {
    expect(formatCompactTime(T0)).toBe("20240101120000");
    expect(formatDashedTime(T0)).toBe("2024-01-01 12:00:00");
    expect(formatCompactTime(T0, 0)).toBe("20240101040000");
  });

  it("parses both Alipay time formats", () => {
    expect(parseAlipayTime("20240101120003")?.getTime()).toBe(T0 + 3000);
    expect(parseAlipayTime("2024-01-01 12:00:03")?.getTime()).toBe(T0 + 3000);
    expect(parseAlipayTime("2024-01-01 12:00:03", 0)?.getTime()).toBe(T0 + 8 * 3600_000 + 3000);
  });

  it.each([["20240230120000"], ["20240101250000"], ["2024-01-01T12:00:00"], ["x"]])("rejects %s", (text) => {
    expect(parseAlipayTime(text)).toBeUndefined();
  });

  it("returns undefined for a missing time", () => {
    expect(parseAlipayTime(undefined)).toBeUndefined();
  });

  it("validates calendar dates", () => {
    expect(parseCalendarDate("2024-02-29", "d")).toEqual({
      y: 2024,
      m: 2,
      d: 29,
    });
    expect(() => parseCalendarDate("2023-02-29", "d")).toThrow(AlipayValidationError);
    expect(() => parseCalendarDate("20240101", "d")).toThrow(AlipayValidationError);
  });
});

describe("identifiers", () => {
  it.each([["TEST20240101120000001"], ["a-b_c"], ["x".repeat(64)]])("accepts partner_trans_id %s", (id) => {
    expect(validatePartnerTransId(id)).toBe(id);
  });

  it.each([[""], ["x".repeat(65)], ["has space"], ["中文"], ['q"uote']])("rejects partner_trans_id %j", (id) => {
    expect(() => validatePartnerTransId(id)).toThrow(AlipayValidationError);
  });

  it.each([["281234567890123456"], ["2512345678901234"], ["301234567890123456789012"]])(
    "accepts payment code %s",
    (c) => {
      expect(validatePaymentCode(c)).toBe(c);
    },
  );

  it.each([
    ["181234567890123456"],
    ["31123456789012345"],
    ["28123"],
    ["2812345678901234567890123"],
    ["28123456789012345a"],
  ])("rejects payment code %s without echoing it", (c) => {
    expect(() => validatePaymentCode(c)).toThrow(AlipayValidationError);
    try {
      validatePaymentCode(c);
    } catch (e) {
      if (c.length > 6) expect((e as Error).message).not.toContain(c);
    }
  });

  it("masks payment codes keeping the first 2 and last 4", () => {
    expect(maskPaymentCode("281234567890123456")).toBe("28************3456");
    expect(maskPaymentCode("123456")).toBe("******");
  });

  it("creates partner_trans_ids from time and a random suffix", () => {
    expect(
      createPartnerTransId({
        prefix: "K1",
        nowMs: T0,
        randomSuffix: "ab12cd34",
      }),
    ).toBe("K120240101120000ab12cd34");
    expect(createPartnerTransId({ nowMs: T0, randomSuffix: "z" })).toBe("20240101120000z");
  });
});

describe("extend_info", () => {
  it("matches the reference vector's key order and compact JSON", () => {
    const info = buildExtendInfo({
      secondaryMerchantId: "S001",
      secondaryMerchantName: "Mika Coffee",
      secondaryMerchantIndustry: "5812",
      storeId: "ST01",
      storeName: "Mika Coffee Central",
      terminalId: "T01",
    });
    expect(info).toBe(VECTORS_B.spotPayRequest.params.extend_info);
  });

  it("omits absent keys and returns undefined when empty", () => {
    expect(buildExtendInfo({ storeId: "S1", sysServiceProviderId: "P" })).toBe(
      '{"store_id":"S1","sys_service_provider_id":"P"}',
    );
    expect(buildExtendInfo({})).toBeUndefined();
  });

  it.each([
    [{ storeId: "bad id" }],
    [{ terminalId: "x".repeat(33) }],
    [{ secondaryMerchantId: "é" }],
    [{ secondaryMerchantIndustry: "58" }],
  ])("rejects %j", (info) => {
    expect(() => buildExtendInfo(info)).toThrow(AlipayValidationError);
  });
});

describe("MAPI request builders", () => {
  const common = { partnerId: "2088101122136241" };
  const merchant = {
    secondaryMerchantId: "S001",
    secondaryMerchantName: "Mika Coffee",
    secondaryMerchantIndustry: "5812",
    storeId: "ST01",
    storeName: "Mika Coffee Central",
    terminalId: "T01",
  };

  it("builds the spot.pay request of the reference vector (except the optional quantity)", () => {
    const params = buildMapiPayParams(common, {
      partnerTransId: "TEST20240101120000001",
      amountMinor: 1,
      currency: "USD",
      paymentCode: "281234567890123456",
      subject: "Coffee",
      createdAtMs: T0,
      merchant,
    });
    expect(signParams({ ...params, quantity: "1" }, { signType: "MD5", md5Key: KAL_MD5_KEY })).toBe(
      VECTORS_B.spotPayRequest.md5,
    );
  });

  it("adds notify_url and memo and lets a payment override store and terminal", () => {
    const params = buildMapiPayParams(
      { ...common, notifyUrl: "https://k.example/notify" },
      {
        ...req,
        amountMinor: 1234,
        currency: "JPY",
        paymentCode: "281234567890123456",
        subject: "Tickets",
        memo: "m",
        storeId: "S9",
        terminalId: "K9",
        createdAtMs: T0,
        merchant,
      },
    );
    expect(params["notify_url"]).toBe("https://k.example/notify");
    expect(params["memo"]).toBe("m");
    expect(params["trans_amount"]).toBe("1234");
    expect(JSON.parse(params["extend_info"] as string)).toMatchObject({
      store_id: "S9",
      terminal_id: "K9",
    });
    const bare = buildMapiPayParams(common, {
      ...req,
      amountMinor: 1,
      paymentCode: "281234567890123456",
      subject: "T",
      createdAtMs: T0,
      merchant: {},
    });
    expect(bare["extend_info"]).toBeUndefined();
  });

  it("lets a payment set its own secondary merchant and store (per attraction), over the configured ones", () => {
    const input = {
      ...req,
      amountMinor: 100,
      paymentCode: "281234567890123456",
      subject: "Tickets",
      createdAtMs: T0,
    };
    const params = buildMapiPayParams(common, {
      ...input,
      secondaryMerchantId: "ATTR_SKY",
      storeId: "SKY-01",
      merchant,
    });
    expect(JSON.parse(params["extend_info"] as string)).toMatchObject({
      secondary_merchant_id: "ATTR_SKY",
      store_id: "SKY-01",
    });
    const only = buildMapiPayParams(common, {
      ...input,
      secondaryMerchantId: "ATTR_SKY",
      merchant: {},
    });
    expect(JSON.parse(only["extend_info"] as string)).toEqual({
      secondary_merchant_id: "ATTR_SKY",
    });
    expect(() =>
      buildMapiPayParams(common, {
        ...input,
        secondaryMerchantId: "bad id!",
        merchant: {},
      }),
    ).toThrow(AlipayValidationError);
  });

  it("rejects a subject with a double quote or over 256 chars", () => {
    const base = {
      ...req,
      amountMinor: 1,
      paymentCode: "281234567890123456",
      createdAtMs: T0,
      merchant: {},
    };
    expect(() => buildMapiPayParams(common, { ...base, subject: 'a"b' })).toThrow(/subject/);
    expect(() => buildMapiPayParams(common, { ...base, subject: "x".repeat(257) })).toThrow(/subject/);
  });

  it("builds query, cancel and refund requests of the reference vectors", () => {
    expect(buildSignContent(buildMapiQueryParams(common, "TEST20240101120000001"))).toBe(
      VECTORS_B.queryRequest.preSign,
    );
    expect(buildSignContent(buildMapiCancelParams(common, "TEST20240101120000001", 1704081630123))).toBe(
      VECTORS_B.cancelRequest.preSign,
    );
    const refund = buildMapiRefundParams(common, {
      partnerTransId: "TEST20240101120000001",
      partnerRefundId: "TEST20240101120000001R1",
      amountMinor: 1,
      currency: "USD",
      reason: "customer request",
    });
    expect(buildSignContent(refund)).toBe(VECTORS_B.refundRequest.preSign);
  });

  it("rejects a refund id equal to the payment id", () => {
    expect(() =>
      buildMapiRefundParams(common, {
        partnerTransId: "A1",
        partnerRefundId: "A1",
        amountMinor: 1,
        currency: "USD",
      }),
    ).toThrow(/differ/);
    expect(
      buildMapiRefundParams(common, {
        partnerTransId: "A1",
        partnerRefundId: "A2",
        amountMinor: 1,
        currency: "USD",
        reason: "",
      })["refund_reason"],
    ).toBeUndefined();
  });

  it("builds settlement requests and bounds the range to 10 days", () => {
    expect(
      buildMapiSettlementParams(common, {
        kind: "settlement",
        startDate: "2024-01-01",
        endDate: "2024-01-10",
      }),
    ).toMatchObject({
      service: "forex_liquidation_file",
      start_date: "20240101",
      end_date: "20240110",
    });
    expect(
      buildMapiSettlementParams(common, {
        kind: "transactions",
        startDate: "2024-01-01",
        endDate: "2024-01-01",
      })["service"],
    ).toBe("forex_compare_file");
    expect(() =>
      buildMapiSettlementParams(common, {
        kind: "settlement",
        startDate: "2024-01-01",
        endDate: "2024-01-11",
      }),
    ).toThrow(/10 days/);
    expect(() =>
      buildMapiSettlementParams(common, {
        kind: "settlement",
        startDate: "2024-01-02",
        endDate: "2024-01-01",
      }),
    ).toThrow(/10 days/);
  });
});

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

describe("settlement files", () => {
  it("parses |-separated lines, signed amounts and a header", () => {
    const body =
      "\uFEFFpartner_transaction_id|amount|currency|transaction_time|settlement_time|transaction_type|service_charge|status|remarks\n" +
      "P1|12.34|USD|20240101120003|20240102090000|P|0.25|SUCCESS|note|with bar\r\n" +
      "\n" +
      "P1R1|-1.00|USD|20240101130000||R||SUCCESS|\n";
    const parsed = parseSettlementFile(body);
    expect("records" in parsed && parsed.records).toEqual([
      {
        partnerTransId: "P1",
        amountMinor: 1234,
        currency: "USD",
        transactionTime: new Date(T0 + 3000),
        settlementTime: new Date(Date.UTC(2024, 0, 2, 1, 0, 0)),
        transactionType: "P",
        serviceChargeMinor: 25,
        status: "SUCCESS",
        remarks: "note|with bar",
        raw: "P1|12.34|USD|20240101120003|20240102090000|P|0.25|SUCCESS|note|with bar",
      },
      {
        partnerTransId: "P1R1",
        amountMinor: -100,
        currency: "USD",
        transactionTime: new Date(T0 + 3600_000),
        settlementTime: undefined,
        transactionType: "R",
        serviceChargeMinor: undefined,
        status: "SUCCESS",
        remarks: "",
        raw: "P1R1|-1.00|USD|20240101130000||R||SUCCESS|",
      },
    ]);
  });

  it("treats 'No … data' and an empty body as empty, other messages as gateway errors", () => {
    expect(parseSettlementFile("No balance account data in the period")).toEqual({
      message: "No balance account data in the period",
    });
    expect(parseSettlementFile("  ")).toEqual({ message: "empty file" });
    expect(() => parseSettlementFile("Over 10 days to Date period")).toThrow(AlipayGatewayError);
  });

  it("rejects short lines and bad amounts", () => {
    expect(() => parseSettlementFile("P1|1.00|USD")).toThrow(/columns/);
    expect(() => parseSettlementFile("P1|1.001|USD|a|b|P|c|S|r")).toThrow(/invalid amount/);
  });
});

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
