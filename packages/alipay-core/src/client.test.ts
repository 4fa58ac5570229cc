import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startLocalGateway,
  type GatewayReply,
  type GatewayRequest,
  type LocalGateway,
} from "./__tests__/local-gateway.ts";
import { AlipayBillFormatError } from "./openapi/bill-archive.ts";
import { encodeText } from "./charset.ts";
import { FetchTransport, type HttpResponse, type HttpTransport } from "./transport.ts";
import {
  createAlipayClient,
  MapiClient,
  OpenApiClient,
  parseNotificationBody,
  type AlipayClient,
  type Logger,
  type MapiConfig,
  type OpenApiConfig,
  type RequestSummary,
  type ResponseSummary,
} from "./client.ts";
import {
  AlipayAbortError,
  AlipayConfigError,
  AlipayGatewayError,
  AlipayNetworkError,
  AlipayResponseError,
  AlipaySignatureError,
  AlipayTimeoutError,
  AlipayValidationError,
} from "./errors.ts";
import {
  buildOpenApiSignContent,
  buildSignContent,
  signContent,
  verifyContent,
  verifyParams,
  type SigningKey,
} from "./signing.ts";
import {
  buildMapiErrorXml,
  buildMapiResponseXml,
  buildOpenApiResponseBody,
  FakeClock,
  KAL_MD5_KEY,
  signNotificationParams,
  TEST_APP_ID,
  TEST_GATEWAY_PRIVATE_KEY_PEM,
  TEST_GATEWAY_PUBLIC_KEY_BASE64,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MD5_KEY,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_MERCHANT_PRIVATE_KEY_PKCS1_PEM,
  TEST_MERCHANT_PUBLIC_KEY_PEM,
  TEST_PARTNER_ID,
  VECTOR_A2,
  VECTOR_A4,
} from "./testing/index.ts";

const T0 = Date.UTC(2024, 0, 1, 4, 0, 0);
const CODE = "281234567890123456";
const ID = "TEST20240101120000001";
const GATEWAY_RSA2: SigningKey = {
  signType: "RSA2",
  privateKey: TEST_GATEWAY_PRIVATE_KEY_PEM,
};
const FORGER_RSA2: SigningKey = {
  signType: "RSA2",
  privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
};
const MD5: SigningKey = { signType: "MD5", md5Key: TEST_MD5_KEY };
const FORGER_MD5: SigningKey = { signType: "MD5", md5Key: "x".repeat(32) };

type Tamper = "valid" | "tampered" | "forged" | "unsigned" | "wrong_sign_type";

/** How the local gateway answers: a function of the request, switchable per test. */
let respond: (r: GatewayRequest) => GatewayReply | Promise<GatewayReply> = () => ({ body: "" });
let gw: LocalGateway | undefined;

beforeAll(async () => {
  gw = await startLocalGateway((r) => respond(r));
});
afterAll(async () => {
  await gw?.close();
});

function mapiReply(
  fields: Record<string, string>,
  key: SigningKey,
  tamper: Tamper = "valid",
  forger: SigningKey = FORGER_RSA2,
): GatewayReply {
  if (tamper === "unsigned") return { body: buildMapiResponseXml({ fields, key, sign: null }) };
  if (tamper === "forged")
    return {
      body: buildMapiResponseXml({
        fields,
        key: key.signType === "MD5" ? FORGER_MD5 : forger,
      }),
    };
  if (tamper === "wrong_sign_type")
    return {
      body: buildMapiResponseXml({
        fields,
        key,
        signType: key.signType === "MD5" ? "RSA2" : "MD5",
      }),
    };
  const sign = signContent(buildSignContent(fields), key);
  if (tamper === "tampered") {
    const changed = { ...fields };
    const name = Object.keys(changed).find((k) => k !== "result_code") ?? "result_code";
    changed[name] = `${changed[name]}0`;
    return { body: buildMapiResponseXml({ fields: changed, key, sign }) };
  }
  return { body: buildMapiResponseXml({ fields, key, sign }) };
}

function mapiConfig(overrides: Partial<MapiConfig> = {}): MapiConfig {
  return {
    protocol: "mapi",
    gatewayUrl: gw === undefined ? "https://gateway.invalid/gateway.do" : gw.url,
    partnerId: TEST_PARTNER_ID,
    signType: "RSA2",
    privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
    alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
    merchant: {
      secondaryMerchantId: "S001",
      secondaryMerchantName: "Mika",
      secondaryMerchantIndustry: "5812",
      storeId: "ST01",
      terminalId: "K01",
    },
    ...overrides,
  } as MapiConfig;
}

const payInput = {
  partnerTransId: ID,
  amountMinor: 1234,
  currency: "SGD",
  paymentCode: CODE,
  subject: "Tickets",
};

