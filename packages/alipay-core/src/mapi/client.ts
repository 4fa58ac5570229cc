/**
 * Global MAPI barcode client (`alipay.acquire.overseas.*`, XML, MD5 / RSA / RSA2): its wire
 * (sign a parameter bag, verify the XML envelope) and its operation table.
 */
import { decodeText, normaliseCharset } from "../charset.ts";
import { AlipayResponseError, AlipaySignatureError } from "../errors.ts";
import { buildSignContent, signContentAsync, verifyContent, type SigningKey, type VerifyingKey } from "../signing.ts";
import { ProtocolClient } from "../shared/base-client.ts";
import { loadKeys, parseConfig } from "../shared/config.ts";
import type { ClientDeps, SignedHttpRequest } from "../shared/contract.ts";
import type { HttpAnswer } from "../shared/exchange.ts";
import { verifyNotificationSignature } from "../shared/mapping.ts";
import type { CallContext, OperationTable, Wire } from "../shared/operation.ts";
import { formEncode, withQuery } from "../shared/urls.ts";
import type { SettlementResult, VerifiedNotification } from "../types.ts";
import { MapiConfigSchema, type MapiConfig, type ParsedMapiConfig } from "./config.ts";
import { declaredCharset, mapiGatewayError, parseMapiEnvelope } from "./envelope.ts";
import { MAPI_SERVICE } from "./names.ts";
import {
  buildMapiCancelParams,
  buildMapiPayParams,
  buildMapiQueryParams,
  buildMapiRefundParams,
  buildMapiRefundQueryParams,
  type MapiCommon,
} from "./params.ts";
import {
  mapMapiCancel,
  mapMapiNotification,
  mapMapiPay,
  mapMapiQuery,
  mapMapiRefund,
  mapMapiRefundQuery,
} from "./responses.ts";
import { buildMapiSettlementParams, parseSettlementFile } from "./settlement.ts";

type Params = Record<string, string>;
type Fields = Record<string, string>;

/** Global MAPI barcode client (`alipay.acquire.overseas.*`, XML, MD5 / RSA / RSA2). */
export class MapiClient extends ProtocolClient<Params, Fields> {
  readonly protocol = "mapi" as const;
  protected readonly gatewayUrl: string;
  protected readonly timeouts: ParsedMapiConfig["timeouts"];
  protected readonly wire: Wire<Params, Fields>;
  protected readonly operations: OperationTable<Params, Fields>;
  readonly #config: ParsedMapiConfig;
  readonly #signing: SigningKey;
  readonly #verifying: VerifyingKey;

  constructor(config: MapiConfig, deps: ClientDeps = {}) {
    super(deps);
    this.#config = parseConfig(MapiConfigSchema, config);
    this.gatewayUrl = this.#config.gatewayUrl;
    this.timeouts = this.#config.timeouts;
    const keys = loadKeys(this.#config.signType, this.#config, this.readFile);
    this.#signing = keys.signing;
    this.#verifying = keys.verifying;
    this.wire = {
      sign: (_apiName, params) => this.#sign(params),
      receive: (answer, ctx) => this.#verifyEnvelope(answer, ctx),
    };
    this.operations = mapiOperations(this.#config, {
      signed: (params) => this.#signed(params),
      decode: (answer) => this.#decode(answer),
    });
  }

  /** `params` with `sign` and `sign_type` (RSA signed on the thread pool). */
  async #signed(params: Params): Promise<Params> {
    return Object.assign({}, params, {
      sign: await signContentAsync(buildSignContent(params), this.#signing),
      sign_type: this.#config.signType,
    });
  }

  /** The signed HTTP request for `params` (POST form, or GET with a query string). */
  async #sign(params: Params): Promise<SignedHttpRequest> {
    const signed = await this.#signed(params);
    const { _input_charset: charset = "UTF-8", ...rest } = signed;
    return this.#config.httpMethod === "POST"
      ? {
          method: "POST",
          url: withQuery(this.#config.gatewayUrl, { _input_charset: charset }),
          headers: {
            "content-type": "application/x-www-form-urlencoded;charset=UTF-8",
            accept: "text/xml,text/plain,text/html",
          },
          body: formEncode(rest),
        }
      : {
          method: "GET",
          url: withQuery(this.#config.gatewayUrl, signed),
          headers: { accept: "text/xml,text/plain,text/html" },
        };
  }

  #decode(response: HttpAnswer): string {
    const head = new TextDecoder("latin1").decode(response.body.subarray(0, 100));
    const name = declaredCharset(response.headers["content-type"], head);
    const charset = normaliseCharset(name);
    if (charset === undefined) throw new AlipayResponseError(`MAPI response declares unsupported charset ${name}`);
    return decodeText(response.body, charset);
  }

