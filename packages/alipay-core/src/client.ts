/**
 * Alipay barcode clients: {@link MapiClient} (global MAPI, XML, MD5/RSA/RSA2) and
 * {@link OpenApiClient} (Open Platform, JSON, RSA2/RSA) behind one {@link AlipayClient}
 * interface. A deployment picks one with `createAlipayClient({ protocol, … })`.
 *
 * Every response is signature-checked BEFORE any field is read; a missing or wrong
 * signature is an {@link AlipaySignatureError}, never a result.
 */
import { readFileSync } from "node:fs";
import { createPublicKey, type KeyObject } from "node:crypto";
import { z } from "zod";
import { decodeText, normaliseCharset } from "./charset.ts";
import { systemClock, type Clock } from "./clock.ts";
import {
  AlipayAbortError,
  AlipayConfigError,
  AlipayError,
  AlipayGatewayError,
  AlipayNetworkError,
  AlipayResponseError,
  AlipaySignatureError,
  AlipayTimeoutError,
  AlipayValidationError,
} from "./errors.ts";
import {
  buildSignContent,
  extractOpenApiSignedResponse,
  loadPrivateKey,
  loadPublicKey,
  signContent,
  signOpenApiParams,
  verifyContent,
  verifyOpenApiSignedContent,
  verifyParams,
  type SigningKey,
  type SignType,
  type VerifyingKey,
} from "./signing.ts";
import { FetchTransport, type HttpTransport } from "./transport.ts";
import { fetchBill } from "./bill.ts";
import { alipayKeyFor, loadCertMode, type CertMode, type CertModeTexts } from "./cert-mode.ts";
import { readTradeBillArchive } from "./bill-archive.ts";
import type {
  AlipayProtocol,
  CancelResult,
  PayResult,
  QueryResult,
  RefundQueryResult,
  RefundResult,
  SettlementResult,
  VerifiedNotification,
} from "./types.ts";
import {
  buildMapiRefundQueryParams,
  buildOpenApiRefundQueryBiz,
  mapMapiRefundQuery,
  mapOpenApiRefundQuery,
  type RefundQueryInput,
} from "./refund-query.ts";
import {
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
  declaredCharset,
  DEFAULT_ALIPAY_UTC_OFFSET_MINUTES,
  isLoopbackHost,
  mapiGatewayError,
  mapMapiCancel,
  mapMapiNotification,
  mapMapiPay,
  mapMapiQuery,
  mapMapiRefund,
  mapOpenApiBill,
  mapOpenApiCancel,
  mapOpenApiNotification,
  mapOpenApiPay,
  mapOpenApiQuery,
  mapOpenApiRefund,
  OPENAPI_CODE,
  OPENAPI_METHOD,
  MAPI_SERVICE,
  parseMapiEnvelope,
  parseOpenApiResponse,
  parseSettlementFile,
  PARTNER_ID_PATTERN,
  type PayInput,
  type RefundInput,
} from "./wire.ts";
import { currencyExponent, maskPaymentCode } from "./money.ts";
import type { AntomConfig } from "./antom/client.ts";

// ---------------------------------------------------------------------------
// Public interface
// ---------------------------------------------------------------------------

/** Per-call options. */
export type CallOptions = {
  /** Caller cancellation (the worker shutting down). */
  signal?: AbortSignal;
  /** Overrides the configured time-out for this call. */
  timeoutMs?: number;
};

export type QueryInput = { partnerTransId: string; currency: string };
export type CancelInput = { partnerTransId: string };
export type SettlementInput = {
  /** `YYYY-MM-DD` (MAPI: start of a ≤10-day range; OpenAPI: the bill date). */
  startDate: string;
  /** `YYYY-MM-DD`, MAPI only; default `startDate`. */
  endDate?: string;
  /** MAPI: `settlement` = forex_liquidation_file, `transactions` = forex_compare_file. Default `settlement`. */
  kind?: "settlement" | "transactions";
  /**
   * OpenAPI only: download the bill archive behind `bill_download_url` (same transport, the
   * settlement time-out) and answer its rows as `records`, like MAPI. Default: answer the URL.
   */
  readBillArchive?: boolean;
  /** Currency of the OpenAPI bill's amount columns (it has no currency column). @default "CNY" */
  billCurrency?: string;
};

/** One HTTP request exactly as it goes on the wire (URL, headers and body, signature included). */
export type SignedHttpRequest = {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: string;
};

/**
 * A pay request as it was signed for its first send (plain JSON, so it can be stored). A pay
 * resent after SYSTEM_ERROR is the same request: resend this object with
 * {@link AlipayClient.sendPay}, never a rebuilt one (whose `trans_create_time` / `timestamp`
 * would come from the clock again). `http` carries the unmasked payment code: store it only
 * encrypted, and only while a resend is possible.
 */
export type SignedPayRequest = {
  protocol: AlipayProtocol;
  partnerTransId: string;
  amountMinor: number;
  currency: string;
  paymentCodeMasked: string;
  http: SignedHttpRequest;
};

/** The barcode payment client, identical for both protocols. */
export interface AlipayClient {
  readonly protocol: AlipayProtocol;
  /** Charges a scanned code. Expected outcomes are values; see {@link PayResult}. */
  pay(input: PayInput, options?: CallOptions): Promise<PayResult>;
  /**
   * Builds and signs a pay request without sending it; every clock-derived parameter
   * (`trans_create_time`, OpenAPI `timestamp`) is fixed here.
   * @throws AlipayValidationError on bad input (nothing is sent).
   */
  signPay(input: PayInput): SignedPayRequest;
  /** Sends a signed pay request byte-for-byte (first send or a resend); answers like {@link pay}. */
  sendPay(signed: SignedPayRequest, options?: CallOptions): Promise<PayResult>;
  query(input: QueryInput, options?: CallOptions): Promise<QueryResult>;
  /** Reverses: closes if unpaid, refunds if paid (same Beijing day). */
  cancel(input: CancelInput, options?: CallOptions): Promise<CancelResult>;
  /**
   * Refund; retry an `unknown` with the SAME partnerRefundId. `accepted` is not done: confirm
   * it with {@link AlipayClient.refundQuery}.
   */
  refund(input: RefundInput, options?: CallOptions): Promise<RefundResult>;
  /** Asks whether a refund's money moved (query time-out). Only `refunded` says it did. */
  refundQuery(input: RefundQueryInput, options?: CallOptions): Promise<RefundQueryResult>;
  downloadSettlement(input: SettlementInput, options?: CallOptions): Promise<SettlementResult>;
  /**
   * Verifies and maps an asynchronous notification (form params, decoded exactly once). A
   * genuine notification is returned even when it names another merchant (`foreignIdentity`)
   * or lacks its amount or currency: the payment machine decides that it settles nothing.
   * @throws AlipaySignatureError if the signature is missing, wrong, or of another sign type.
   */
  verifyNotification(params: Readonly<Record<string, string>>): VerifiedNotification;
}

