/**
 * Fixtures of the client tests (MAPI, OpenAPI and shared): keys, ids, signed gateway replies,
 * configs, and the local gateway every client test talks to.
 */
import { afterAll, beforeAll } from "vitest";
import type { MapiConfig } from "../mapi/config.ts";
import type { AlipayClient } from "../shared/contract.ts";
import type { OpenApiConfig } from "../openapi/config.ts";
import { buildSignContent, signContent, type SigningKey } from "../signing.ts";
import {
  buildMapiResponseXml,
  buildOpenApiResponseBody,
  TEST_APP_ID,
  TEST_GATEWAY_PRIVATE_KEY_PEM,
  TEST_GATEWAY_PUBLIC_KEY_BASE64,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MD5_KEY,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_MERCHANT_PRIVATE_KEY_PKCS1_PEM,
  TEST_PARTNER_ID,
} from "../testing/index.ts";
import { startLocalGateway, type GatewayReply, type GatewayRequest, type LocalGateway } from "./local-gateway.ts";

export const T0 = Date.UTC(2024, 0, 1, 4, 0, 0);
export const CODE = "281234567890123456";
export const ID = "TEST20240101120000001";
export const GATEWAY_RSA2: SigningKey = {
  signType: "RSA2",
  privateKey: TEST_GATEWAY_PRIVATE_KEY_PEM,
};
export const FORGER_RSA2: SigningKey = {
  signType: "RSA2",
  privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
};
export const MD5: SigningKey = { signType: "MD5", md5Key: TEST_MD5_KEY };
export const FORGER_MD5: SigningKey = { signType: "MD5", md5Key: "x".repeat(32) };

export type Tamper = "valid" | "tampered" | "forged" | "unsigned" | "wrong_sign_type";

/** The local gateway: `respond` is how it answers (switchable per test), `gw` the running server. */
export const local: {
  respond: (r: GatewayRequest) => GatewayReply | Promise<GatewayReply>;
  gw: LocalGateway | undefined;
} = { respond: () => ({ body: "" }), gw: undefined };

/** Starts the local gateway before the calling file's tests and closes it after them. */
export function useLocalGateway(): void {
  beforeAll(async () => {
    local.gw = await startLocalGateway((r) => local.respond(r));
  });
  afterAll(async () => {
    await local.gw?.close();
  });
}

export function mapiReply(
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

export function mapiConfig(overrides: Partial<MapiConfig> = {}): MapiConfig {
  return {
    protocol: "mapi",
    gatewayUrl: local.gw === undefined ? "https://gateway.invalid/gateway.do" : local.gw.url,
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

export const payInput = {
  partnerTransId: ID,
  amountMinor: 1234,
  currency: "SGD",
  paymentCode: CODE,
  subject: "Tickets",
};

export function openApiConfig(overrides: Partial<OpenApiConfig> = {}): OpenApiConfig {
  return {
    protocol: "openapi",
    gatewayUrl: local.gw === undefined ? "https://gateway.invalid/gateway.do" : local.gw.url,
    appId: TEST_APP_ID,
    privateKey: TEST_MERCHANT_PRIVATE_KEY_PKCS1_PEM,
    alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_BASE64,
    storeId: "ST01",
    terminalId: "K01",
    ...overrides,
  } as OpenApiConfig;
}

export function openApiReply(
  method: string,
  response: Record<string, unknown>,
  tamper: Tamper = "valid",
): GatewayReply {
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

/** One signed answer per MAPI operation, with the call that provokes it. */
export const MAPI_OPS = {
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