const MAPI_OPS = {
  pay: {
    fields: {
      result_code: "SUCCESS",
      partner_trans_id: ID,
      alipay_trans_id: "2024010122001424330500011111",
      trans_amount: "12.34",
      currency: "SGD",
      alipay_pay_time: "20240101120003",
    },
    call: (c: AlipayClient) => c.pay(payInput),
    expected: {
      status: "paid",
      alipayTransId: "2024010122001424330500011111",
      amountMinor: 1234,
      paidAt: new Date(T0 + 3000),
    },
  },
  query: {
    fields: {
      result_code: "SUCCESS",
      alipay_trans_status: "WAIT_BUYER_PAY",
      partner_trans_id: ID,
      out_trade_no: ID,
    },
    call: (c: AlipayClient) => c.query({ partnerTransId: ID, currency: "SGD" }),
    expected: { status: "waiting_buyer" },
  },
  cancel: {
    fields: {
      result_code: "SUCCESS",
      out_trade_no: ID,
      trade_no: "2024010122001424330500011111",
      retry_flag: "N",
    },
    call: (c: AlipayClient) => c.cancel({ partnerTransId: ID }),
    expected: {
      status: "cancelled",
      alipayTransId: "2024010122001424330500011111",
    },
  },
  refund: {
    fields: {
      result_code: "SUCCESS",
      partner_trans_id: ID,
      partner_refund_id: `${ID}R1`,
      refund_amount: "1.00",
      currency: "SGD",
    },
    call: (c: AlipayClient) =>
      c.refund({
        partnerTransId: ID,
        partnerRefundId: `${ID}R1`,
        amountMinor: 100,
        currency: "SGD",
        reason: "customer request",
      }),
    expected: { status: "refunded", refundAmountMinor: 100 },
  },
  refund_query: {
    fields: {
      response_code: "SUCCESS",
      refund_result_code: "SUCCESS",
      out_trade_no: ID,
      out_return_no: `${ID}R1`,
      trade_no: "2024010122001424330500011111",
      refund_amount: "1.00",
      currency: "SGD",
    },
    call: (c: AlipayClient) =>
      c.refundQuery({
        partnerTransId: ID,
        partnerRefundId: `${ID}R1`,
        amountMinor: 100,
        currency: "SGD",
      }),
    expected: { status: "refunded", refundAmountMinor: 100 },
  },
} as const;

describe.each([
  ["RSA2", { signType: "RSA2" } as Partial<MapiConfig>, GATEWAY_RSA2, FORGER_RSA2],
  [
    "RSA",
    { signType: "RSA" } as Partial<MapiConfig>,
    { signType: "RSA", privateKey: TEST_GATEWAY_PRIVATE_KEY_PEM } as SigningKey,
    {
      signType: "RSA",
      privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
    } as SigningKey,
  ],
  [
    "MD5",
    {
      signType: "MD5",
      md5Key: TEST_MD5_KEY,
      privateKey: undefined,
      alipayPublicKey: undefined,
    } as Partial<MapiConfig>,
    MD5,
    FORGER_MD5,
  ],
])("MapiClient %s", (signType, overrides, gatewayKey, forger) => {
  const client = (): MapiClient =>
    new MapiClient(mapiConfig(overrides), {
      clock: new FakeClock({ startMs: T0 }),
    });

  describe.each(Object.entries(MAPI_OPS))("%s", (_op, spec) => {
    it("accepts a correctly signed response and sends a correctly signed request", async () => {
      respond = (r) => {
        const isSigned =
          r.params["sign_type"] === signType &&
          (signType === "MD5"
            ? verifyContent(buildSignContent(r.params), r.params["sign"] ?? "", {
                signType: "MD5",
                md5Key: TEST_MD5_KEY,
              })
            : verifyParams(r.params, {
                signType: signType as "RSA" | "RSA2",
                publicKey: TEST_MERCHANT_PUBLIC_KEY_PEM,
              }));
        if (!isSigned) return { body: buildMapiErrorXml("ILLEGAL_SIGN") };
        return mapiReply(spec.fields, gatewayKey);
      };
      await expect(spec.call(client())).resolves.toMatchObject(spec.expected);
      const last = (gw as LocalGateway).requests.at(-1) as GatewayRequest;
      expect(last.method).toBe("POST");
      expect(last.query).toEqual({ _input_charset: "UTF-8" });
      expect(last.body["_input_charset"]).toBeUndefined();
      expect(last.headers["content-type"]).toBe("application/x-www-form-urlencoded;charset=UTF-8");
    });

    it.each<Tamper>(["tampered", "forged", "unsigned", "wrong_sign_type"])(
      "rejects a %s response with AlipaySignatureError",
      async (tamper) => {
        respond = () => mapiReply(spec.fields, gatewayKey, tamper, forger);
        const error = await spec.call(client()).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AlipaySignatureError);
        expect((error as AlipaySignatureError).isRetryable).toBe(true);
      },
    );
  });
});

