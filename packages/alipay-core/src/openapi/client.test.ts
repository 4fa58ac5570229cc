import { describe, expect, it } from "vitest";
import {
  CODE,
  FORGER_RSA2,
  GATEWAY_RSA2,
  ID,
  local,
  openApiConfig,
  openApiReply,
  payInput,
  T0,
  type Tamper,
  useLocalGateway,
} from "../__tests__/client-fixtures.ts";
import { type GatewayRequest, type LocalGateway } from "../__tests__/local-gateway.ts";
import {
  AlipayGatewayError,
  AlipayResponseError,
  AlipaySignatureError,
  AlipayTimeoutError,
  isRetryable,
} from "../errors.ts";
import { AlipayBillFormatError } from "./bill-archive.ts";
import { OpenApiClient } from "./client.ts";
import { type OpenApiConfig } from "./config.ts";
import { type AlipayClient } from "../shared/contract.ts";
import { buildOpenApiSignContent, verifyContent } from "../signing.ts";
import { FetchTransport, type HttpResponse, type HttpTransport } from "../transport.ts";
import {
  FakeClock,
  signNotificationParams,
  TEST_APP_ID,
  TEST_MERCHANT_PUBLIC_KEY_PEM,
  TEST_PARTNER_ID,
  VECTOR_A4,
} from "../testing/index.ts";

useLocalGateway();

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
      local.respond = (r) => {
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
      const last = (local.gw as LocalGateway).requests.at(-1) as GatewayRequest;
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
        local.respond = () => openApiReply(method, spec.response, tamper);
        await expect(spec.call(client())).rejects.toBeInstanceOf(AlipaySignatureError);
      },
    );
  });

  it("answers a refund with fund_change=N as accepted, not refunded (no money moved)", async () => {
    local.respond = () =>
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
    local.respond = () =>
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
    const body = ((local.gw as LocalGateway).requests.at(-1) as GatewayRequest).body;
    expect(body["method"]).toBe("alipay.trade.fastpay.refund.query");
    expect(JSON.parse(body["biz_content"] as string)).toEqual({
      out_trade_no: ID,
      out_request_no: `${ID}R1`,
    });
  });

  it("sends scene=bar_code with store, terminal and timeout_express", async () => {
    local.respond = () =>
      openApiReply("alipay.trade.pay", {
        code: "10003",
        msg: "order success pay inprocess",
        out_trade_no: ID,
      });
    await expect(client({ notifyUrl: "https://kiosk.example/notify" }).pay(payInput)).resolves.toEqual({
      status: "waiting_buyer",
      partnerTransId: ID,
    });
    const body = ((local.gw as LocalGateway).requests.at(-1) as GatewayRequest).body;
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
    local.respond = () => ({
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
    local.respond = () =>
      openApiReply("alipay.trade.pay", {
        code: "40006",
        msg: "Insufficient Permissions",
        sub_code: "isv.insufficient-isv-permissions",
      });
    await expect(client().pay(payInput)).rejects.toBeInstanceOf(AlipayGatewayError);
  });

  it("maps signed 20000 and ACQ.SYSTEM_ERROR to unknown values", async () => {
    local.respond = () =>
      openApiReply("alipay.trade.pay", {
        code: "20000",
        msg: "Service Currently Unavailable",
        sub_code: "isp.unknow-error",
      });
    await expect(client().pay(payInput)).resolves.toMatchObject({
      status: "unknown",
      isSystemError: true,
    });
    local.respond = () =>
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
    local.respond = () => ({ body: "<html>", contentType: "text/html" });
    await expect(client().query({ partnerTransId: ID, currency: "SGD" })).rejects.toBeInstanceOf(AlipayResponseError);
    local.respond = () => openApiReply("alipay.trade.cancel", { code: "10000" });
    await expect(client().query({ partnerTransId: ID, currency: "SGD" })).rejects.toBeInstanceOf(AlipayResponseError);
  });

  it("reports an empty bill", async () => {
    local.respond = () =>
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
    local.respond = () =>
      openApiReply(billQuery, {
        code: "10000",
        msg: "Success",
        bill_download_url: `${(local.gw as LocalGateway).url.replace(/\/[^/]*$/, "")}/bills/x.csv.zip`,
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
