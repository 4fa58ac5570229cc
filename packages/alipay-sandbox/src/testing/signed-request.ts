/**
 * A small signed-request client for driving the sandbox in tests (and for poking it by hand).
 * Deliberately independent of alipay-core's client: it only uses alipay-core's signing.
 */
import { XMLParser } from "fast-xml-parser";
import {
  buildSignContent,
  signOpenApiParams,
  signParams,
  verifyContent,
  verifyOpenApiResponse,
  type SigningKey,
  type VerifyingKey,
} from "@kiosk/alipay-core";

type Params = Record<string, string | undefined>;

function defined(params: Params): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (v !== undefined) out[k] = v;
  return out;
}

export type MapiCallOptions = {
  /** e.g. `${sandbox.url}/gateway.do` */
  gatewayUrl: string;
  /** Everything except `sign` and `sign_type` (added here). */
  params: Params;
  key: SigningKey;
  /** @default "POST" (form body, `_input_charset` in the URL as MEL does) */
  httpMethod?: "GET" | "POST";
  /** Replace the computed signature (to test rejection). */
  signOverride?: string;
  /** Leave `sign_type` out / set a different one than the key's. */
  signTypeOverride?: string | null;
};

export type MapiReply = {
  status: number;
  text: string;
  /** `is_success` */
  isSuccess: boolean;
  /** Gateway error (`is_success=F`). */
  error: string | undefined;
  /** Children of `response/alipay`. */
  response: Record<string, string>;
  /** `<request>` echo. */
  request: Record<string, string>;
  sign: string | undefined;
  signType: string | undefined;
  /** Verifies `response/alipay` against `sign` (reference §2.4). */
  verify(key: VerifyingKey): boolean;
};

const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  parseTagValue: false,
  trimValues: false,
  isArray: (name) => name === "param",
});

function text(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return "";
}

export function parseMapiXml(status: number, body: string): MapiReply {
  const doc = xmlParser.parse(body) as { alipay?: Record<string, unknown> };
  const root = doc.alipay ?? {};
  const responseNode = ((root["response"] as Record<string, unknown> | undefined)?.["alipay"] ?? {}) as Record<
    string,
    unknown
  >;
  const response: Record<string, string> = {};
  for (const [k, v] of Object.entries(responseNode)) response[k] = text(v);
  const request: Record<string, string> = {};
  const paramNodes = ((root["request"] as Record<string, unknown> | undefined)?.["param"] ?? []) as Array<
    Record<string, unknown>
  >;
  for (const node of paramNodes) request[text(node["@_name"])] = text(node["#text"]);
  const sign = root["sign"] === undefined ? undefined : text(root["sign"]);
  return {
    status,
    text: body,
    isSuccess: text(root["is_success"]) === "T",
    error: root["error"] === undefined ? undefined : text(root["error"]),
    response,
    request,
    sign,
    signType: root["sign_type"] === undefined ? undefined : text(root["sign_type"]),
    verify: (key) => sign !== undefined && verifyContent(buildSignContent(response), sign, key),
  };
}

/** Signs `params` (MAPI rule) and sends them; answers the parsed XML (or raw text for file services). */
export async function mapiCall(options: MapiCallOptions): Promise<MapiReply> {
  const params = defined(options.params);
  const signType = options.signTypeOverride === undefined ? options.key.signType : options.signTypeOverride;
  const signed: Record<string, string> = {
    ...params,
    sign: options.signOverride ?? signParams(params, options.key),
  };
  if (signType !== null) signed["sign_type"] = signType;
  let response: Response;
  if ((options.httpMethod ?? "POST") === "GET") {
    response = await fetch(`${options.gatewayUrl}?${new URLSearchParams(signed).toString()}`);
  } else {
    const charset = signed["_input_charset"];
    const body = { ...signed };
    delete body["_input_charset"];
    const url =
      charset === undefined
        ? options.gatewayUrl
        : `${options.gatewayUrl}?_input_charset=${encodeURIComponent(charset)}`;
    response = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded;charset=UTF-8",
      },
      body: new URLSearchParams(body).toString(),
    });
  }
  const body = await response.text();
  return body.startsWith("<?xml")
    ? parseMapiXml(response.status, body)
    : { ...parseMapiXml(response.status, "<alipay/>"), text: body };
}

export type OpenApiCallOptions = {
  gatewayUrl: string;
  appId: string;
  method: string;
  bizContent: Record<string, unknown>;
  privateKey: SigningKey & { signType: "RSA" | "RSA2" };
  /** `yyyy-MM-dd HH:mm:ss`; @default "2024-01-01 12:00:00" */
  timestamp?: string;
  notifyUrl?: string;
  /** Extra / overriding common parameters (`undefined` removes one). */
  overrides?: Params;
  signOverride?: string;
};

export type OpenApiReply = {
  status: number;
  text: string;
  responseKey: string | undefined;
  /** The parsed `<method>_response` (or `error_response`). */
  response: Record<string, unknown>;
  code: string | undefined;
  subCode: string | undefined;
  sign: string | undefined;
  /** Verifies the raw response text against the gateway public key. */
  verify(key: VerifyingKey): boolean;
};

/** Signs an OpenAPI request (all params but `sign`) and POSTs it the way alipay-sdk does: common params in the URL, biz_content in the body. */
export async function openApiCall(options: OpenApiCallOptions): Promise<OpenApiReply> {
  const common = defined({
    app_id: options.appId,
    method: options.method,
    format: "JSON",
    charset: "utf-8",
    sign_type: options.privateKey.signType,
    timestamp: options.timestamp ?? "2024-01-01 12:00:00",
    version: "1.0",
    notify_url: options.notifyUrl,
  });
  for (const [k, v] of Object.entries(options.overrides ?? {})) {
    if (v === undefined) delete common[k];
    else common[k] = v;
  }
  const bizContent = JSON.stringify(options.bizContent);
  const sign = options.signOverride ?? signOpenApiParams({ ...common, biz_content: bizContent }, options.privateKey);
  const query = new URLSearchParams({ ...common, sign }).toString();
  const response = await fetch(`${options.gatewayUrl}?${query}`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded;charset=utf-8",
    },
    body: new URLSearchParams({ biz_content: bizContent }).toString(),
  });
  const body = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(body) as Record<string, unknown>;
  } catch {
    parsed = {};
  }
  const responseKey = Object.keys(parsed).find((k) => k.endsWith("_response"));
  const inner = (responseKey === undefined ? {} : parsed[responseKey]) as Record<string, unknown>;
  return {
    status: response.status,
    text: body,
    responseKey,
    response: inner,
    code: typeof inner["code"] === "string" ? inner["code"] : undefined,
    subCode: typeof inner["sub_code"] === "string" ? inner["sub_code"] : undefined,
    sign: typeof parsed["sign"] === "string" ? parsed["sign"] : undefined,
    verify: (key) => verifyOpenApiResponse(body, options.method, key).ok,
  };
}