  /** The verified `response/alipay` fields (signature checked before any field is read). */
  #verifyEnvelope(response: HttpAnswer, ctx: CallContext): Fields {
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

  verifyNotification(params: Readonly<Record<string, string>>): VerifiedNotification {
    verifyNotificationSignature(params, this.#config.signType, this.#verifying, "MAPI");
    return mapMapiNotification(
      { ...params },
      { partnerId: this.#config.partnerId, utcOffsetMinutes: this.#config.utcOffsetMinutes },
    );
  }
}

/** What the table needs from the client besides the config: signing a bag, decoding a body. */
type MapiIo = { signed(params: Params): Promise<Params>; decode(answer: HttpAnswer): string };

/** MAPI's operations, one row each. */
function mapiOperations(config: ParsedMapiConfig, io: MapiIo): OperationTable<Params, Fields> {
  const common: MapiCommon = { partnerId: config.partnerId, notifyUrl: config.notifyUrl };
  const offset = config.utcOffsetMinutes;
  return {
    pay: {
      apiName: MAPI_SERVICE.pay,
      timeout: "pay",
      build: (input, env) =>
        buildMapiPayParams(
          common,
          Object.assign({}, input, {
            createdAtMs: input.createdAtMs ?? env.now(),
            merchant: config.merchant,
            offsetMinutes: offset,
          }),
        ),
      map: (fields, signed) => mapMapiPay(fields, signed, offset),
    },
    query: {
      apiName: MAPI_SERVICE.query,
      timeout: "query",
      build: (input) => buildMapiQueryParams(common, input.partnerTransId),
      map: (fields, input) => mapMapiQuery(fields, input, offset),
    },
    cancel: {
      apiName: MAPI_SERVICE.cancel,
      timeout: "cancel",
      build: (input, env) => buildMapiCancelParams(common, input.partnerTransId, env.now()),
      map: (fields, input) => mapMapiCancel(fields, input),
    },
    refund: {
      apiName: MAPI_SERVICE.refund,
      timeout: "refund",
      build: (input) => buildMapiRefundParams(common, input),
      map: (fields, input) => mapMapiRefund(fields, input),
    },
    refundQuery: {
      apiName: MAPI_SERVICE.refundQuery,
      timeout: "query",
      build: (input) => buildMapiRefundQueryParams(common, input),
      map: (fields, input) => mapMapiRefundQuery(fields, input),
    },
    settlement: {
      apiName: (input) =>
        (input.kind ?? "settlement") === "settlement" ? MAPI_SERVICE.settlementFile : MAPI_SERVICE.transactionFile,
      timeout: "settlement",
      build: (input) =>
        buildMapiSettlementParams(common, {
          kind: input.kind ?? "settlement",
          startDate: input.startDate,
          endDate: input.endDate ?? input.startDate,
        }),
      // The file is plain text over GET; an XML body here is a gateway rejection.
      wire: {
        sign: async (_apiName, params) => ({
          method: "GET",
          url: withQuery(config.gatewayUrl, await io.signed(params)),
          headers: { accept: "text/plain,text/xml" },
        }),
        receive: (answer) => {
          const text = io.decode(answer);
          if (text.trimStart().startsWith("<")) {
            const envelope = parseMapiEnvelope(text);
            throw mapiGatewayError(envelope.isSuccess ? "UNEXPECTED_XML" : envelope.error, undefined);
          }
          return text;
        },
      },
      map: (text: string): SettlementResult => {
        const parsed = parseSettlementFile(text, offset);
        return "records" in parsed
          ? { format: "records", records: parsed.records, isSigned: false }
          : { format: "empty", message: parsed.message };
      },
    },
  };
}
