/**
 * Antom (Alipay+ through AMS) in-store client: User-presented Mode Payment
 * (`/ams/api/v1/payments/pay`, `productCode=IN_STORE_PAYMENT`), `inquiryPayment`, `cancel`,
 * `refund`, `inquiryRefund`, and `notifyPayment` verification — behind the same
 * {@link AlipayClient} interface and outcome unions as MAPI and OpenAPI, so the payment machine
 * drives it unchanged (retries resend the SAME `paymentRequestId`).
 */
import type { KeyObject } from "node:crypto";
import { z } from "zod";
import {
  checkHttpStatus,
  commonShape,
  exchange,
  parseConfig,
  PayingClient,
  readKeyText,
  registerAlipayProtocol,
  type AlipayClient,
  type CallContext,
  type CallOptions,
  type CancelInput,
  type ClientDeps,
  type QueryInput,
  type SettlementInput,
  type SignedHttpRequest,
  type SignedPayRequest,
} from "../client.ts";
import { decodeText } from "../charset.ts";
import { AlipayConfigError, AlipayResponseError, AlipaySignatureError } from "../errors.ts";
import { currencyExponent } from "../money.ts";
import { loadPrivateKey, loadPublicKey } from "../signing.ts";
import type {
  CancelResult,
  PayResult,
  QueryResult,
  RefundQueryResult,
  RefundResult,
  SettlementResult,
  VerifiedNotification,
} from "../types.ts";
import type { PayInput, RefundInput } from "../wire.ts";
import type { RefundQueryInput } from "../refund-query.ts";
import { antomRequestHeaders, verifyAntomMessage, type AntomVerifyResult } from "./signing.ts";
import {
  ANTOM_PATH,
  buildAntomCancelBody,
  buildAntomInquiryBody,
  buildAntomPayBody,
  buildAntomRefundBody,
  buildAntomRefundQueryBody,
  mapAntomCancel,
  mapAntomPay,
  mapAntomQuery,
  mapAntomRefund,
  mapAntomRefundQuery,
  parseAntomBody,
  readAntomNotification,
} from "./wire.ts";

const idText = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export const AntomConfigSchema = z.strictObject({
  protocol: z.literal("antom"),
  ...commonShape,
  /**
   * Antom's domain without a path, e.g. `https://open-sea-global.alipay.com` (the API paths
   * `/ams/api/v1/…` are appended). `alipayPublicKey(File)` holds Antom's public key.
   */
  /** The client id Antom assigned (Antom Dashboard → Developer). */
  clientId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  /** Version of the key pair registered with Antom (`keyVersion` in the Signature header). @default "1" */
  keyVersion: z
    .string()
    .regex(/^\d{1,4}$/)
    .default("1"),
  /** `paymentMethod.paymentMethodType` sent with the buyer's code. @default "CONNECT_WALLET" (Alipay+) */
  paymentMethodType: z
    .string()
    .regex(/^[A-Z_]{2,32}$/)
    .default("CONNECT_WALLET"),
  /** `order.merchant` (secondary merchant) and its store / terminal. */
  referenceMerchantId: idText.optional(),
  merchantName: z.string().min(1).max(128).optional(),
  merchantMcc: z
    .string()
    .regex(/^\d{4}$/)
    .optional(),
  storeId: idText.optional(),
  storeName: z.string().min(1).max(128).optional(),
  terminalId: idText.optional(),
});

export type AntomConfig = z.input<typeof AntomConfigSchema>;
type ParsedAntomConfig = z.output<typeof AntomConfigSchema>;

/** The pieces of an Antom `notifyPayment` POST that are signed (header names lower-case). */
export type AntomNotificationMessage = {
  /** Path of our notification URL as Antom POSTed it, e.g. `/api/alipay/notify`. */
  path: string;
  /** `signature`, `request-time`, `client-id` headers. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The raw JSON body, exactly as received. */
  body: string;
};