describe("MapiClient transport and protocol errors", () => {
  const client = (overrides: Partial<MapiConfig> = {}, deps = {}): MapiClient =>
    new MapiClient(mapiConfig(overrides), {
      clock: new FakeClock({ startMs: T0 }),
      ...deps,
    });

  it("sends the refund query as alipay.acquire.refund.query with out_return_no = partner_refund_id", async () => {
    respond = () =>
      mapiReply(
        {
          response_code: "SUCCESS",
          refund_result_code: "PROCESSING",
          out_trade_no: ID,
          out_return_no: `${ID}R1`,
        },
        GATEWAY_RSA2,
      );
    await expect(
      client().refundQuery({
        partnerTransId: ID,
        partnerRefundId: `${ID}R1`,
        amountMinor: 100,
        currency: "SGD",
      }),
    ).resolves.toMatchObject({ status: "pending", reason: "PROCESSING" });
    const params = ((gw as LocalGateway).requests.at(-1) as GatewayRequest).params;
    expect(params).toMatchObject({
      service: "alipay.acquire.refund.query",
      out_trade_no: ID,
      out_return_no: `${ID}R1`,
    });
  });

  it("sends everything in the query string with GET", async () => {
    respond = () => mapiReply(MAPI_OPS.query.fields, GATEWAY_RSA2);
    await client({ httpMethod: "GET" }).query({
      partnerTransId: ID,
      currency: "SGD",
    });
    const last = (gw as LocalGateway).requests.at(-1) as GatewayRequest;
    expect(last.method).toBe("GET");
    expect(last.query).toMatchObject({
      service: "alipay.acquire.overseas.query",
      partner: TEST_PARTNER_ID,
      _input_charset: "UTF-8",
      sign_type: "RSA2",
    });
  });

  it("sends trans_create_time from the injected clock and extend_info from config", async () => {
    respond = () => mapiReply(MAPI_OPS.pay.fields, GATEWAY_RSA2);
    await client().pay(payInput);
    const params = ((gw as LocalGateway).requests.at(-1) as GatewayRequest).params;
    expect(params).toMatchObject({
      trans_create_time: "20240101120000",
      trans_amount: "12.34",
      currency: "SGD",
      biz_product: "OVERSEAS_MBARCODE_PAY",
      identity_code_type: "barcode",
    });
    expect(JSON.parse(params["extend_info"] as string)).toEqual({
      secondary_merchant_id: "S001",
      secondary_merchant_name: "Mika",
      secondary_merchant_industry: "5812",
      store_id: "ST01",
      terminal_id: "K01",
    });
  });

  it("maps is_success=F to AlipayGatewayError (retryable only for SYSTEM_ERROR)", async () => {
    respond = () => ({ body: buildMapiErrorXml("ILLEGAL_PARTNER") });
    await expect(client().query({ partnerTransId: ID, currency: "SGD" })).rejects.toMatchObject({
      name: "AlipayGatewayError",
      gatewayCode: "ILLEGAL_PARTNER",
      isRetryable: false,
      requestId: ID,
    });
    respond = () => ({ body: buildMapiErrorXml("SYSTEM_ERROR") });
    await expect(client().pay(payInput)).rejects.toMatchObject({
      gatewayCode: "SYSTEM_ERROR",
      isRetryable: true,
    });
  });

  it("maps HTTP 5xx to a retryable network error and other statuses to response errors", async () => {
    respond = () => ({ status: 502, body: "bad gateway" });
    await expect(client().query({ partnerTransId: ID, currency: "SGD" })).rejects.toMatchObject({
      name: "AlipayNetworkError",
      httpStatus: 502,
    });
    respond = () => ({ status: 404, body: "nope" });
    await expect(client().query({ partnerTransId: ID, currency: "SGD" })).rejects.toBeInstanceOf(AlipayResponseError);
  });

  it("rejects non-XML bodies and unsupported charsets", async () => {
    respond = () => ({ body: "<html>maintenance" });
    await expect(client().query({ partnerTransId: ID, currency: "SGD" })).rejects.toBeInstanceOf(AlipayResponseError);
    respond = () => ({
      body: '<?xml version="1.0" encoding="ISO-8859-1"?><alipay/>',
    });
    await expect(client().query({ partnerTransId: ID, currency: "SGD" })).rejects.toThrow(/unsupported charset/);
  });

  it("verifies a GBK-declared response signed over GBK bytes", async () => {
    const fields = {
      result_code: "FAILED",
      error: "BUYER_BALANCE_NOT_ENOUGH",
      detail_error_des: "余额不足",
    };
    const sign = signContent(buildSignContent(fields), MD5, "gbk");
    const xml = buildMapiResponseXml({
      fields,
      key: MD5,
      sign,
      encoding: "GBK",
    });
    respond = () => ({ body: encodeText(xml, "gbk"), contentType: "text/xml" });
    await expect(
      client({
        signType: "MD5",
        md5Key: TEST_MD5_KEY,
        privateKey: undefined,
        alipayPublicKey: undefined,
      }).pay(payInput),
    ).resolves.toEqual({
      status: "failed",
      partnerTransId: ID,
      reason: "BUYER_BALANCE_NOT_ENOUGH",
      detail: "余额不足",
    });
  });

  it("times out with AlipayTimeoutError (retryable)", async () => {
    respond = () => ({ body: "", isHanging: true });
    const error = await client()
      .query({ partnerTransId: ID, currency: "SGD" }, { timeoutMs: 50 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlipayTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 50, isRetryable: true });
  });

  it("enforces the time-out even when an injected transport ignores the signal", async () => {
    const c = client({}, { transport: { request: () => new Promise<never>(() => {}) } });
    await expect(c.cancel({ partnerTransId: ID }, { timeoutMs: 20 })).rejects.toBeInstanceOf(AlipayTimeoutError);
  });

  it("stops with AlipayAbortError when the caller aborts", async () => {
    respond = () => ({ body: "", isHanging: true });
    const controller = new AbortController();
    const pending = client().query({ partnerTransId: ID, currency: "SGD" }, { signal: controller.signal });
    setImmediate(() => controller.abort());
    await expect(pending).rejects.toBeInstanceOf(AlipayAbortError);
    await expect(
      client().query({ partnerTransId: ID, currency: "SGD" }, { signal: AbortSignal.abort() }),
    ).rejects.toBeInstanceOf(AlipayAbortError);
  });

  it("reports connection refused as not sent", async () => {
    const closed = await startLocalGateway(() => ({ body: "" }));
    await closed.close();
    const error = await client({ gatewayUrl: closed.url })
      .pay(payInput)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlipayNetworkError);
    expect((error as AlipayNetworkError).isRequestSent).toBe(false);
  });

  it("wraps a transport that throws a plain error", async () => {
    const c = client({}, { transport: { request: () => Promise.reject(new Error("boom")) } });
    await expect(c.query({ partnerTransId: ID, currency: "SGD" })).rejects.toBeInstanceOf(AlipayNetworkError);
  });

  it("validates input before sending anything", async () => {
    const before = (gw as LocalGateway).requests.length;
    await expect(client().pay({ ...payInput, paymentCode: "12345678901234567" })).rejects.toBeInstanceOf(
      AlipayValidationError,
    );
    await expect(client().pay({ ...payInput, amountMinor: 12.5 })).rejects.toBeInstanceOf(AlipayValidationError);
    await expect(client().query({ partnerTransId: ID, currency: "XYZ" })).rejects.toBeInstanceOf(AlipayValidationError);
    expect((gw as LocalGateway).requests.length).toBe(before);
  });

  it("rejects a response for another partner_trans_id", async () => {
    respond = () => mapiReply({ ...MAPI_OPS.pay.fields, partner_trans_id: "OTHER" }, GATEWAY_RSA2);
    await expect(client().pay(payInput)).rejects.toBeInstanceOf(AlipayResponseError);
  });

  it("downloads and parses a settlement file; XML bodies are gateway errors", async () => {
    respond = (r) => ({
      body:
        r.params["service"] === "forex_liquidation_file"
          ? "P1|12.34|SGD|20240101120003|20240102090000|P|0.10|SUCCESS|"
          : "No balance account data in the period",
      contentType: "text/plain; charset=UTF-8",
    });
    const result = await client().downloadSettlement({
      startDate: "2024-01-01",
      endDate: "2024-01-02",
    });
    expect(result).toMatchObject({
      format: "records",
      isSigned: false,
      records: [{ partnerTransId: "P1", amountMinor: 1234 }],
    });
    expect(((gw as LocalGateway).requests.at(-1) as GatewayRequest).method).toBe("GET");
    await expect(
      client().downloadSettlement({
        startDate: "2024-01-01",
        kind: "transactions",
      }),
    ).resolves.toEqual({
      format: "empty",
      message: "No balance account data in the period",
    });
    respond = () => ({ body: buildMapiErrorXml("ILLEGAL_SIGN") });
    await expect(client().downloadSettlement({ startDate: "2024-01-01" })).rejects.toMatchObject({
      gatewayCode: "ILLEGAL_SIGN",
    });
    respond = () => mapiReply({ a: "1" }, GATEWAY_RSA2);
    await expect(client().downloadSettlement({ startDate: "2024-01-01" })).rejects.toMatchObject({
      gatewayCode: "UNEXPECTED_XML",
    });
  });
});

