/**
 * The OpenAPI gateway's answers: the signed JSON envelope (`<method>_response` + `sign`, and
 * `alipay_cert_sn` in certificate mode), codes and messages, and what an operation is called with.
 */
import { openApiResponseKey, signContent, type SigningKey } from "@kiosk/alipay-core";
import type { CurrentAlipayCert } from "./cert-mode.ts";
import type { GatewayContext, GatewayReply, ResolvedApp } from "./gateway-context.ts";
import { currencyInfo, formatAmount, type CurrencyInfo } from "./money.ts";
import type { Trade } from "./store.ts";
import type { ResponseEffects } from "./trade-engine.ts";

export const OPENAPI_METHODS = [
  "alipay.trade.pay",
  "alipay.trade.query",
  "alipay.trade.cancel",
  "alipay.trade.refund",
  "alipay.trade.fastpay.refund.query",
  "alipay.data.dataservice.bill.downloadurl.query",
] as const;

export type OpenApiMethod = (typeof OPENAPI_METHODS)[number];

export type Params = Readonly<Record<string, string>>;

export type Body = Record<string, unknown>;

export type Call = {
  ctx: GatewayContext;
  method: OpenApiMethod;
  app: ResolvedApp;
  signType: "RSA" | "RSA2";
  biz: Body;
  /** Certificate mode: the Alipay certificate that signs the answer. */
  alipayCert: CurrentAlipayCert | undefined;
};

export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

export const MESSAGES: Record<string, string> = {
  "10000": "Success",
  "10003": "order success pay inprocess",
  "20000": "Service Currently Unavailable",
  "40001": "Missing Required Arguments",
  "40002": "Invalid Arguments",
  "40004": "Business Failed",
};

export function isMethod(method: string): method is OpenApiMethod {
  return (OPENAPI_METHODS as readonly string[]).includes(method);
}

export function compact(body: Record<string, unknown>): Body {
  const out: Body = {};
  for (const [k, v] of Object.entries(body)) if (v !== undefined && v !== "") out[k] = v;
  return out;
}

export function reply(
  ctx: GatewayContext,
  spec: {
    responseKey: string;
    code: keyof typeof MESSAGES;
    body?: Record<string, unknown>;
    subCode?: string;
    subMsg?: string;
    signType?: "RSA" | "RSA2";
    effects?: ResponseEffects;
    /** Certificate mode: sign with this certificate's key and answer its SN as `alipay_cert_sn`. */
    alipayCert?: CurrentAlipayCert | undefined;
  },
): GatewayReply {
  const response = compact({
    code: spec.code,
    msg: MESSAGES[spec.code],
    sub_code: spec.subCode,
    sub_msg: spec.subMsg,
    ...spec.body,
  });
  const key: SigningKey = {
    signType: spec.signType ?? "RSA2",
    privateKey: spec.alipayCert?.privateKey ?? ctx.gatewayPrivateKey,
  };
  const json = JSON.stringify(response);
  const tamper = ctx.takeBadSignature(spec.effects?.badSignature);
  const sign = signContent(tamper ? `${json} ` : json, key);
  const { badSignature: _ignored, ...transport } = spec.effects ?? {};
  const result: GatewayReply = {
    status: 200,
    contentType: JSON_CONTENT_TYPE,
    body: `{"${spec.responseKey}":${ctx.escapeSlashesInJson ? json.replaceAll("/", "\\/") : json}${
      spec.alipayCert === undefined ? "" : `,"alipay_cert_sn":${JSON.stringify(spec.alipayCert.sn)}`
    },"sign":${JSON.stringify(sign)}}`,
    effects: transport,
  };
  if (spec.subMsg !== undefined) result.detail = spec.subMsg;
  return result;
}

export function callReply(
  call: Call,
  code: keyof typeof MESSAGES,
  extra: {
    body?: Record<string, unknown>;
    subCode?: string;
    subMsg?: string;
    effects?: ResponseEffects;
  } = {},
): GatewayReply {
  return reply(call.ctx, {
    responseKey: openApiResponseKey(call.method),
    code,
    signType: call.signType,
    alipayCert: call.alipayCert,
    ...extra,
  });
}

export function invalidParameter(call: Call, subMsg: string, body: Record<string, unknown> = {}): GatewayReply {
  return callReply(call, "40004", {
    subCode: "ACQ.INVALID_PARAMETER",
    subMsg,
    body,
  });
}

export function str(biz: Body, name: string): string | undefined {
  const v = biz[name];
  if (typeof v === "string") return v === "" ? undefined : v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return undefined;
}

/** `minor` in the trade's currency as Alipay writes it. */
export function amountText(trade: Trade, minor: number): string {
  return formatAmount(minor, currencyInfo(trade.currency) as CurrencyInfo);
}
