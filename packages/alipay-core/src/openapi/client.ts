/**
 * Alipay Open Platform barcode client (`alipay.trade.*`, JSON, RSA2 / RSA; public-key or
 * certificate mode): its wire (sign the common params around `biz_content`, verify the JSON
 * envelope) and its operation table.
 */
import type { KeyObject } from "node:crypto";
import { alipayKeyFor, loadCertMode, type CertMode } from "./cert-mode.ts";
import { decodeText } from "../charset.ts";
import { AlipayConfigError, AlipayResponseError, AlipaySignatureError } from "../errors.ts";
import {
  buildOpenApiSignContent,
  extractOpenApiSignedResponse,
  signContentAsync,
  verifyOpenApiSignedContent,
  type SigningKey,
  type VerifyingKey,
} from "../signing.ts";
import { ProtocolClient } from "../shared/base-client.ts";
import { loadKeys, parseConfig } from "../shared/config.ts";
import type { ClientDeps, SignedHttpRequest } from "../shared/contract.ts";
import type { HttpAnswer } from "../shared/exchange.ts";
import { verifyNotificationSignature } from "../shared/mapping.ts";
import type { CallContext, OperationTable, Wire } from "../shared/operation.ts";
import { formEncode, withQuery } from "../shared/urls.ts";
import type { SettlementResult, VerifiedNotification } from "../types.ts";
import { readTradeBillArchive } from "./bill-archive.ts";
import { buildOpenApiBillBiz, fetchBill, mapOpenApiBill } from "./bill.ts";
import { OpenApiConfigSchema, readCertTexts, type OpenApiConfig, type ParsedOpenApiConfig } from "./config.ts";
import { OPENAPI_CODE, OPENAPI_METHOD } from "./names.ts";
import {
  buildOpenApiCancelBiz,
  buildOpenApiParams,
  buildOpenApiPayBiz,
  buildOpenApiQueryBiz,
  buildOpenApiRefundBiz,
  buildOpenApiRefundQueryBiz,
} from "./params.ts";
import {
  checkOpenApiGatewayCode,
  mapOpenApiCancel,
  mapOpenApiNotification,
  mapOpenApiPay,
  mapOpenApiQuery,
  mapOpenApiRefund,
  mapOpenApiRefundQuery,
  parseOpenApiResponse,
} from "./responses.ts";

type Biz = Record<string, unknown>;
type Answer = Record<string, unknown>;

const OPENAPI_BUSINESS_CODES = new Set<string>(Object.values(OPENAPI_CODE));

/** Alipay Open Platform barcode client (`alipay.trade.*`, JSON, RSA2 / RSA). */
export class OpenApiClient extends ProtocolClient<Biz, Answer> {
  readonly protocol = "openapi" as const;
  protected readonly gatewayUrl: string;
  protected readonly timeouts: ParsedOpenApiConfig["timeouts"];
  protected readonly wire: Wire<Biz, Answer>;
  protected readonly operations: OperationTable<Biz, Answer>;
  readonly #config: ParsedOpenApiConfig;
  readonly #signing: SigningKey;
  readonly #verifying: VerifyingKey;
  readonly #certMode: CertMode | undefined;

  constructor(config: OpenApiConfig, deps: ClientDeps = {}) {
    super(deps);
    this.#config = parseConfig(OpenApiConfigSchema, config);
    this.gatewayUrl = this.#config.gatewayUrl;
    this.timeouts = this.#config.timeouts;
    const certTexts = readCertTexts(this.#config, this.readFile);
    const keys = loadKeys(
      this.#config.signType,
      Object.assign({}, this.#config, { isCertMode: certTexts !== undefined }),
      this.readFile,
    );
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
    this.wire = {
      sign: (method, biz) => this.#sign(method, biz),
      receive: (answer, ctx) => this.#verify(answer, ctx),
    };
    this.operations = openApiOperations(this.#config);
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

  /** The signed form POST (`timestamp` from the clock, here and only here). */
  async #sign(method: string, biz: Record<string, unknown>): Promise<SignedHttpRequest> {
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
    const body = formEncode(
      Object.assign({}, params, { sign: await signContentAsync(buildOpenApiSignContent(params), this.#signing) }),
    );
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

  /** The verified response object (signature checked before any field is read). */
  #verify(response: HttpAnswer, ctx: CallContext): Answer {
    const method = ctx.apiName;
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
    return parsed;
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

/** OpenAPI's operations, one row each. */
function openApiOperations(config: ParsedOpenApiConfig): OperationTable<Biz, Answer> {
  const offset = config.utcOffsetMinutes;
  return {
    pay: {
      apiName: OPENAPI_METHOD.pay,
      timeout: "pay",
      build: (input) => {
        const storeId = input.storeId ?? config.storeId;
        const terminalId = input.terminalId ?? config.terminalId;
        return buildOpenApiPayBiz(
          Object.assign(
            {},
            input,
            storeId !== undefined ? { storeId } : {},
            terminalId !== undefined ? { terminalId } : {},
            { timeoutExpress: config.timeoutExpress },
            config.settleCurrency !== undefined ? { settleCurrency: config.settleCurrency } : {},
          ),
        );
      },
      map: (answer, signed) => mapOpenApiPay(answer, signed, offset),
    },
    query: {
      apiName: OPENAPI_METHOD.query,
      timeout: "query",
      build: (input) => buildOpenApiQueryBiz(input.partnerTransId),
      map: (answer, input) => mapOpenApiQuery(answer, input, offset),
    },
    cancel: {
      apiName: OPENAPI_METHOD.cancel,
      timeout: "cancel",
      build: (input) => buildOpenApiCancelBiz(input.partnerTransId),
      map: (answer, input) => mapOpenApiCancel(answer, input),
    },
    refund: {
      apiName: OPENAPI_METHOD.refund,
      timeout: "refund",
      build: (input) => buildOpenApiRefundBiz(input),
      map: (answer, input) => mapOpenApiRefund(answer, input),
    },
    refundQuery: {
      apiName: OPENAPI_METHOD.refundQuery,
      timeout: "query",
      build: (input) => buildOpenApiRefundQueryBiz(input),
      map: (answer, input) => mapOpenApiRefundQuery(answer, input),
    },
    settlement: {
      apiName: OPENAPI_METHOD.billDownloadUrl,
      timeout: "settlement",
      build: (input) => buildOpenApiBillBiz(input.startDate),
      map: async (answer: Answer, input, env): Promise<SettlementResult> => {
        const mapped = mapOpenApiBill(answer);
        if (!("downloadUrl" in mapped)) return { format: "empty", message: mapped.message };
        if (input.readBillArchive !== true)
          return { format: "download_url", downloadUrl: mapped.downloadUrl, isSigned: true };
        // Through the call's exchange, so the settlement time-out holds even if the transport ignores it.
        const file = await fetchBill(mapped.downloadUrl, {
          transport: { request: (request) => env.fetch(request) },
          timeoutMs: env.timeoutMs,
        });
        const records = readTradeBillArchive(file.bytes, { currency: input.billCurrency ?? "CNY" });
        return { format: "records", records, isSigned: false };
      },
    },
  };
}