describe("hooks and logging never carry secrets", () => {
  it("emits request/response summaries with the masked code and no keys or signatures", async () => {
    const requests: RequestSummary[] = [];
    const responses: ResponseSummary[] = [];
    const lines: unknown[] = [];
    const logger: Logger = {
      debug: (m, f) => lines.push([m, f]),
      info: (m, f) => lines.push([m, f]),
      warn: (m, f) => lines.push([m, f]),
      error: (m, f) => lines.push([m, f]),
    };
    const clock = new FakeClock({ startMs: T0 });
    const c = new MapiClient(
      mapiConfig({
        signType: "MD5",
        md5Key: TEST_MD5_KEY,
        privateKey: undefined,
        alipayPublicKey: undefined,
      }),
      {
        clock,
        logger,
        hooks: {
          onRequest: (s) => requests.push(s),
          onResponse: (s) => responses.push(s),
        },
      },
    );
    respond = () => mapiReply({ result_code: "FAILED", error: "BUYER_BALANCE_NOT_ENOUGH" }, MD5);
    await c.pay(payInput);
    respond = () => mapiReply(MAPI_OPS.query.fields, FORGER_MD5);
    await c.query({ partnerTransId: ID, currency: "SGD" }).catch(() => undefined);
    expect(requests[0]).toMatchObject({
      protocol: "mapi",
      operation: "pay",
      partnerTransId: ID,
      amountMinor: 1234,
      paymentCodeMasked: "28************3456",
      atMs: T0,
    });
    expect(responses[0]).toMatchObject({
      operation: "pay",
      outcome: "failed",
      reason: "BUYER_BALANCE_NOT_ENOUGH",
      httpStatus: 200,
      durationMs: 0,
    });
    expect(responses[1]).toMatchObject({
      operation: "query",
      outcome: "error",
      errorName: "AlipaySignatureError",
      isRetryable: true,
    });
    const everything = JSON.stringify([requests, responses, lines]);
    expect(everything).not.toContain(CODE);
    expect(everything).not.toContain(TEST_MD5_KEY);
    const signs = (gw as LocalGateway).requests.slice(-2).map((r) => r.params["sign"] as string);
    for (const s of signs) expect(everything).not.toContain(s);
  });

  it("survives a throwing hook", async () => {
    const warnings: string[] = [];
    const c = new MapiClient(mapiConfig(), {
      logger: {
        debug() {},
        info() {},
        warn: (m) => warnings.push(m),
        error() {},
      },
      hooks: {
        onRequest: () => {
          throw new Error("hook");
        },
      },
    });
    respond = () => mapiReply(MAPI_OPS.cancel.fields, GATEWAY_RSA2);
    await expect(c.cancel({ partnerTransId: ID })).resolves.toMatchObject({
      status: "cancelled",
    });
    expect(warnings).toContain("alipay hook threw");
  });

  it("normalises unexpected non-Alipay failures into AlipayResponseError", async () => {
    const c = new MapiClient(mapiConfig(), {
      transport: {
        request: async () => ({
          status: 200,
          headers: {},
          body: null as never,
        }),
      },
    });
    await expect(c.query({ partnerTransId: ID, currency: "SGD" })).rejects.toBeInstanceOf(AlipayResponseError);
  });
});