/** The shared error's reasons: a missing time counts as a missing signature, a foreign client id as a bad one. */
function signatureReason(reason: Exclude<AntomVerifyResult, { ok: true }>["reason"]): AlipaySignatureError["reason"] {
  if (reason === "missing_sign" || reason === "missing_time") return "missing_sign";
  if (reason === "unsupported_algorithm") return "sign_type_mismatch";
  return "bad_sign";
}

function isoWithOffset(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+00:00");
}

/** Antom in-store client (JSON over HTTPS, RSA256 header signatures). */
export class AntomClient extends PayingClient implements AlipayClient {
  readonly protocol = "antom" as const;
  protected readonly payApiName = ANTOM_PATH.pay;
  protected readonly payTimeoutMs: number;
  /** The pay URL: a stored pay request is resent only to it. */
  protected readonly gatewayUrl: string;
  readonly #config: ParsedAntomConfig;
  readonly #privateKey: KeyObject;
  readonly #antomKey: KeyObject;
  readonly #base: string;

  constructor(config: AntomConfig, deps: ClientDeps = {}) {
    super(deps);
    this.#config = parseConfig(AntomConfigSchema, config);
    const base = new URL(this.#config.gatewayUrl);
    if (base.pathname !== "/" && base.pathname !== "")
      throw new AlipayConfigError(
        "Invalid Alipay client configuration: gatewayUrl for antom is the domain only (e.g. https://open-sea-global.alipay.com), without a path",
      );
    this.#base = base.origin;
    this.gatewayUrl = `${this.#base}${ANTOM_PATH.pay}`;
    this.payTimeoutMs = this.#config.timeouts.pay;
    const privateText = readKeyText(this.#config.privateKey, this.#config.privateKeyFile, "privateKey");
    const publicText = readKeyText(this.#config.alipayPublicKey, this.#config.alipayPublicKeyFile, "alipayPublicKey");
    if (privateText === undefined || publicText === undefined)
      throw new AlipayConfigError(
        "Invalid Alipay client configuration: antom needs privateKey(File) and alipayPublicKey(File) (Antom's public key)",
      );
    try {
      this.#privateKey = loadPrivateKey(privateText);
      this.#antomKey = loadPublicKey(publicText);
    } catch (error) {
      throw new AlipayConfigError("Invalid Alipay client configuration: an Antom key cannot be read", { cause: error });
    }
  }

  /** Signs one POST (request-time from the clock, here and only here). */
  #sign(path: string, body: Record<string, unknown>): SignedHttpRequest {
    const text = JSON.stringify(body);
    return {
      method: "POST",
      url: `${this.#base}${path}`,
      headers: antomRequestHeaders({
        method: "POST",
        path,
        clientId: this.#config.clientId,
        requestTime: String(this.clock.now()),
        keyVersion: this.#config.keyVersion,
        privateKey: this.#privateKey,
        body: text,
      }),
      body: text,
    };
  }

  /** Sends signed bytes; the answer's signature is mandatory (unsigned answers are never believed). */
  async #post(
    request: SignedHttpRequest,
    ctx: CallContext,
  ): Promise<{ body: Readonly<Record<string, unknown>>; httpStatus: number }> {
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
    const header = (name: string): string | undefined => {
      for (const [k, v] of Object.entries(response.headers)) if (k.toLowerCase() === name) return v;
      return undefined;
    };
    const verdict = verifyAntomMessage(
      {
        method: "POST",
        path: new URL(request.url).pathname,
        clientId: this.#config.clientId,
        headerClientId: header("client-id"),
        time: header("response-time"),
        signatureHeader: header("signature"),
        body: raw,
      },
      this.#antomKey,
    );
    if (!verdict.ok)
      throw new AlipaySignatureError(`Antom ${ctx.apiName} answer rejected: ${verdict.reason}`, {
        reason: signatureReason(verdict.reason),
        ...errorOptions,
      });
    return { body: parseAntomBody(raw), httpStatus: response.status };
  }

  protected signPayHttp(input: PayInput): SignedHttpRequest {
    const nowMs = this.clock.now();
    const body = buildAntomPayBody({
      partnerTransId: input.partnerTransId,
      amountMinor: input.amountMinor,
      currency: input.currency,
      paymentCode: input.paymentCode,
      subject: input.subject,
      paymentMethodType: this.#config.paymentMethodType,
      notifyUrl: this.#config.notifyUrl,
      referenceMerchantId: input.secondaryMerchantId ?? this.#config.referenceMerchantId,
      merchantName: this.#config.merchantName,
      merchantMcc: this.#config.merchantMcc,
      storeId: input.storeId ?? this.#config.storeId,
      storeName: this.#config.storeName,
      terminalId: input.terminalId ?? this.#config.terminalId,
      terminalRequestTime: isoWithOffset(nowMs),
    });
    return this.#sign(ANTOM_PATH.pay, body);
  }

  protected async exchangePay(
    signed: SignedPayRequest,
    ctx: CallContext,
  ): Promise<{ result: PayResult; httpStatus: number }> {
    const { body, httpStatus } = await this.#post(signed.http, ctx);
    return { result: mapAntomPay(body, signed), httpStatus };
  }

  #ctx(
    operation: CallContext["operation"],
    apiName: string,
    ids: CallContext["ids"],
    request: CallContext["request"],
    timeoutMs: number,
    options: CallOptions | undefined,
  ): CallContext {
    return { operation, apiName, ids, request, timeoutMs, options };
  }