/** Structured logger; the default is a no-op. Never receives keys, signatures or full codes. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export type Operation = "pay" | "query" | "cancel" | "refund" | "refund_query" | "settlement";

/** What is about to be sent (secrets removed). */
export type RequestSummary = {
  protocol: AlipayProtocol;
  operation: Operation;
  /** MAPI service or OpenAPI method. */
  apiName: string;
  partnerTransId?: string;
  partnerRefundId?: string;
  amountMinor?: number;
  currency?: string;
  paymentCodeMasked?: string;
  atMs: number;
};

/** What came back (secrets removed). */
export type ResponseSummary = {
  protocol: AlipayProtocol;
  operation: Operation;
  apiName: string;
  partnerTransId?: string;
  partnerRefundId?: string;
  atMs: number;
  durationMs: number;
  httpStatus?: number;
  /** Domain status (`paid`, `waiting_buyer`, …) or `error`. */
  outcome: string;
  /** Failure / unknown reason code as Alipay sent it. */
  reason?: string;
  errorName?: string;
  isRetryable?: boolean;
};

export type ClientHooks = {
  onRequest?: (summary: RequestSummary) => void;
  onResponse?: (summary: ResponseSummary) => void;
};

/** Injected collaborators. */
export type ClientDeps = {
  transport?: HttpTransport;
  clock?: Clock;
  logger?: Logger;
  hooks?: ClientHooks;
};

// ---------------------------------------------------------------------------
// Configuration (zod, strict: unknown keys are rejected)
// ---------------------------------------------------------------------------

/** Default time-outs (ms). Pay matches MEL's 15 s read time-out. */
export const DEFAULT_TIMEOUTS_MS = {
  pay: 15_000,
  query: 10_000,
  cancel: 10_000,
  refund: 15_000,
  settlement: 30_000,
} as const;

const TimeoutsSchema = z
  .strictObject({
    pay: z.number().int().positive().max(120_000).default(DEFAULT_TIMEOUTS_MS.pay),
    query: z.number().int().positive().max(120_000).default(DEFAULT_TIMEOUTS_MS.query),
    cancel: z.number().int().positive().max(120_000).default(DEFAULT_TIMEOUTS_MS.cancel),
    refund: z.number().int().positive().max(120_000).default(DEFAULT_TIMEOUTS_MS.refund),
    settlement: z.number().int().positive().max(300_000).default(DEFAULT_TIMEOUTS_MS.settlement),
  })
  .prefault({});

const idText = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/);

const MerchantSchema = z
  .strictObject({
    secondaryMerchantId: idText.optional(),
    secondaryMerchantName: z.string().min(1).max(128).optional(),
    secondaryMerchantIndustry: z
      .string()
      .regex(/^\d{4}$/)
      .optional(),
    storeId: idText.optional(),
    storeName: z.string().min(1).max(128).optional(),
    terminalId: idText.optional(),
    sysServiceProviderId: z.string().min(1).max(64).optional(),
  })
  .prefault({});

/** Shared by every protocol's config schema (also `antom/client.ts`). */
export const commonShape = {
  /** Gateway URL, e.g. `https://globalmapi.alipay.com/gateway.do`. https, or http to a loopback host / when allowed. */
  gatewayUrl: z.url(),
  /** Allow plain http to a non-loopback host (docker-compose sandbox). @default false */
  allowInsecureHttp: z.boolean().default(false),
  notifyUrl: z.url().max(200).optional(),
  timeouts: TimeoutsSchema,
  /** Offset of Alipay's timestamps. @default 480 (GMT+8) */
  utcOffsetMinutes: z.number().int().min(-720).max(840).default(DEFAULT_ALIPAY_UTC_OFFSET_MINUTES),
  /** RSA private key text (PEM PKCS#1/PKCS#8 or bare base64). */
  privateKey: z.string().min(1).optional(),
  /** Path to a file with the private key. */
  privateKeyFile: z.string().min(1).optional(),
  /** Alipay's public key text (PEM or bare base64). */
  alipayPublicKey: z.string().min(1).optional(),
  /** Path to a file with Alipay's public key. */
  alipayPublicKeyFile: z.string().min(1).optional(),
};

export const MapiConfigSchema = z.strictObject({
  protocol: z.literal("mapi"),
  ...commonShape,
  /** 16-digit partner id starting 2088. */
  partnerId: z.string().regex(PARTNER_ID_PATTERN),
  signType: z.enum(["MD5", "RSA", "RSA2"]),
  /** MD5 key (MD5 sign type only). */
  md5Key: z.string().min(1).optional(),
  /** @default "POST" */
  httpMethod: z.enum(["POST", "GET"]).default("POST"),
  /** Secondary merchant / store / terminal sent in `extend_info`. */
  merchant: MerchantSchema,
});

export const OpenApiConfigSchema = z.strictObject({
  protocol: z.literal("openapi"),
  ...commonShape,
  /**
   * Public-key certificate mode (instead of `alipayPublicKey`): the app's certificate
   * (`appCertPublicKey_<appId>.crt`), PEM text or file. Requests then carry `app_cert_sn`
   * and `alipay_root_cert_sn`, and responses are verified with Alipay's certificate.
   */
  appCert: z.string().min(1).optional(),
  appCertFile: z.string().min(1).optional(),
  /** Certificate mode: Alipay's certificate (`alipayCertPublicKey_RSA2.crt`). */
  alipayCert: z.string().min(1).optional(),
  alipayCertFile: z.string().min(1).optional(),
  /** Certificate mode: Alipay's root bundle (`alipayRootCert.crt`). */
  alipayRootCert: z.string().min(1).optional(),
  alipayRootCertFile: z.string().min(1).optional(),
  /** Certificate mode: an announced next Alipay certificate, accepted by its `alipay_cert_sn`. */
  alipayNextCert: z.string().min(1).optional(),
  alipayNextCertFile: z.string().min(1).optional(),
  appId: z.string().regex(/^\d{16}$/),
  /**
   * The merchant's 2088 user id (PID), which notifications carry as `seller_id`. Without it a
   * notification that names a seller cannot be proven ours and settles nothing.
   */
  sellerId: z.string().regex(PARTNER_ID_PATTERN).optional(),
  /** @default "RSA2" */
  signType: z.enum(["RSA", "RSA2"]).default("RSA2"),
  appAuthToken: z.string().min(1).optional(),
  storeId: idText.optional(),
  terminalId: idText.optional(),
  /** Unpaid trades auto-close after this (`timeout_express`). @default "5m" (face-to-face default is 3h) */
  timeoutExpress: z
    .string()
    .regex(/^\d{1,3}[mhd]$/)
    .default("5m"),
  settleCurrency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
});