describe("MAPI notifications", () => {
  const client = new MapiClient(
    mapiConfig({
      signType: "MD5",
      md5Key: KAL_MD5_KEY,
      privateKey: undefined,
      alipayPublicKey: undefined,
    }),
  );

  it("accepts the public KAL vector (A2) and maps it", () => {
    expect(client.verifyNotification(VECTOR_A2.params)).toMatchObject({
      protocol: "mapi",
      partnerTransId: "4028608899131221",
      status: "finished",
      amountMinor: 10,
      currency: "HKD",
    });
  });

  it.each([
    ["tampered", { ...VECTOR_A2.params, total_fee: "100.00" }, "bad_sign"],
    ["forged", signNotificationParams({ out_trade_no: "P1", trade_status: "TRADE_SUCCESS" }, FORGER_MD5), "bad_sign"],
    ["unsigned", { ...VECTOR_A2.params, sign: "" }, "missing_sign"],
    ["of another sign type", { ...VECTOR_A2.params, sign_type: "RSA2" }, "sign_type_mismatch"],
  ])("rejects a %s notification", (_n, params, reason) => {
    expect(() => client.verifyNotification(params as Record<string, string>)).toThrow(AlipaySignatureError);
    try {
      client.verifyNotification(params as Record<string, string>);
    } catch (e) {
      expect((e as AlipaySignatureError).reason).toBe(reason);
    }
  });

  it("accepts an RSA2 notification from a form body whose '+' became a space", () => {
    const c = new MapiClient(mapiConfig());
    const signed = signNotificationParams(
      {
        notify_id: "n",
        partner_trans_id: ID,
        trade_status: "TRADE_SUCCESS",
        trans_amount: "12.34",
        currency: "SGD",
      },
      GATEWAY_RSA2,
    );
    const body = new URLSearchParams(signed).toString().replace(/%2B/g, "+");
    expect(c.verifyNotification(parseNotificationBody(body))).toMatchObject({
      status: "paid",
      amountMinor: 1234,
    });
  });

  it("marks a genuine notification naming another partner or seller as not ours; reads trans_currency", () => {
    const c = new MapiClient(mapiConfig());
    const notify = (fields: Record<string, string>) =>
      c.verifyNotification(
        signNotificationParams(
          { partner_trans_id: ID, trade_status: "TRADE_SUCCESS", trans_amount: "32.00", ...fields },
          GATEWAY_RSA2,
        ),
      );
    expect(notify({ partner: "2088999999999999", currency: "SGD" }).foreignIdentity).toMatch(
      /^partner 2088999999999999 is not ours/,
    );
    expect(notify({ seller_id: "2088999999999999", currency: "SGD" }).foreignIdentity).toMatch(
      /^seller_id 2088999999999999 is not ours/,
    );
    expect(notify({ partner: TEST_PARTNER_ID, seller_id: TEST_PARTNER_ID, trans_currency: "SGD" })).toMatchObject({
      foreignIdentity: undefined,
      amountMinor: 3200,
      currency: "SGD",
    });
    // The reviewer's case: an amount with no currency is not read in the payment's currency.
    expect(notify({ trans_amount: "0.01" })).toMatchObject({
      amountMinor: undefined,
      currency: undefined,
      amountText: "0.01",
    });
  });

  it("rejects a repeated notification parameter", () => {
    expect(() => parseNotificationBody("a=1&a=2")).toThrow(AlipayResponseError);
  });
});

// ---------------------------------------------------------------------------
// OpenAPI
// ---------------------------------------------------------------------------

function openApiConfig(overrides: Partial<OpenApiConfig> = {}): OpenApiConfig {
  return {
    protocol: "openapi",
    gatewayUrl: gw === undefined ? "https://gateway.invalid/gateway.do" : gw.url,
    appId: TEST_APP_ID,
    privateKey: TEST_MERCHANT_PRIVATE_KEY_PKCS1_PEM,
    alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_BASE64,
    storeId: "ST01",
    terminalId: "K01",
    ...overrides,
  } as OpenApiConfig;
}

function openApiReply(method: string, response: Record<string, unknown>, tamper: Tamper = "valid"): GatewayReply {
  const contentType = "application/json; charset=utf-8";
  if (tamper === "unsigned")
    return {
      body: JSON.stringify({
        [`${method.replace(/\./g, "_")}_response`]: response,
      }),
      contentType,
    };
  if (tamper === "forged")
    return {
      body: buildOpenApiResponseBody(method, response, FORGER_RSA2),
      contentType,
    };
  const body = buildOpenApiResponseBody(method, response, GATEWAY_RSA2);
  if (tamper === "tampered")
    return {
      body: body
        .replace('"code":"10000"', '"code":"10000" ')
        .replace(/"out_trade_no":"[^"]*"/, `"out_trade_no":"${ID}"`)
        .replace("12.34", "12.35")
        .replace('"trade_status":"WAIT_BUYER_PAY"', '"trade_status":"TRADE_SUCCESS"'),
      contentType,
    };
  return { body, contentType };
}

