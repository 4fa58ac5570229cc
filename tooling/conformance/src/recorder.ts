/**
 * Records every gateway exchange of a conformance run: an HttpTransport wrapper (the raw
 * request and response, as alipay-core sent and received them) joined with alipay-core's
 * request/response hooks (its reading of the answer, including whether the signature was
 * rejected). Payment codes are masked and signatures abbreviated before anything is kept;
 * key material never passes through a transport.
 */
import { createHash } from "node:crypto";
import {
  decodeText,
  maskPaymentCode,
  normaliseCharset,
  type ClientHooks,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
  type RequestSummary,
  type ResponseSummary,
} from "@kiosk/alipay-core";
import type { Exchange, SignatureVerdict } from "@kiosk/api/conformance/report.ts";

/** Larger bodies (settlement files) are cut in the report. */
const MAX_BODY_CHARS = 8_000;

// MAPI `buyer_identity_code=`, OpenAPI `auth_code` in biz_content, Antom `paymentMethodId` in its JSON body.
const CODE_PARAM = /(buyer_identity_code=|(?:auth_code|paymentMethodId)(?:%22|")?(?:%3A|:)(?:%22|")?)(\d{16,24})/g;
const SIGN_PARAM = /((?:^|&|\?)sign=)([^&]{12})[^&]*/g;
const SIGN_ELEMENT = /(<sign>)([^<]{12})[^<]*(<\/sign>)/g;
const SIGN_JSON = /("sign"\s*:\s*")([^"]{12})[^"]*(")/g;
// MAPI answers echo the request's parameters, payment code and signature included.
const CODE_ECHO = /(<param name="(?:buyer_identity_code|auth_code)">)(\d{16,24})/g;
const SIGN_ECHO = /(<param name="sign">)([^<]{12})[^<]*/g;

/** Masks payment codes (by parameter name) and abbreviates signatures in a request or response text. */
export function redactWireText(text: string): string {
  return text
    .replace(CODE_PARAM, (_m, name: string, code: string) => `${name}${maskPaymentCode(code)}`)
    .replace(CODE_ECHO, (_m, name: string, code: string) => `${name}${maskPaymentCode(code)}`)
    .replace(SIGN_PARAM, "$1$2…")
    .replace(SIGN_ECHO, "$1$2…")
    .replace(SIGN_ELEMENT, "$1$2…$3")
    .replace(SIGN_JSON, "$1$2…$3");
}

function apiNameOf(request: HttpRequest): string {
  const url = new URL(request.url);
  const body = new URLSearchParams(request.body ?? "");
  return (
    url.searchParams.get("service") ??
    body.get("service") ??
    url.searchParams.get("method") ??
    body.get("method") ??
    url.pathname
  );
}

function partnerTransIdOf(request: HttpRequest): string | undefined {
  // Antom: a JSON body naming the payment by paymentRequestId.
  if ((request.body ?? "").startsWith("{")) {
    try {
      const parsed = JSON.parse(request.body ?? "") as { paymentRequestId?: unknown };
      return typeof parsed.paymentRequestId === "string" ? parsed.paymentRequestId : undefined;
    } catch {
      return undefined;
    }
  }
  const body = new URLSearchParams(request.body ?? "");
  const direct = body.get("partner_trans_id") ?? body.get("out_trade_no");
  if (direct) return direct;
  const biz = body.get("biz_content") ?? new URL(request.url).searchParams.get("biz_content");
  if (!biz) return undefined;
  try {
    const parsed = JSON.parse(biz) as { out_trade_no?: unknown };
    return typeof parsed.out_trade_no === "string" ? parsed.out_trade_no : undefined;
  } catch {
    return undefined;
  }
}

/** Parameters that legitimately differ between identical requests. */
const VOLATILE_PARAMS = new Set(["sign", "timestamp"]);

/**
 * A digest of the request's parameters (URL query and form body) without the volatile ones,
 * to recognise an identical resend. Only the digest is kept, and only in memory.
 */
function requestDigest(request: HttpRequest): string {
  const url = new URL(request.url);
  const params = [...url.searchParams.entries(), ...new URLSearchParams(request.body ?? "").entries()]
    .filter(([name]) => !VOLATILE_PARAMS.has(name))
    .map(([name, value]) => `${name}=${value}`)
    .sort();
  return createHash("sha256")
    .update(`${request.method} ${url.origin}${url.pathname}\n${params.join("\n")}`)
    .digest("hex");
}

function isTextual(contentType: string): boolean {
  return contentType === "" || /text|xml|json|html|urlencoded/i.test(contentType);
}