export const AlipayClientConfigSchema = z.discriminatedUnion("protocol", [MapiConfigSchema, OpenApiConfigSchema]);

export type MapiConfig = z.input<typeof MapiConfigSchema>;
export type OpenApiConfig = z.input<typeof OpenApiConfigSchema>;
export type AlipayClientConfig = z.input<typeof AlipayClientConfigSchema> | AntomConfig;

export function parseConfig<TSchema extends z.ZodType>(schema: TSchema, config: unknown): z.output<TSchema> {
  const result = schema.safeParse(config);
  if (!result.success) {
    // Issue paths and messages only: never the received values (they may be keys).
    const details = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new AlipayConfigError(`Invalid Alipay client configuration: ${details}`);
  }
  const url = new URL((result.data as { gatewayUrl: string }).gatewayUrl);
  const isLoopback = isLoopbackHost(url.hostname);
  if (
    url.protocol !== "https:" &&
    !(url.protocol === "http:" && (isLoopback || (result.data as { allowInsecureHttp: boolean }).allowInsecureHttp))
  ) {
    throw new AlipayConfigError(
      "Invalid Alipay client configuration: gatewayUrl must be https (http only for loopback or with allowInsecureHttp)",
    );
  }
  return result.data;
}

export function readKeyText(text: string | undefined, file: string | undefined, what: string): string | undefined {
  if (text !== undefined && file !== undefined) {
    throw new AlipayConfigError(`Invalid Alipay client configuration: give ${what} as text or as a file, not both`);
  }
  if (file === undefined) return text;
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new AlipayConfigError(`Cannot read ${what} file ${file}`, {
      cause: error,
    });
  }
}

function loadKeys(
  signType: SignType,
  config: {
    /** Certificate mode: the verifying key comes from Alipay's certificate. */
    isCertMode?: boolean;
    privateKey?: string | undefined;
    privateKeyFile?: string | undefined;
    alipayPublicKey?: string | undefined;
    alipayPublicKeyFile?: string | undefined;
    md5Key?: string | undefined;
  },
): { signing: SigningKey; verifying: VerifyingKey } {
  if (signType === "MD5") {
    if (config.md5Key === undefined)
      throw new AlipayConfigError("Invalid Alipay client configuration: md5Key is required for sign type MD5");
    return {
      signing: { signType, md5Key: config.md5Key },
      verifying: { signType, md5Key: config.md5Key },
    };
  }
  const privateText = readKeyText(config.privateKey, config.privateKeyFile, "privateKey");
  const publicText = readKeyText(config.alipayPublicKey, config.alipayPublicKeyFile, "alipayPublicKey");
  if (config.isCertMode === true && publicText !== undefined) {
    throw new AlipayConfigError(
      "Invalid Alipay client configuration: give alipayPublicKey or the certificates (appCert, alipayCert, alipayRootCert), not both",
    );
  }
  if (privateText === undefined || (publicText === undefined && config.isCertMode !== true)) {
    throw new AlipayConfigError(
      `Invalid Alipay client configuration: privateKey and alipayPublicKey are required for sign type ${signType}`,
    );
  }
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  try {
    privateKey = loadPrivateKey(privateText);
    publicKey =
      publicText === undefined
        ? createPublicKey(privateKey) // replaced by Alipay's certificate in cert mode
        : loadPublicKey(publicText);
  } catch (error) {
    throw new AlipayConfigError(`Invalid Alipay client configuration: ${(error as Error).message}`, { cause: error });
  }
  return {
    signing: { signType, privateKey },
    verifying: { signType, publicKey },
  };
}

/** Certificate-mode texts, or `undefined` when no certificate option is given. */
function readCertTexts(config: {
  appCert?: string | undefined;
  appCertFile?: string | undefined;
  alipayCert?: string | undefined;
  alipayCertFile?: string | undefined;
  alipayRootCert?: string | undefined;
  alipayRootCertFile?: string | undefined;
  alipayNextCert?: string | undefined;
  alipayNextCertFile?: string | undefined;
}): CertModeTexts | undefined {
  const appCert = readKeyText(config.appCert, config.appCertFile, "appCert");
  const alipayCert = readKeyText(config.alipayCert, config.alipayCertFile, "alipayCert");
  const alipayRootCert = readKeyText(config.alipayRootCert, config.alipayRootCertFile, "alipayRootCert");
  const alipayNextCert = readKeyText(config.alipayNextCert, config.alipayNextCertFile, "alipayNextCert");
  const given = [appCert, alipayCert, alipayRootCert, alipayNextCert];
  if (given.every((t) => t === undefined)) return undefined;
  if (appCert === undefined || alipayCert === undefined || alipayRootCert === undefined) {
    throw new AlipayConfigError(
      "Invalid Alipay client configuration: certificate mode needs appCert, alipayCert and alipayRootCert (text or file)",
    );
  }
  return { appCert, alipayCert, alipayRootCert, alipayNextCert };
}

// ---------------------------------------------------------------------------
// Shared request plumbing
// ---------------------------------------------------------------------------

type Exchange = {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: Uint8Array;
};

/** Runs one HTTP exchange with a hard time-out, even if the transport ignores the signal. */
export async function exchange(
  transport: HttpTransport,
  request: {
    method: "GET" | "POST";
    url: string;
    headers: Record<string, string>;
    body?: string;
  },
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
): Promise<Exchange> {
  const timeoutSignal = AbortSignal.timeout(timeoutMs);
  const signal = callerSignal ? AbortSignal.any([callerSignal, timeoutSignal]) : timeoutSignal;
  if (callerSignal?.aborted) throw new AlipayAbortError("Request aborted by the caller before it was sent");
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () =>
      reject(
        timeoutSignal.aborted
          ? new AlipayTimeoutError(`Request timed out after ${timeoutMs} ms`, {
              timeoutMs,
            })
          : new AlipayAbortError("Request aborted by the caller"),
      );
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([transport.request({ ...request, timeoutMs, signal }), aborted]);
  } catch (error) {
    if (error instanceof AlipayError) throw error;
    throw new AlipayNetworkError("Transport failed", { cause: error });
  } finally {
    signal.removeEventListener("abort", onAbort as () => void);
  }
}

