/**
 * Builders for gateway-side messages (signed MAPI XML, signed OpenAPI JSON, signed
 * notifications) — for tests, fakes and the sandbox. Test/simulator use only.
 */
import {
  buildSignContent,
  openApiResponseKey,
  signContent,
  signOpenApiResponseBody,
  signParams,
  type SigningKey,
} from "../signing.ts";

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * A signed MAPI response: `<alipay><is_success>T</is_success><request>…</request>
 * <response><alipay>fields (alphabetical)</alipay></response><sign>…</sign><sign_type>…</sign_type></alipay>`.
 */
export function buildMapiResponseXml(options: {
  fields: Record<string, string>;
  key: SigningKey;
  request?: Record<string, string>;
  /** Declared encoding (the body is still a JS string). @default "UTF-8" */
  encoding?: string;
  /** Override the sign (forgeries in tests). `null` omits it. */
  sign?: string | null;
  signType?: string;
}): string {
  const names = Object.keys(options.fields).sort();
  const body = names.map((n) => `<${n}>${escapeXml(options.fields[n] as string)}</${n}>`).join("");
  const request = Object.entries(options.request ?? {})
    .map(([k, v]) => `<param name="${escapeXml(k)}">${escapeXml(v)}</param>`)
    .join("");
  const sign = options.sign === undefined ? signContent(buildSignContent(options.fields), options.key) : options.sign;
  const signXml =
    sign === null
      ? ""
      : `<sign>${escapeXml(sign)}</sign><sign_type>${options.signType ?? options.key.signType}</sign_type>`;
  return `<?xml version="1.0" encoding="${options.encoding ?? "UTF-8"}"?><alipay><is_success>T</is_success><request>${request}</request><response><alipay>${body}</alipay></response>${signXml}</alipay>`;
}

/** An unsigned MAPI gateway rejection. */
export function buildMapiErrorXml(error: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><alipay><is_success>F</is_success><error>${escapeXml(error)}</error></alipay>`;
}

/** A signed OpenAPI body `{"<method>_response":{…},"sign":"…"}`. */
export function buildOpenApiResponseBody(method: string, response: Record<string, unknown>, key: SigningKey): string {
  return signOpenApiResponseBody(openApiResponseKey(method), response, key);
}

/** Adds `sign` and `sign_type` to notification params (V1 rule). */
export function signNotificationParams(params: Record<string, string>, key: SigningKey): Record<string, string> {
  return { ...params, sign: signParams(params, key), sign_type: key.signType };
}
