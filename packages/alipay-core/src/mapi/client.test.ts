import { describe, expect, it } from "vitest";
import {
  FORGER_MD5,
  FORGER_RSA2,
  GATEWAY_RSA2,
  ID,
  local,
  mapiConfig,
  mapiReply,
  MD5,
  payInput,
  T0,
  type Tamper,
  useLocalGateway,
  MAPI_OPS,
} from "../__tests__/client-fixtures.ts";
import { startLocalGateway, type GatewayRequest, type LocalGateway } from "../__tests__/local-gateway.ts";
import { encodeText } from "../charset.ts";
import {
  AlipayAbortError,
  AlipayNetworkError,
  AlipayResponseError,
  AlipaySignatureError,
  AlipayTimeoutError,
  AlipayValidationError,
  isRetryable,
} from "../errors.ts";
import { MapiClient } from "./client.ts";
import { type MapiConfig } from "./config.ts";
import { parseNotificationBody } from "../shared/mapping.ts";
import { buildSignContent, signContent, type SigningKey, verifyContent, verifyParams } from "../signing.ts";
import {
  buildMapiErrorXml,
  buildMapiResponseXml,
  FakeClock,
  KAL_MD5_KEY,
  signNotificationParams,
  TEST_GATEWAY_PRIVATE_KEY_PEM,
  TEST_MD5_KEY,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_MERCHANT_PUBLIC_KEY_PEM,
  TEST_PARTNER_ID,
  VECTOR_A2,
} from "../testing/index.ts";

useLocalGateway();

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
      local.respond = (r) => {
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
      const last = (local.gw as LocalGateway).requests.at(-1) as GatewayRequest;
      expect(last.method).toBe("POST");
      expect(last.query).toEqual({ _input_charset: "UTF-8" });
      expect(last.body["_input_charset"]).toBeUndefined();
      expect(last.headers["content-type"]).toBe("application/x-www-form-urlencoded;charset=UTF-8");
    });

    it.each<Tamper>(["tampered", "forged", "unsigned", "wrong_sign_type"])(
      "rejects a %s response with AlipaySignatureError",
      async (tamper) => {
        local.respond = () => mapiReply(spec.fields, gatewayKey, tamper, forger);
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
    local.respond = () =>
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
    const params = ((local.gw as LocalGateway).requests.at(-1) as GatewayRequest).params;
    expect(params).toMatchObject({
      service: "alipay.acquire.refund.query",
      out_trade_no: ID,
      out_return_no: `${ID}R1`,
    });
  });

  it("sends everything in the query string with GET", async () => {
    local.respond = () => mapiReply(MAPI_OPS.query.fields, GATEWAY_RSA2);
    await client({ httpMethod: "GET" }).query({
      partnerTransId: ID,
      currency: "SGD",
    });
    const last = (local.gw as LocalGateway).requests.at(-1) as GatewayRequest;
    expect(last.method).toBe("GET");
    expect(last.query).toMatchObject({
      service: "alipay.acquire.overseas.query",
      partner: TEST_PARTNER_ID,
      _input_charset: "UTF-8",
      sign_type: "RSA2",
    });
  });

  it("sends trans_create_time from the injected clock and extend_info from config", async () => {
    local.respond = () => mapiReply(MAPI_OPS.pay.fields, GATEWAY_RSA2);
    await client().pay(payInput);
    const params = ((local.gw as LocalGateway).requests.at(-1) as GatewayRequest).params;
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
    local.respond = () => ({ body: buildMapiErrorXml("ILLEGAL_PARTNER") });
    await expect(client().query({ partnerTransId: ID, currency: "SGD" })).rejects.toMatchObject({
      name: "AlipayGatewayError",
      gatewayCode: "ILLEGAL_PARTNER",
      isRetryable: false,
      requestId: ID,
    });
    local.respond = () => ({ body: buildMapiErrorXml("SYSTEM_ERROR") });
    await expect(client().pay(payInput)).rejects.toMatchObject({
      gatewayCode: "SYSTEM_ERROR",
      isRetryable: true,
    });
  });

  it("maps HTTP 5xx to a retryable network error and other statuses to response errors", async () => {
    local.respond = () => ({ status: 502, body: "bad gateway" });
    await expect(client().query({ partnerTransId: ID, currency: "SGD" })).rejects.toMatchObject({
      name: "AlipayNetworkError",
      httpStatus: 502,
    });
    local.respond = () => ({ status: 404, body: "nope" });
    await expect(client().query({ partnerTransId: ID, currency: "SGD" })).rejects.toBeInstanceOf(AlipayResponseError);
  });

  it("rejects non-XML bodies and unsupported charsets", async () => {
    local.respond = () => ({ body: "<html>maintenance" });
    await expect(client().query({ partnerTransId: ID, currency: "SGD" })).rejects.toBeInstanceOf(AlipayResponseError);
    local.respond = () => ({
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
    local.respond = () => ({ body: encodeText(xml, "gbk"), contentType: "text/xml" });
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
    local.respond = () => ({ body: "", isHanging: true });
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
    local.respond = () => ({ body: "", isHanging: true });
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
    const before = (local.gw as LocalGateway).requests.length;
    await expect(client().pay({ ...payInput, paymentCode: "12345678901234567" })).rejects.toBeInstanceOf(
      AlipayValidationError,
    );
    await expect(client().pay({ ...payInput, amountMinor: 12.5 })).rejects.toBeInstanceOf(AlipayValidationError);
    await expect(client().query({ partnerTransId: ID, currency: "XYZ" })).rejects.toBeInstanceOf(AlipayValidationError);
    expect((local.gw as LocalGateway).requests.length).toBe(before);
  });

  it("rejects a response for another partner_trans_id", async () => {
    local.respond = () => mapiReply({ ...MAPI_OPS.pay.fields, partner_trans_id: "OTHER" }, GATEWAY_RSA2);
    await expect(client().pay(payInput)).rejects.toBeInstanceOf(AlipayResponseError);
  });

  it("downloads and parses a settlement file; XML bodies are gateway errors", async () => {
    local.respond = (r) => ({
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
    expect(((local.gw as LocalGateway).requests.at(-1) as GatewayRequest).method).toBe("GET");
    await expect(
      client().downloadSettlement({
        startDate: "2024-01-01",
        kind: "transactions",
      }),
    ).resolves.toEqual({
      format: "empty",
      message: "No balance account data in the period",
    });
    local.respond = () => ({ body: buildMapiErrorXml("ILLEGAL_SIGN") });
    await expect(client().downloadSettlement({ startDate: "2024-01-01" })).rejects.toMatchObject({
      gatewayCode: "ILLEGAL_SIGN",
    });
    local.respond = () => mapiReply({ a: "1" }, GATEWAY_RSA2);
    await expect(client().downloadSettlement({ startDate: "2024-01-01" })).rejects.toMatchObject({
      gatewayCode: "UNEXPECTED_XML",
    });
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