export function checkHttpStatus(status: number): void {
  if (status === 200) return;
  if (status >= 500)
    throw new AlipayNetworkError(`Alipay gateway answered HTTP ${status}`, {
      httpStatus: status,
    });
  throw new AlipayResponseError(`Alipay gateway answered HTTP ${status}`, {
    httpStatus: status,
  });
}

function formEncode(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

function withQuery(url: string, query: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.toString();
}

export type CallContext = {
  operation: Operation;
  apiName: string;
  ids: { partnerTransId?: string; partnerRefundId?: string };
  request: Omit<RequestSummary, "protocol" | "operation" | "apiName" | "atMs">;
  timeoutMs: number;
  options: CallOptions | undefined;
};

abstract class BaseClient {
  abstract readonly protocol: AlipayProtocol;
  protected readonly transport: HttpTransport;
  protected readonly clock: Clock;
  protected readonly logger: Logger;
  protected readonly hooks: ClientHooks;

  constructor(deps: ClientDeps) {
    this.transport = deps.transport ?? new FetchTransport();
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? noopLogger;
    this.hooks = deps.hooks ?? {};
  }

  #emit<TSummary>(hook: ((s: TSummary) => void) | undefined, summary: TSummary): void {
    if (!hook) return;
    try {
      hook(summary);
    } catch (error) {
      this.logger.warn("alipay hook threw", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** Wraps one operation with summaries, logging and error normalisation. */
  protected async run<TResult extends { status: string; reason?: string | undefined } | { format: string }>(
    ctx: CallContext,
    perform: () => Promise<{ result: TResult; httpStatus: number }>,
  ): Promise<TResult> {
    const startedAt = this.clock.now();
    const base = {
      protocol: this.protocol,
      operation: ctx.operation,
      apiName: ctx.apiName,
      ...ctx.ids,
    };
    this.#emit(this.hooks.onRequest, {
      ...base,
      ...ctx.request,
      atMs: startedAt,
    });
    this.logger.debug("alipay request", { ...base, ...ctx.request });
    try {
      const { result, httpStatus } = await perform();
      const outcome = "status" in result ? result.status : result.format;
      const reason = "status" in result ? result.reason : undefined;
      const finishedAt = this.clock.now();
      const summary: ResponseSummary = {
        ...base,
        atMs: finishedAt,
        durationMs: finishedAt - startedAt,
        httpStatus,
        outcome,
      };
      if (reason !== undefined) summary.reason = reason;
      this.#emit(this.hooks.onResponse, summary);
      this.logger.info("alipay response", { ...summary });
      return result;
    } catch (error) {
      const finishedAt = this.clock.now();
      const typed =
        error instanceof AlipayError
          ? error
          : new AlipayResponseError(`Unexpected failure during ${ctx.operation}`, { cause: error });
      const summary: ResponseSummary = {
        ...base,
        atMs: finishedAt,
        durationMs: finishedAt - startedAt,
        outcome: "error",
        errorName: typed.name,
        isRetryable: typed.isRetryable,
      };
      if (typed instanceof AlipayGatewayError) summary.reason = typed.subCode ?? typed.gatewayCode;
      if (typed instanceof AlipayNetworkError && typed.httpStatus !== undefined) summary.httpStatus = typed.httpStatus;
      this.#emit(this.hooks.onResponse, summary);
      this.logger.warn("alipay request failed", {
        ...summary,
        message: typed.message,
      });
      throw typed;
    }
  }
}

function summaryOfPay(
  input: Pick<SignedPayRequest, "amountMinor" | "currency" | "paymentCodeMasked">,
): CallContext["request"] {
  return {
    amountMinor: input.amountMinor,
    currency: input.currency,
    paymentCodeMasked: input.paymentCodeMasked,
  };
}

/**
 * The pay operation shared by both protocols: sign once ({@link AlipayClient.signPay}), send
 * the signed bytes ({@link AlipayClient.sendPay}); `pay` is the two in one call.
 */
export abstract class PayingClient extends BaseClient {
  protected abstract readonly payApiName: string;
  protected abstract readonly payTimeoutMs: number;
  protected abstract readonly gatewayUrl: string;
  /** Builds and signs the pay request (clock read here). */
  protected abstract signPayHttp(input: PayInput): SignedHttpRequest;
  /** Sends signed pay bytes, verifies and maps the answer. */
  protected abstract exchangePay(
    signed: SignedPayRequest,
    ctx: CallContext,
  ): Promise<{ result: PayResult; httpStatus: number }>;

  signPay(input: PayInput): SignedPayRequest {
    const http = this.signPayHttp(input);
    return {
      protocol: this.protocol,
      partnerTransId: input.partnerTransId,
      amountMinor: input.amountMinor,
      currency: input.currency,
      paymentCodeMasked: maskPaymentCode(input.paymentCode),
      http,
    };
  }

  #payContext(
    ids: { partnerTransId: string },
    request: CallContext["request"],
    options: CallOptions | undefined,
  ): CallContext {
    return {
      operation: "pay",
      apiName: this.payApiName,
      ids,
      request,
      timeoutMs: this.payTimeoutMs,
      options,
    };
  }

  pay(input: PayInput, options?: CallOptions): Promise<PayResult> {
    const ctx = this.#payContext(
      { partnerTransId: input.partnerTransId },
      summaryOfPay({
        ...input,
        paymentCodeMasked: maskPaymentCode(input.paymentCode),
      }),
      options,
    );
    return this.run(ctx, () => this.exchangePay(this.signPay(input), ctx));
  }

  sendPay(signed: SignedPayRequest, options?: CallOptions): Promise<PayResult> {
    const ctx = this.#payContext({ partnerTransId: signed.partnerTransId }, summaryOfPay(signed), options);
    return this.run(ctx, () => {
      checkSignedPay(signed, this.protocol, this.gatewayUrl);
      return this.exchangePay(signed, ctx);
    });
  }
}