const OPENAPI_OPS = {
  "alipay.trade.pay": {
    response: {
      code: "10000",
      msg: "Success",
      out_trade_no: ID,
      trade_no: "2024010122001",
      total_amount: "12.34",
      trans_currency: "SGD",
      gmt_payment: "2024-01-01 12:00:03",
    },
    call: (c: AlipayClient) => c.pay(payInput),
    expected: {
      status: "paid",
      alipayTransId: "2024010122001",
      amountMinor: 1234,
    },
  },
  "alipay.trade.query": {
    response: {
      code: "10000",
      msg: "Success",
      out_trade_no: ID,
      trade_status: "WAIT_BUYER_PAY",
    },
    call: (c: AlipayClient) => c.query({ partnerTransId: ID, currency: "SGD" }),
    expected: { status: "waiting_buyer" },
  },
  "alipay.trade.cancel": {
    response: {
      code: "10000",
      msg: "Success",
      out_trade_no: ID,
      action: "close",
      retry_flag: "N",
    },
    call: (c: AlipayClient) => c.cancel({ partnerTransId: ID }),
    expected: { status: "cancelled", action: "close" },
  },
  "alipay.trade.refund": {
    response: {
      code: "10000",
      msg: "Success",
      out_trade_no: ID,
      refund_fee: "12.34",
      fund_change: "Y",
    },
    call: (c: AlipayClient) =>
      c.refund({
        partnerTransId: ID,
        partnerRefundId: `${ID}R1`,
        amountMinor: 1234,
        currency: "SGD",
      }),
    expected: { status: "refunded", refundAmountMinor: 1234 },
  },
  "alipay.trade.fastpay.refund.query": {
    response: {
      code: "10000",
      msg: "Success",
      out_trade_no: ID,
      out_request_no: `${ID}R1`,
      trade_no: "2024010122001",
      total_amount: "12.34",
      refund_amount: "12.34",
      refund_status: "REFUND_SUCCESS",
    },
    call: (c: AlipayClient) =>
      c.refundQuery({
        partnerTransId: ID,
        partnerRefundId: `${ID}R1`,
        amountMinor: 1234,
        currency: "SGD",
      }),
    expected: { status: "refunded", refundAmountMinor: 1234 },
  },
  "alipay.data.dataservice.bill.downloadurl.query": {
    response: {
      code: "10000",
      msg: "Success",
      bill_download_url: "https://dwbillcenter.alipay.com/downloadBillFile.resource?x=1",
    },
    call: (c: AlipayClient) => c.downloadSettlement({ startDate: "2024-01-01" }),
    expected: { format: "download_url", isSigned: true },
  },
} as const;