function bodyText(response: HttpResponse): {
  text: string;
  isTruncated: boolean;
} {
  const contentType = response.headers["content-type"] ?? "";
  if (!isTextual(contentType))
    return {
      text: `<${response.body.byteLength} bytes of ${contentType}>`,
      isTruncated: false,
    };
  const charset = normaliseCharset(/charset=([^;]+)/i.exec(contentType)?.[1]) ?? "utf-8";
  const text = decodeText(response.body, charset);
  return text.length > MAX_BODY_CHARS
    ? { text: `${text.slice(0, MAX_BODY_CHARS)}…`, isTruncated: true }
    : { text, isTruncated: false };
}

/** MAPI / OpenAPI sign inside the body; Antom in a `signature` response header. */
function isSigned(body: string, headers: Readonly<Record<string, string>>): boolean {
  return /<sign>|"sign"\s*:/.test(body) || Object.keys(headers).some((name) => name.toLowerCase() === "signature");
}

interface OpenCall {
  summary: RequestSummary;
  exchanges: Exchange[];
}

export interface ExchangeRecorder {
  /** Wraps the transport alipay-core would use. */
  transport: HttpTransport;
  /** alipay-core client hooks that complete each exchange with the client's verdict. */
  hooks: ClientHooks;
  /** The exchanges finished since the last call, in order; clears them. */
  drain(): Exchange[];
}

/**
 * @param options.displayUrl maps the URL actually called (e.g. the tampering proxy) to the one
 *   the report shows (the gateway behind it).
 */
export function createExchangeRecorder(options: {
  inner: HttpTransport;
  now: () => number;
  displayUrl?: (url: string) => string;
}): ExchangeRecorder {
  const open: OpenCall[] = [];
  let finished: Exchange[] = [];
  let seq = 0;
  const firstSeqByDigest = new Map<string, number>();

  const callFor = (apiName: string, partnerTransId: string | undefined): OpenCall | undefined =>
    open.find(
      (c) =>
        c.summary.apiName === apiName &&
        (partnerTransId === undefined ||
          c.summary.partnerTransId === undefined ||
          c.summary.partnerTransId === partnerTransId),
    ) ?? open.at(-1);

  const transport: HttpTransport = {
    async request(request) {
      const startedAt = options.now();
      const apiName = apiNameOf(request);
      const partnerTransId = partnerTransIdOf(request);
      const digest = requestDigest(request);
      const repeatOf = firstSeqByDigest.get(digest);
      if (repeatOf === undefined) firstSeqByDigest.set(digest, seq + 1);
      const exchange: Exchange = {
        seq: ++seq,
        at: new Date(startedAt).toISOString(),
        operation: "unknown",
        apiName,
        ...(partnerTransId ? { partnerTransId } : {}),
        ...(repeatOf !== undefined ? { repeatOf } : {}),
        request: {
          method: request.method,
          url: redactWireText(options.displayUrl?.(request.url) ?? request.url),
          body: redactWireText(request.body ?? ""),
        },
        response: null,
        signature: "no_response",
        outcome: "unknown",
        durationMs: 0,
      };
      const call = callFor(apiName, partnerTransId);
      if (call) exchange.operation = call.summary.operation;
      (call?.exchanges ?? finished).push(exchange);
      try {
        const response = await options.inner.request(request);
        const { text, isTruncated } = bodyText(response);
        exchange.response = {
          status: response.status,
          contentType: response.headers["content-type"] ?? "",
          body: redactWireText(text),
          isTruncated,
        };
        exchange.signature = isSigned(text, response.headers) ? "verified" : "unsigned";
        return response;
      } catch (error) {
        exchange.transportError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        throw error;
      } finally {
        exchange.durationMs = Math.max(0, options.now() - startedAt);
      }
    },
  };

  const hooks: ClientHooks = {
    onRequest(summary) {
      open.push({ summary, exchanges: [] });
    },
    onResponse(summary: ResponseSummary) {
      const index = open.findIndex(
        (c) =>
          c.summary.operation === summary.operation &&
          c.summary.apiName === summary.apiName &&
          c.summary.partnerTransId === summary.partnerTransId,
      );
      const [call] = open.splice(index >= 0 ? index : open.length - 1, 1);
      if (!call) return;
      call.exchanges.forEach((e, i) => {
        e.outcome = summary.outcome;
        if (summary.errorName) e.errorName = summary.errorName;
        if (summary.reason) e.reason = summary.reason;
        // The client checks the signature of the call's answer; a rejected one is never believed.
        const isLast = i === call.exchanges.length - 1;
        if (isLast && summary.errorName === "AlipaySignatureError") e.signature = "failed" satisfies SignatureVerdict;
      });
      finished.push(...call.exchanges);
    },
  };

  return {
    transport,
    hooks,
    drain() {
      const out = finished.sort((a, b) => a.seq - b.seq);
      finished = [];
      return out;
    },
  };
}