/** A stored request is resent only by a client of its protocol, to the gateway it was signed for. */
function checkSignedPay(signed: SignedPayRequest, protocol: AlipayProtocol, gatewayUrl: string): void {
  if (signed.protocol !== protocol)
    throw new AlipayValidationError(
      `The pay request was signed for ${signed.protocol}, this client speaks ${protocol}`,
      { field: "protocol" },
    );
  const target = new URL(signed.http.url);
  const configured = new URL(gatewayUrl);
  if (target.origin !== configured.origin || target.pathname !== configured.pathname)
    throw new AlipayValidationError("The pay request was signed for another gateway URL", { field: "gatewayUrl" });
}

// ---------------------------------------------------------------------------
// MAPI
// ---------------------------------------------------------------------------

type ParsedMapiConfig = z.output<typeof MapiConfigSchema>;

/** Global MAPI barcode client (`alipay.acquire.overseas.*`, XML, MD5 / RSA / RSA2). */
export class MapiClient extends PayingClient implements AlipayClient {
  readonly protocol = "mapi" as const;
  protected readonly payApiName = MAPI_SERVICE.pay;
  protected readonly payTimeoutMs: number;
  protected readonly gatewayUrl: string;
  readonly #config: ParsedMapiConfig;
  readonly #signing: SigningKey;
  readonly #verifying: VerifyingKey;

  constructor(config: MapiConfig, deps: ClientDeps = {}) {
    super(deps);
    this.#config = parseConfig(MapiConfigSchema, config);
    this.payTimeoutMs = this.#config.timeouts.pay;
    this.gatewayUrl = this.#config.gatewayUrl;
    const keys = loadKeys(this.#config.signType, this.#config);
    this.#signing = keys.signing;
    this.#verifying = keys.verifying;
  }

  get #common(): { partnerId: string; notifyUrl?: string | undefined } {
    return {
      partnerId: this.#config.partnerId,
      notifyUrl: this.#config.notifyUrl,
    };
  }