describe("OpenApiClient", () => {
  const client = (overrides: Partial<OpenApiConfig> = {}): OpenApiClient =>
    new OpenApiClient(openApiConfig(overrides), {
      clock: new FakeClock({ startMs: T0 }),
    });

  describe.each(Object.entries(OPENAPI_OPS))("%s", (method, spec) => {
    it("accepts a correctly signed response and signs the request (sign_type included)", async () => {
      respond = (r) => {
        const isSigned = verifyContent(buildOpenApiSignContent(r.params), r.params["sign"] ?? "", {
          signType: "RSA2",
          publicKey: TEST_MERCHANT_PUBLIC_KEY_PEM,
        });
        if (!isSigned || r.params["method"] !== method)
          return {
            body: JSON.stringify({
              error_response: {
                code: "40002",
                msg: "Invalid Arguments",
                sub_code: "isv.invalid-signature",
              },
            }),
          };
        return openApiReply(method, spec.response);
      };
      await expect(spec.call(client())).resolves.toMatchObject(spec.expected);
      const last = (gw as LocalGateway).requests.at(-1) as GatewayRequest;
      expect(last.query).toEqual({ charset: "utf-8" });
      expect(last.body).toMatchObject({
        app_id: TEST_APP_ID,
        format: "JSON",
        charset: "utf-8",
        sign_type: "RSA2",
        timestamp: "2024-01-01 12:00:00",
        version: "1.0",
      });
    });

    it.each<Tamper>(["tampered", "forged", "unsigned"])(
      "rejects a %s response with AlipaySignatureError",
      async (tamper) => {
        respond = () => openApiReply(method, spec.response, tamper);
        await expect(spec.call(client())).rejects.toBeInstanceOf(AlipaySignatureError);
      },
    );
  });

  it("answers a refund with fund_change=N as accepted, not refunded (no money moved)", async () => {
    respond = () =>
      openApiReply("alipay.trade.refund", {
        code: "10000",
        msg: "Success",
        out_trade_no: ID,
        refund_fee: "12.34",
        fund_change: "N",
      });
    await expect(
      client().refund({
        partnerTransId: ID,
        partnerRefundId: `${ID}R1`,
        amountMinor: 1234,
        currency: "SGD",
      }),
    ).resolves.toEqual({
      status: "accepted",
      partnerTransId: ID,
      partnerRefundId: `${ID}R1`,
      reason: "fund_change=N",
    });
  });

  it("sends the refund query by out_trade_no and out_request_no; no refund_status is pending", async () => {
    respond = () =>
      openApiReply("alipay.trade.fastpay.refund.query", {
        code: "10000",
        msg: "Success",
        out_trade_no: ID,
        out_request_no: `${ID}R1`,
        refund_amount: "12.34",
        total_amount: "12.34",
      });
    await expect(
      client().refundQuery({
        partnerTransId: ID,
        partnerRefundId: `${ID}R1`,
        amountMinor: 1234,
        currency: "SGD",
      }),
    ).resolves.toMatchObject({ status: "pending" });
    const body = ((gw as LocalGateway).requests.at(-1) as GatewayRequest).body;
    expect(body["method"]).toBe("alipay.trade.fastpay.refund.query");
    expect(JSON.parse(body["biz_content"] as string)).toEqual({
      out_trade_no: ID,
      out_request_no: `${ID}R1`,
    });
  });

  it("sends scene=bar_code with store, terminal and timeout_express", async () => {
    respond = () =>
      openApiReply("alipay.trade.pay", {
        code: "10003",
        msg: "order success pay inprocess",
        out_trade_no: ID,
      });
    await expect(client({ notifyUrl: "https://kiosk.example/notify" }).pay(payInput)).resolves.toEqual({
      status: "waiting_buyer",
      partnerTransId: ID,
    });
    const body = ((gw as LocalGateway).requests.at(-1) as GatewayRequest).body;
    expect(JSON.parse(body["biz_content"] as string)).toMatchObject({
      scene: "bar_code",
      auth_code: CODE,
      total_amount: "12.34",
      trans_currency: "SGD",
      store_id: "ST01",
      terminal_id: "K01",
      timeout_express: "5m",
    });
    expect(body["notify_url"]).toBe("https://kiosk.example/notify");
  });

  it("turns an unsigned gateway rejection into AlipayGatewayError", async () => {
    respond = () => ({
      body: JSON.stringify({
        error_response: {
          code: "40002",
          msg: "Invalid Arguments",
          sub_code: "isv.invalid-app-id",
        },
      }),
    });
    await expect(client().query({ partnerTransId: ID, currency: "SGD" })).rejects.toMatchObject({
      name: "AlipayGatewayError",
      gatewayCode: "40002",
      subCode: "isv.invalid-app-id",
      isRetryable: false,
    });
  });

  it("turns a signed 40006 into AlipayGatewayError", async () => {
    respond = () =>
      openApiReply("alipay.trade.pay", {
        code: "40006",
        msg: "Insufficient Permissions",
        sub_code: "isv.insufficient-isv-permissions",
      });
    await expect(client().pay(payInput)).rejects.toBeInstanceOf(AlipayGatewayError);
  });

  it("maps signed 20000 and ACQ.SYSTEM_ERROR to unknown values", async () => {
    respond = () =>
      openApiReply("alipay.trade.pay", {
        code: "20000",
        msg: "Service Currently Unavailable",
        sub_code: "isp.unknow-error",
      });
    await expect(client().pay(payInput)).resolves.toMatchObject({
      status: "unknown",
      isSystemError: true,
    });
    respond = () =>
      openApiReply("alipay.trade.query", {
        code: "40004",
        msg: "Business Failed",
        sub_code: "ACQ.TRADE_NOT_EXIST",
      });
    await expect(client().query({ partnerTransId: ID, currency: "SGD" })).resolves.toEqual({
      status: "not_found",
      partnerTransId: ID,
    });
  });

  it("rejects a body that is not an OpenAPI envelope", async () => {
    respond = () => ({ body: "<html>", contentType: "text/html" });
    await expect(client().query({ partnerTransId: ID, currency: "SGD" })).rejects.toBeInstanceOf(AlipayResponseError);
    respond = () => openApiReply("alipay.trade.cancel", { code: "10000" });
    await expect(client().query({ partnerTransId: ID, currency: "SGD" })).rejects.toBeInstanceOf(AlipayResponseError);
  });

  it("reports an empty bill", async () => {
    respond = () =>
      openApiReply("alipay.data.dataservice.bill.downloadurl.query", {
        code: "40004",
        msg: "Business Failed",
        sub_code: "isp.bill_not_exist",
      });
    await expect(client().downloadSettlement({ startDate: "2024-01-01" })).resolves.toEqual({
      format: "empty",
      message: "isp.bill_not_exist",
    });
  });

  describe("notifications", () => {
    const vectorClient = new OpenApiClient(
      openApiConfig({
        appId: "2019073166072302",
        alipayPublicKey: VECTOR_A4.publicKeyBase64,
      }),
    );

    it("accepts the public alipay-sdk-nodejs-all vector (A4)", () => {
      expect(vectorClient.verifyNotification(VECTOR_A4.params)).toMatchObject({
        protocol: "openapi",
        partnerTransId: "20190815155618536-564-57",
        alipayTransId: "2019081522001468450512505578",
        status: "paid",
        amountMinor: 10,
      });
    });

    it.each([
      ["tampered", { ...VECTOR_A4.params, total_amount: "100.00" }, AlipaySignatureError],
      [
        "forged",
        signNotificationParams(
          {
            app_id: "2019073166072302",
            out_trade_no: "P1",
            trade_status: "TRADE_SUCCESS",
          },
          FORGER_RSA2,
        ),
        AlipaySignatureError,
      ],
      ["unsigned", { ...VECTOR_A4.params, sign: undefined }, AlipaySignatureError],
      ["RSA-typed", { ...VECTOR_A4.params, sign_type: "RSA" }, AlipaySignatureError],
    ])("rejects a %s notification", (_n, params, errorClass) => {
      const cleaned = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >;
      expect(() => vectorClient.verifyNotification(cleaned)).toThrow(errorClass);
    });

    it("marks a genuine notification for another app or seller as not ours (it settles nothing)", () => {
      const c = new OpenApiClient(openApiConfig({ sellerId: TEST_PARTNER_ID }));
      const notify = (fields: Record<string, string>) =>
        c.verifyNotification(
          signNotificationParams(
            {
              out_trade_no: ID,
              trade_status: "TRADE_SUCCESS",
              total_amount: "12.34",
              trans_currency: "SGD",
              ...fields,
            },
            GATEWAY_RSA2,
          ),
        );
      expect(notify({ app_id: "2021999999999999" }).foreignIdentity).toMatch(/^app_id 2021999999999999 is not ours/);
      expect(notify({ app_id: TEST_APP_ID, seller_id: "2088999999999999" }).foreignIdentity).toMatch(
        /^seller_id 2088999999999999 is not ours/,
      );
      expect(notify({ app_id: TEST_APP_ID, seller_id: TEST_PARTNER_ID })).toMatchObject({
        foreignIdentity: undefined,
        amountMinor: 1234,
        currency: "SGD",
      });
      // Without trans_currency the amount is CNY, never the stored payment's currency.
      expect(notify({ trans_currency: "" })).toMatchObject({ amountMinor: 1234, currency: "CNY" });
      const unconfigured = new OpenApiClient(openApiConfig());
      const signed = signNotificationParams(
        { app_id: TEST_APP_ID, out_trade_no: ID, trade_status: "TRADE_CLOSED", seller_id: TEST_PARTNER_ID },
        GATEWAY_RSA2,
      );
      expect(unconfigured.verifyNotification(signed)).toMatchObject({
        status: "closed",
        foreignIdentity: expect.stringMatching(/cannot be proven ours/),
      });
    });
  });
});