  query(input: QueryInput, options?: CallOptions): Promise<QueryResult> {
    const ctx = this.#ctx(
      "query",
      ANTOM_PATH.query,
      { partnerTransId: input.partnerTransId },
      { currency: input.currency },
      this.#config.timeouts.query,
      options,
    );
    return this.run(ctx, async () => {
      currencyExponent(input.currency);
      const { body, httpStatus } = await this.#post(
        this.#sign(ANTOM_PATH.query, buildAntomInquiryBody(input.partnerTransId)),
        ctx,
      );
      return { result: mapAntomQuery(body, input), httpStatus };
    });
  }

  cancel(input: CancelInput, options?: CallOptions): Promise<CancelResult> {
    const ctx = this.#ctx(
      "cancel",
      ANTOM_PATH.cancel,
      { partnerTransId: input.partnerTransId },
      {},
      this.#config.timeouts.cancel,
      options,
    );
    return this.run(ctx, async () => {
      const { body, httpStatus } = await this.#post(
        this.#sign(ANTOM_PATH.cancel, buildAntomCancelBody(input.partnerTransId)),
        ctx,
      );
      return { result: mapAntomCancel(body, input), httpStatus };
    });
  }

  /**
   * Antom refunds name the payment by Antom's `paymentId`, which the machine does not keep: an
   * `inquiryPayment` by `paymentRequestId` finds it first (a payment that is not paid cannot be
   * refunded: answered `failed`, nothing sent).
   */
  refund(input: RefundInput, options?: CallOptions): Promise<RefundResult> {
    const ids = { partnerTransId: input.partnerTransId, partnerRefundId: input.partnerRefundId };
    const ctx = this.#ctx(
      "refund",
      ANTOM_PATH.refund,
      ids,
      { amountMinor: input.amountMinor, currency: input.currency },
      this.#config.timeouts.refund,
      options,
    );
    return this.run(ctx, async () => {
      const lookup = await this.#post(this.#sign(ANTOM_PATH.query, buildAntomInquiryBody(input.partnerTransId)), ctx);
      const found = mapAntomQuery(lookup.body, input);
      if (found.status === "unknown")
        return {
          result: { status: "unknown", ...ids, reason: found.reason, isSystemError: found.isSystemError },
          httpStatus: lookup.httpStatus,
        };
      if (found.status !== "paid")
        return {
          result: { status: "failed", ...ids, reason: `PAYMENT_${found.status.toUpperCase()}` },
          httpStatus: lookup.httpStatus,
        };
      const { body, httpStatus } = await this.#post(
        this.#sign(
          ANTOM_PATH.refund,
          buildAntomRefundBody({
            paymentId: found.alipayTransId,
            partnerRefundId: input.partnerRefundId,
            amountMinor: input.amountMinor,
            currency: input.currency,
            reason: input.reason,
            notifyUrl: this.#config.notifyUrl,
          }),
        ),
        ctx,
      );
      return { result: mapAntomRefund(body, input), httpStatus };
    });
  }

  refundQuery(input: RefundQueryInput, options?: CallOptions): Promise<RefundQueryResult> {
    const ctx = this.#ctx(
      "refund_query",
      ANTOM_PATH.refundQuery,
      { partnerTransId: input.partnerTransId, partnerRefundId: input.partnerRefundId },
      { amountMinor: input.amountMinor, currency: input.currency },
      this.#config.timeouts.query,
      options,
    );
    return this.run(ctx, async () => {
      currencyExponent(input.currency);
      const { body, httpStatus } = await this.#post(
        this.#sign(ANTOM_PATH.refundQuery, buildAntomRefundQueryBody(input.partnerRefundId)),
        ctx,
      );
      return { result: mapAntomRefundQuery(body, input), httpStatus };
    });
  }

  /** Antom delivers settlement reports by SFTP, not by API: nothing to download here. */
  downloadSettlement(_input: SettlementInput, _options?: CallOptions): Promise<SettlementResult> {
    return Promise.resolve({
      format: "empty",
      message: "Antom settlement reports are delivered by SFTP; this client does not download them",
    });
  }

  /**
   * Verifies a `notifyPayment` POST. `params` carries the signed pieces:
   * `{ path, body, signature, "request-time", "client-id" }` (see {@link verifyHttpNotification}).
   * @throws AlipaySignatureError
   */
  verifyNotification(params: Readonly<Record<string, string>>): VerifiedNotification {
    return this.verifyHttpNotification({
      path: params["path"] ?? "",
      body: params["body"] ?? "",
      headers: {
        signature: params["signature"],
        "request-time": params["request-time"],
        "client-id": params["client-id"],
      },
    });
  }

  /** Verifies and maps an Antom notification (JSON body, header signature). @throws AlipaySignatureError */
  verifyHttpNotification(message: AntomNotificationMessage): VerifiedNotification {
    const verdict = verifyAntomMessage(
      {
        method: "POST",
        path: message.path,
        clientId: this.#config.clientId,
        headerClientId: message.headers["client-id"],
        time: message.headers["request-time"],
        signatureHeader: message.headers["signature"],
        body: message.body,
      },
      this.#antomKey,
    );
    if (!verdict.ok)
      throw new AlipaySignatureError(`Antom notification rejected: ${verdict.reason}`, {
        reason: signatureReason(verdict.reason),
      });
    let read: ReturnType<typeof readAntomNotification>;
    try {
      read = readAntomNotification(parseAntomBody(message.body));
    } catch (error) {
      throw error instanceof AlipayResponseError
        ? new AlipaySignatureError(`Antom notification is signed but unreadable: ${error.message}`, {
            reason: "bad_sign",
          })
        : error;
    }
    return {
      protocol: "antom",
      notifyId: undefined,
      notifyType: read.notifyType,
      partnerTransId: read.partnerTransId,
      alipayTransId: read.paymentId,
      status: read.status,
      amountMinor: read.amountMinor,
      currency: read.currency,
      amountText: read.amountText,
      foreignIdentity:
        message.headers["client-id"] !== undefined && message.headers["client-id"] !== this.#config.clientId
          ? `client-id ${message.headers["client-id"]} is not ours`
          : undefined,
      paidAt: read.paidAt,
      params: { body: message.body },
    };
  }
}

registerAlipayProtocol("antom", (config, deps) => new AntomClient(config as AntomConfig, deps));