  /** Signs, sends and returns the verified `response/alipay` fields. */
  #send(
    params: Record<string, string>,
    ctx: CallContext,
  ): Promise<{ fields: Record<string, string>; httpStatus: number }> {
    return this.#post(this.#sign(params), ctx);
  }

  /** The signed HTTP request for `params` (POST form, or GET with a query string). */
  #sign(params: Record<string, string>): SignedHttpRequest {
    const signed: Record<string, string> = {
      ...params,
      sign: signContent(buildSignContent(params), this.#signing),
      sign_type: this.#config.signType,
    };
    const { _input_charset: charset = "UTF-8", ...rest } = signed;
    const isPost = this.#config.httpMethod === "POST";
    return isPost
      ? {
          method: "POST" as const,
          url: withQuery(this.#config.gatewayUrl, { _input_charset: charset }),
          headers: {
            "content-type": "application/x-www-form-urlencoded;charset=UTF-8",
            accept: "text/xml,text/plain,text/html",
          },
          body: formEncode(rest),
        }
      : {
          method: "GET" as const,
          url: withQuery(this.#config.gatewayUrl, signed),
          headers: { accept: "text/xml,text/plain,text/html" },
        };
  }

  /** Sends a signed request as is and returns the verified `response/alipay` fields. */
  async #post(
    request: SignedHttpRequest,
    ctx: CallContext,
  ): Promise<{ fields: Record<string, string>; httpStatus: number }> {
    const response = await exchange(
      this.transport,
      request,
      ctx.options?.timeoutMs ?? ctx.timeoutMs,
      ctx.options?.signal,
    );
    checkHttpStatus(response.status);
    return {
      fields: this.#verifyEnvelope(response, ctx),
      httpStatus: response.status,
    };
  }

  #decode(response: Exchange): string {
    const head = new TextDecoder("latin1").decode(response.body.subarray(0, 100));
    const name = declaredCharset(response.headers["content-type"], head);
    const charset = normaliseCharset(name);
    if (charset === undefined) throw new AlipayResponseError(`MAPI response declares unsupported charset ${name}`);
    return decodeText(response.body, charset);
  }

  #verifyEnvelope(response: Exchange, ctx: CallContext): Record<string, string> {
    const text = this.#decode(response);
    const envelope = parseMapiEnvelope(text);
    const requestId = ctx.ids.partnerRefundId ?? ctx.ids.partnerTransId;
    if (!envelope.isSuccess) throw mapiGatewayError(envelope.error, requestId);
    const errorOptions = requestId !== undefined ? { requestId } : {};
    if (envelope.sign === undefined) {
      throw new AlipaySignatureError(`${ctx.apiName} response is not signed`, {
        reason: "missing_sign",
        ...errorOptions,
      });
    }
    if (envelope.signType !== undefined && envelope.signType !== this.#config.signType) {
      throw new AlipaySignatureError(
        `${ctx.apiName} response is signed with ${envelope.signType}, expected ${this.#config.signType}`,
        {
          reason: "sign_type_mismatch",
          ...errorOptions,
        },
      );
    }
    const head = new TextDecoder("latin1").decode(response.body.subarray(0, 100));
    const charset = normaliseCharset(declaredCharset(response.headers["content-type"], head)) ?? "utf-8";
    const content = buildSignContent(envelope.fields);
    let isValid = verifyContent(content, envelope.sign, this.#verifying, "utf-8");
    if (!isValid && charset !== "utf-8") {
      try {
        isValid = verifyContent(content, envelope.sign, this.#verifying, charset);
      } catch {
        isValid = false;
      }
    }
    if (!isValid)
      throw new AlipaySignatureError(`${ctx.apiName} response signature does not verify`, {
        reason: "bad_sign",
        ...errorOptions,
      });
    return envelope.fields;
  }

  protected signPayHttp(input: PayInput): SignedHttpRequest {
    const params = buildMapiPayParams(this.#common, {
      ...input,
      createdAtMs: input.createdAtMs ?? this.clock.now(),
      merchant: this.#config.merchant,
      offsetMinutes: this.#config.utcOffsetMinutes,
    });
    return this.#sign(params);
  }

  protected async exchangePay(
    signed: SignedPayRequest,
    ctx: CallContext,
  ): Promise<{ result: PayResult; httpStatus: number }> {
    const { fields, httpStatus } = await this.#post(signed.http, ctx);
    return {
      result: mapMapiPay(fields, signed, this.#config.utcOffsetMinutes),
      httpStatus,
    };
  }

  query(input: QueryInput, options?: CallOptions): Promise<QueryResult> {
    const ctx: CallContext = {
      operation: "query",
      apiName: MAPI_SERVICE.query,
      ids: { partnerTransId: input.partnerTransId },
      request: { currency: input.currency },
      timeoutMs: this.#config.timeouts.query,
      options,
    };
    return this.run(ctx, async () => {
      currencyExponent(input.currency);
      const { fields, httpStatus } = await this.#send(buildMapiQueryParams(this.#common, input.partnerTransId), ctx);
      return {
        result: mapMapiQuery(fields, input, this.#config.utcOffsetMinutes),
        httpStatus,
      };
    });
  }

  cancel(input: CancelInput, options?: CallOptions): Promise<CancelResult> {
    const ctx: CallContext = {
      operation: "cancel",
      apiName: MAPI_SERVICE.cancel,
      ids: { partnerTransId: input.partnerTransId },
      request: {},
      timeoutMs: this.#config.timeouts.cancel,
      options,
    };
    return this.run(ctx, async () => {
      const params = buildMapiCancelParams(this.#common, input.partnerTransId, this.clock.now());
      const { fields, httpStatus } = await this.#send(params, ctx);
      return { result: mapMapiCancel(fields, input), httpStatus };
    });
  }

  refund(input: RefundInput, options?: CallOptions): Promise<RefundResult> {
    const ctx: CallContext = {
      operation: "refund",
      apiName: MAPI_SERVICE.refund,
      ids: {
        partnerTransId: input.partnerTransId,
        partnerRefundId: input.partnerRefundId,
      },
      request: { amountMinor: input.amountMinor, currency: input.currency },
      timeoutMs: this.#config.timeouts.refund,
      options,
    };
    return this.run(ctx, async () => {
      const { fields, httpStatus } = await this.#send(buildMapiRefundParams(this.#common, input), ctx);
      return { result: mapMapiRefund(fields, input), httpStatus };
    });
  }

  refundQuery(input: RefundQueryInput, options?: CallOptions): Promise<RefundQueryResult> {
    const ctx: CallContext = {
      operation: "refund_query",
      apiName: MAPI_SERVICE.refundQuery,
      ids: {
        partnerTransId: input.partnerTransId,
        partnerRefundId: input.partnerRefundId,
      },
      request: { amountMinor: input.amountMinor, currency: input.currency },
      timeoutMs: this.#config.timeouts.query,
      options,
    };
    return this.run(ctx, async () => {
      currencyExponent(input.currency);
      const { fields, httpStatus } = await this.#send(buildMapiRefundQueryParams(this.#common, input), ctx);
      return { result: mapMapiRefundQuery(fields, input), httpStatus };
    });
  }

  downloadSettlement(input: SettlementInput, options?: CallOptions): Promise<SettlementResult> {
    const kind = input.kind ?? "settlement";
    const ctx: CallContext = {
      operation: "settlement",
      apiName: kind === "settlement" ? MAPI_SERVICE.settlementFile : MAPI_SERVICE.transactionFile,
      ids: {},
      request: {},
      timeoutMs: this.#config.timeouts.settlement,
      options,
    };
    return this.run(ctx, async () => {
      const params = buildMapiSettlementParams(this.#common, {
        kind,
        startDate: input.startDate,
        endDate: input.endDate ?? input.startDate,
      });
      const signed = {
        ...params,
        sign: signContent(buildSignContent(params), this.#signing),
        sign_type: this.#config.signType,
      };
      const response = await exchange(
        this.transport,
        {
          method: "GET",
          url: withQuery(this.#config.gatewayUrl, signed),
          headers: { accept: "text/plain,text/xml" },
        },
        options?.timeoutMs ?? ctx.timeoutMs,
        options?.signal,
      );
      checkHttpStatus(response.status);
      const text = this.#decode(response);
      if (text.trimStart().startsWith("<")) {
        // An XML body here is a gateway rejection (the file itself is plain text).
        const envelope = parseMapiEnvelope(text);
        throw mapiGatewayError(envelope.isSuccess ? "UNEXPECTED_XML" : envelope.error, undefined);
      }
      const parsed = parseSettlementFile(text, this.#config.utcOffsetMinutes);
      const result: SettlementResult =
        "records" in parsed
          ? { format: "records", records: parsed.records, isSigned: false }
          : { format: "empty", message: parsed.message };
      return { result, httpStatus: response.status };
    });
  }

  verifyNotification(params: Readonly<Record<string, string>>): VerifiedNotification {
    verifyNotificationSignature(params, this.#config.signType, this.#verifying, "MAPI");
    return mapMapiNotification(
      { ...params },
      {
        partnerId: this.#config.partnerId,
        utcOffsetMinutes: this.#config.utcOffsetMinutes,
      },
    );
  }
}

function verifyNotificationSignature(
  params: Readonly<Record<string, string>>,
  expectedSignType: SignType,
  /** Any of these keys (certificate mode: every configured Alipay certificate). */
  keys: VerifyingKey | readonly VerifyingKey[],
  label: string,
): void {
  const sign = params["sign"];
  if (sign === undefined || sign === "") {
    throw new AlipaySignatureError(`${label} notification is not signed`, {
      reason: "missing_sign",
    });
  }
  const signType = params["sign_type"];
  if (signType !== undefined && signType !== "" && signType !== expectedSignType) {
    throw new AlipaySignatureError(`${label} notification is signed with ${signType}, expected ${expectedSignType}`, {
      reason: "sign_type_mismatch",
    });
  }
  const candidates = Array.isArray(keys) ? keys : [keys as VerifyingKey];
  if (!candidates.some((key) => verifyParams(params, key, "v1"))) {
    throw new AlipaySignatureError(`${label} notification signature does not verify`, { reason: "bad_sign" });
  }
}

/**
 * Parses an `application/x-www-form-urlencoded` notification body, decoding exactly once
 * (`+` → space, `%XX` → byte). Repeated keys are a protocol violation.
 */
export function parseNotificationBody(body: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    if (k in params) throw new AlipayResponseError(`Notification repeats parameter ${k}`);
    params[k] = v;
  }
  return params;
}

// ---------------------------------------------------------------------------
// OpenAPI
// ---------------------------------------------------------------------------

type ParsedOpenApiConfig = z.output<typeof OpenApiConfigSchema>;

const OPENAPI_BUSINESS_CODES = new Set<string>(Object.values(OPENAPI_CODE));

/** Alipay Open Platform barcode client (`alipay.trade.*`, JSON, RSA2 / RSA). */
export class OpenApiClient extends PayingClient implements AlipayClient {
  readonly protocol = "openapi" as const;
  protected readonly payApiName = OPENAPI_METHOD.pay;
  protected readonly payTimeoutMs: number;
  protected readonly gatewayUrl: string;
  readonly #config: ParsedOpenApiConfig;
  readonly #signing: SigningKey;
  readonly #verifying: VerifyingKey;
  readonly #certMode: CertMode | undefined;

  constructor(config: OpenApiConfig, deps: ClientDeps = {}) {
    super(deps);
    this.#config = parseConfig(OpenApiConfigSchema, config);
    this.payTimeoutMs = this.#config.timeouts.pay;
    this.gatewayUrl = this.#config.gatewayUrl;
    const certTexts = readCertTexts(this.#config);
    const keys = loadKeys(this.#config.signType, {
      ...this.#config,
      isCertMode: certTexts !== undefined,
    });
    this.#signing = keys.signing;
    this.#verifying = keys.verifying;
    if (certTexts !== undefined && keys.signing.signType !== "MD5") {
      try {
        this.#certMode = loadCertMode(certTexts, keys.signing.privateKey as KeyObject);
      } catch (error) {
        throw new AlipayConfigError(`Invalid Alipay client configuration: ${(error as Error).message}`, {
          cause: error,
        });
      }
      this.#verifying = {
        signType: this.#config.signType,
        publicKey: alipayKeyFor(this.#certMode, undefined) as KeyObject,
      };
    }
  }

  /** Certificate mode: the SNs this client sends (`undefined` in public-key mode). */
  get certSns(): { appCertSn: string; alipayRootCertSn: string; alipayCertSn: string } | undefined {
    const mode = this.#certMode;
    if (mode === undefined) return undefined;
    return {
      appCertSn: mode.appCertSn,
      alipayRootCertSn: mode.alipayRootCertSn,
      alipayCertSn: mode.alipayCertSn,
    };
  }

  /** The Alipay key for a response (certificate mode: by its `alipay_cert_sn`). */
  #responseKey(certSn: string | undefined, method: string): VerifyingKey {
    if (this.#certMode === undefined) return this.#verifying;
    const publicKey = alipayKeyFor(this.#certMode, certSn);
    if (publicKey === undefined)
      throw new AlipaySignatureError(
        `${method} response is signed under Alipay certificate ${certSn ?? ""}, which is not configured (install it as alipayNextCert; see alipay-keys check)`,
        { reason: "unknown_cert_sn" },
      );
    return { signType: this.#config.signType, publicKey };
  }

  /** Signs, sends, verifies; returns the verified response object. */
  #send(
    method: string,
    biz: Record<string, unknown>,
    ctx: CallContext,
  ): Promise<{ response: Record<string, unknown>; httpStatus: number }> {
    return this.#post(method, this.#sign(method, biz), ctx);
  }

  /** The signed form POST (`timestamp` from the clock, here and only here). */
  #sign(method: string, biz: Record<string, unknown>): SignedHttpRequest {
    const params = buildOpenApiParams(
      {
        appId: this.#config.appId,
        signType: this.#config.signType,
        nowMs: this.clock.now(),
        notifyUrl:
          method === OPENAPI_METHOD.pay || method === OPENAPI_METHOD.refund ? this.#config.notifyUrl : undefined,
        appAuthToken: this.#config.appAuthToken,
        offsetMinutes: this.#config.utcOffsetMinutes,
        certSns: this.#certMode,
      },
      method,
      biz,
    );
    const body = formEncode({
      ...params,
      sign: signOpenApiParams(params, this.#signing),
    });
    return {
      method: "POST",
      url: withQuery(this.#config.gatewayUrl, { charset: "utf-8" }),
      headers: {
        "content-type": "application/x-www-form-urlencoded;charset=utf-8",
        accept: "application/json",
      },
      body,
    };
  }

  /** Sends a signed request as is; verifies and returns the response object. */
  async #post(
    method: string,
    request: SignedHttpRequest,
    ctx: CallContext,
  ): Promise<{ response: Record<string, unknown>; httpStatus: number }> {
    const response = await exchange(
      this.transport,
      request,
      ctx.options?.timeoutMs ?? ctx.timeoutMs,
      ctx.options?.signal,
    );
    checkHttpStatus(response.status);
    const requestId = ctx.ids.partnerRefundId ?? ctx.ids.partnerTransId;
    const errorOptions = requestId !== undefined ? { requestId } : {};
    const raw = decodeText(response.body, "utf-8");
    const extracted = extractOpenApiSignedResponse(raw, method);
    if (!extracted)
      throw new AlipayResponseError(`${method} response is not an OpenAPI JSON envelope`, {
        httpStatus: response.status,
      });
    if (extracted.sign === undefined) {
      // Unsigned bodies are believed only as gateway rejections, never as trade facts.
      const unsigned = parseOpenApiResponse(extracted.signedContent);
      const code = typeof unsigned["code"] === "string" ? unsigned["code"] : undefined;
      if (code !== undefined && !OPENAPI_BUSINESS_CODES.has(code)) checkOpenApiGatewayCode(unsigned, requestId);
      throw new AlipaySignatureError(`${method} response is not signed`, {
        reason: "missing_sign",
        ...errorOptions,
      });
    }
    if (
      !verifyOpenApiSignedContent(extracted.signedContent, extracted.sign, this.#responseKey(extracted.certSn, method))
    ) {
      throw new AlipaySignatureError(`${method} response signature does not verify`, {
        reason: "bad_sign",
        ...errorOptions,
      });
    }
    const parsed = parseOpenApiResponse(extracted.signedContent);
    checkOpenApiGatewayCode(parsed, requestId);
    return { response: parsed, httpStatus: response.status };
  }

  protected signPayHttp(input: PayInput): SignedHttpRequest {
    const storeId = input.storeId ?? this.#config.storeId;
    const terminalId = input.terminalId ?? this.#config.terminalId;
    const biz = buildOpenApiPayBiz({
      ...input,
      ...(storeId !== undefined ? { storeId } : {}),
      ...(terminalId !== undefined ? { terminalId } : {}),
      timeoutExpress: this.#config.timeoutExpress,
      ...(this.#config.settleCurrency !== undefined ? { settleCurrency: this.#config.settleCurrency } : {}),
    });
    return this.#sign(OPENAPI_METHOD.pay, biz);
  }

  protected async exchangePay(
    signed: SignedPayRequest,
    ctx: CallContext,
  ): Promise<{ result: PayResult; httpStatus: number }> {
    const { response, httpStatus } = await this.#post(OPENAPI_METHOD.pay, signed.http, ctx);
    return {
      result: mapOpenApiPay(response, signed, this.#config.utcOffsetMinutes),
      httpStatus,
    };
  }

  query(input: QueryInput, options?: CallOptions): Promise<QueryResult> {
    const ctx: CallContext = {
      operation: "query",
      apiName: OPENAPI_METHOD.query,
      ids: { partnerTransId: input.partnerTransId },
      request: { currency: input.currency },
      timeoutMs: this.#config.timeouts.query,
      options,
    };
    return this.run(ctx, async () => {
      currencyExponent(input.currency);
      const { response, httpStatus } = await this.#send(
        OPENAPI_METHOD.query,
        buildOpenApiQueryBiz(input.partnerTransId),
        ctx,
      );
      return {
        result: mapOpenApiQuery(response, input, this.#config.utcOffsetMinutes),
        httpStatus,
      };
    });
  }

  cancel(input: CancelInput, options?: CallOptions): Promise<CancelResult> {
    const ctx: CallContext = {
      operation: "cancel",
      apiName: OPENAPI_METHOD.cancel,
      ids: { partnerTransId: input.partnerTransId },
      request: {},
      timeoutMs: this.#config.timeouts.cancel,
      options,
    };
    return this.run(ctx, async () => {
      const { response, httpStatus } = await this.#send(
        OPENAPI_METHOD.cancel,
        buildOpenApiCancelBiz(input.partnerTransId),
        ctx,
      );
      return { result: mapOpenApiCancel(response, input), httpStatus };
    });
  }

  refund(input: RefundInput, options?: CallOptions): Promise<RefundResult> {
    const ctx: CallContext = {
      operation: "refund",
      apiName: OPENAPI_METHOD.refund,
      ids: {
        partnerTransId: input.partnerTransId,
        partnerRefundId: input.partnerRefundId,
      },
      request: { amountMinor: input.amountMinor, currency: input.currency },
      timeoutMs: this.#config.timeouts.refund,
      options,
    };
    return this.run(ctx, async () => {
      const { response, httpStatus } = await this.#send(OPENAPI_METHOD.refund, buildOpenApiRefundBiz(input), ctx);
      return { result: mapOpenApiRefund(response, input), httpStatus };
    });
  }

  refundQuery(input: RefundQueryInput, options?: CallOptions): Promise<RefundQueryResult> {
    const ctx: CallContext = {
      operation: "refund_query",
      apiName: OPENAPI_METHOD.refundQuery,
      ids: {
        partnerTransId: input.partnerTransId,
        partnerRefundId: input.partnerRefundId,
      },
      request: { amountMinor: input.amountMinor, currency: input.currency },
      timeoutMs: this.#config.timeouts.query,
      options,
    };
    return this.run(ctx, async () => {
      currencyExponent(input.currency);
      const { response, httpStatus } = await this.#send(
        OPENAPI_METHOD.refundQuery,
        buildOpenApiRefundQueryBiz(input),
        ctx,
      );
      return { result: mapOpenApiRefundQuery(response, input), httpStatus };
    });
  }

  downloadSettlement(input: SettlementInput, options?: CallOptions): Promise<SettlementResult> {
    const ctx: CallContext = {
      operation: "settlement",
      apiName: OPENAPI_METHOD.billDownloadUrl,
      ids: {},
      request: {},
      timeoutMs: this.#config.timeouts.settlement,
      options,
    };
    return this.run<SettlementResult>(ctx, async () => {
      const { response, httpStatus } = await this.#send(
        OPENAPI_METHOD.billDownloadUrl,
        buildOpenApiBillBiz(input.startDate),
        ctx,
      );
      const mapped = mapOpenApiBill(response);
      if (!("downloadUrl" in mapped))
        return {
          result: { format: "empty", message: mapped.message },
          httpStatus,
        };
      if (input.readBillArchive !== true)
        return {
          result: {
            format: "download_url",
            downloadUrl: mapped.downloadUrl,
            isSigned: true,
          },
          httpStatus,
        };
      // Through `exchange`, so the settlement time-out holds even if the transport ignores it.
      const timeoutMs = options?.timeoutMs ?? ctx.timeoutMs;
      const file = await fetchBill(mapped.downloadUrl, {
        transport: {
          request: (request) => exchange(this.transport, request, timeoutMs, options?.signal),
        },
        timeoutMs,
      });
      const records = readTradeBillArchive(file.bytes, {
        currency: input.billCurrency ?? "CNY",
      });
      return {
        result: { format: "records", records, isSigned: false },
        httpStatus,
      };
    });
  }

  verifyNotification(params: Readonly<Record<string, string>>): VerifiedNotification {
    verifyNotificationSignature(
      params,
      this.#config.signType,
      this.#certMode === undefined
        ? [this.#verifying]
        : [...this.#certMode.alipayKeys.values()].map((publicKey): VerifyingKey => ({
            signType: this.#config.signType,
            publicKey,
          })),
      "OpenAPI",
    );
    return mapOpenApiNotification(
      { ...params },
      {
        appId: this.#config.appId,
        ...(this.#config.sellerId !== undefined ? { sellerId: this.#config.sellerId } : {}),
        utcOffsetMinutes: this.#config.utcOffsetMinutes,
      },
    );
  }
}

// ---------------------------------------------------------------------------
// Factory
// ---------------------------------------------------------------------------

const registeredProtocols = new Map<string, (config: unknown, deps: ClientDeps) => AlipayClient>();

/**
 * Hook for protocols living in their own folder (`antom/`), which import this module and so
 * cannot be imported by it: `antom/client.ts` registers its factory row when loaded (index.ts loads it).
 */
export function registerAlipayProtocol(
  protocol: string,
  create: (config: unknown, deps: ClientDeps) => AlipayClient,
): void {
  registeredProtocols.set(protocol, create);
}

/** Creates the client for `config.protocol` (`"mapi"` or `"openapi"`). @throws AlipayConfigError */
export function createAlipayClient(config: AlipayClientConfig, deps: ClientDeps = {}): AlipayClient {
  const protocol = (config as { protocol?: unknown } | null)?.protocol;
  if (protocol === "mapi") return new MapiClient(config as MapiConfig, deps);
  if (protocol === "openapi") return new OpenApiClient(config as OpenApiConfig, deps);
  const registered = typeof protocol === "string" ? registeredProtocols.get(protocol) : undefined;
  if (registered !== undefined) return registered(config, deps);
  throw new AlipayConfigError(`Invalid Alipay client configuration: protocol must be "mapi", "openapi" or "antom"`);
}