describe("configuration", () => {
  it("creates the client the protocol names", () => {
    expect(createAlipayClient(mapiConfig())).toBeInstanceOf(MapiClient);
    expect(createAlipayClient(openApiConfig()).protocol).toBe("openapi");
    expect(() => createAlipayClient({ protocol: "ams" } as never)).toThrow(AlipayConfigError);
    expect(() => createAlipayClient(null as never)).toThrow(AlipayConfigError);
  });

  it.each([
    ["an unknown key", { extra: 1 }, /extra|Unrecognized/],
    ["a bad partner id", { partnerId: "1234" }, /partnerId/],
    ["plain http to a remote host", { gatewayUrl: "http://gateway.example/gateway.do" }, /https/],
    ["a missing md5Key", { signType: "MD5", privateKey: undefined, alipayPublicKey: undefined }, /md5Key/],
    ["a missing public key", { alipayPublicKey: undefined }, /alipayPublicKey/],
    ["a garbage private key", { privateKey: "not a key" }, /Cannot load private key/],
    ["key text and file together", { privateKeyFile: "/nonexistent" }, /not both/],
    [
      "an unreadable key file",
      { privateKey: undefined, privateKeyFile: "/nonexistent/key.pem" },
      /Cannot read privateKey file/,
    ],
    ["a zero timeout", { timeouts: { pay: 0 } }, /timeouts.pay/],
  ])("rejects %s without echoing secrets", (_n, overrides, message) => {
    const config = mapiConfig(overrides as Partial<MapiConfig>);
    expect(() => new MapiClient(config)).toThrow(message);
    try {
      new MapiClient(config);
    } catch (e) {
      expect((e as Error).message).not.toContain("BEGIN");
    }
  });

  it("allows plain http to a remote host only when asked", () => {
    expect(
      new MapiClient(
        mapiConfig({
          gatewayUrl: "http://sandbox:8080/gateway.do",
          allowInsecureHttp: true,
        }),
      ).protocol,
    ).toBe("mapi");
  });

  it("reads keys from files", () => {
    const dir = mkdtempSync(join(tmpdir(), "alipay-core-"));
    writeFileSync(join(dir, "app.pem"), TEST_MERCHANT_PRIVATE_KEY_PEM);
    writeFileSync(join(dir, "alipay.pem"), TEST_GATEWAY_PUBLIC_KEY_PEM);
    const c = new OpenApiClient(
      openApiConfig({
        privateKey: undefined,
        alipayPublicKey: undefined,
        privateKeyFile: join(dir, "app.pem"),
        alipayPublicKeyFile: join(dir, "alipay.pem"),
      }),
    );
    expect(c.protocol).toBe("openapi");
  });

  it("never mutates the caller's config", () => {
    const config = Object.freeze(mapiConfig());
    expect(() => new MapiClient(config)).not.toThrow();
  });
});

describe("OpenApiClient bill archive (readBillArchive)", () => {
  const billQuery = "alipay.data.dataservice.bill.downloadurl.query";
  /** The gateway answers over real HTTP; the bill GET is answered by `bill` instead. */
  const clientWith = (bill: () => Promise<HttpResponse>): OpenApiClient => {
    const real = new FetchTransport();
    const transport: HttpTransport = {
      request: (r) => (r.url.includes("/bills/") ? bill() : real.request(r)),
    };
    return new OpenApiClient(openApiConfig(), {
      clock: new FakeClock({ startMs: T0 }),
      transport,
    });
  };
  const answerWithLink = (): void => {
    respond = () =>
      openApiReply(billQuery, {
        code: "10000",
        msg: "Success",
        bill_download_url: `${(gw as LocalGateway).url.replace(/\/[^/]*$/, "")}/bills/x.csv.zip`,
      });
  };

  it("times out a bill download whose transport never answers", async () => {
    answerWithLink();
    const client = clientWith(() => new Promise<never>(() => {}));
    await expect(
      client.downloadSettlement({ startDate: "2024-01-01", readBillArchive: true }, { timeoutMs: 50 }),
    ).rejects.toBeInstanceOf(AlipayTimeoutError);
  });

  it("refuses a bill that is not a ZIP with AlipayBillFormatError", async () => {
    answerWithLink();
    const client = clientWith(async () => ({
      status: 200,
      headers: { "content-type": "text/html" },
      body: new TextEncoder().encode("<html>link expired</html>"),
    }));
    await expect(client.downloadSettlement({ startDate: "2024-01-01", readBillArchive: true })).rejects.toBeInstanceOf(
      AlipayBillFormatError,
    );
  });
});
