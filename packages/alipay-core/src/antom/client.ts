/**
 * Antom (Alipay+ through AMS) in-store client: User-presented Mode Payment
 * (`/ams/api/v1/payments/pay`, `productCode=IN_STORE_PAYMENT`), `inquiryPayment`, `cancel`,
 * `refund`, `inquiryRefund`, and `notifyPayment` verification — behind the same
 * {@link AlipayClient} interface and outcome unions as MAPI and OpenAPI, so the payment machine
 * drives it unchanged (retries resend the SAME `paymentRequestId`).
 */
import type { KeyObject } from "node:crypto";
import { decodeText } from "../charset.ts";
import { AlipayConfigError, AlipayResponseError, AlipaySignatureError, AlipayValidationError } from "../errors.ts";
import { loadPrivateKey, loadPublicKey } from "../signing.ts";
import { ProtocolClient } from "../shared/base-client.ts";
import { parseConfig, readKeyText } from "../shared/config.ts";
import type { CallOptions, ClientDeps, RefundInput, SettlementInput, SignedHttpRequest } from "../shared/contract.ts";
import type { HttpAnswer } from "../shared/exchange.ts";
import type { CallContext, OperationTable, Wire } from "../shared/operation.ts";
import type { RefundResult, SettlementResult, VerifiedNotification } from "../types.ts";
import { AntomConfigSchema, type AntomConfig, type ParsedAntomConfig } from "./config.ts";
import { antomReportFileName, parseAntomReport } from "./report.ts";
import { readSftpFile } from "./sftp.ts";
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

export { AntomConfigSchema, type AntomConfig } from "./config.ts";

type Body = Record<string, unknown>;
type Answer = Readonly<Record<string, unknown>>;

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

/** Antom in-store client (JSON over HTTPS, RSA256 header signatures) on the shared {@link ProtocolClient}. */
export class AntomClient extends ProtocolClient<Body, Answer> {
  readonly protocol = "antom" as const;
  /** The pay URL: a stored pay request is resent only to it. */
  protected readonly gatewayUrl: string;
  protected readonly timeouts: ParsedAntomConfig["timeouts"];
  protected readonly wire: Wire<Body, Answer>;
  protected readonly operations: OperationTable<Body, Answer>;
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
    this.timeouts = this.#config.timeouts;
    const privateText = readKeyText(this.#config.privateKey, this.#config.privateKeyFile, "privateKey", this.readFile);
    const publicText = readKeyText(
      this.#config.alipayPublicKey,
      this.#config.alipayPublicKeyFile,
      "alipayPublicKey",
      this.readFile,
    );
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
    // The api name of every row is its path: what is signed and what the answer is verified over.
    this.wire = {
      sign: (path, body) => this.#sign(path, body),
      receive: (answer, ctx) => this.#verify(answer, ctx.apiName, ctx),
    };
    this.operations = antomOperations(this.#config);
  }

  /** Signs one POST (`request-time` from the clock, here and only here). */
  #sign(path: string, body: Body): SignedHttpRequest {
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

  /** The verified answer (the `Signature` header over `response-time` and the exact body is mandatory). */
  #verify(answer: HttpAnswer, path: string, ctx: CallContext): Answer {
    const requestId = ctx.ids.partnerRefundId ?? ctx.ids.partnerTransId;
    const raw = decodeText(answer.body, "utf-8");
    const header = (name: string): string | undefined => {
      for (const [k, v] of Object.entries(answer.headers)) if (k.toLowerCase() === name) return v;
      return undefined;
    };
    const verdict = verifyAntomMessage(
      {
        method: "POST",
        path,
        clientId: this.#config.clientId,
        headerClientId: header("client-id"),
        time: header("response-time"),
        signatureHeader: header("signature"),
        body: raw,
      },
      this.#antomKey,
    );
    if (!verdict.ok)
      throw new AlipaySignatureError(`Antom ${path} answer rejected: ${verdict.reason}`, {
        reason: signatureReason(verdict.reason),
        ...(requestId !== undefined ? { requestId } : {}),
      });
    return parseAntomBody(raw);
  }

  /** A wire whose answers are verified over `path` (for the refund's lookup). */
  #wireAt(path: string): Wire<Body, Answer> {
    return {
      sign: (_apiName, body) => this.#sign(path, body),
      receive: (answer, ctx) => this.#verify(answer, path, ctx),
    };
  }

  /**
   * Antom refunds name the payment by Antom's `paymentId`, which the machine does not keep: an
   * `inquiryPayment` by `paymentRequestId` finds it first (a payment that is not paid cannot be
   * refunded: `failed`, no refund sent; an inquiry that does not answer: `unknown`, retry).
   */
  override refund(input: RefundInput, options?: CallOptions): Promise<RefundResult> {
    const ids = { partnerTransId: input.partnerTransId, partnerRefundId: input.partnerRefundId };
    const ctx: CallContext = {
      operation: "refund",
      apiName: ANTOM_PATH.refund,
      ids,
      request: { amountMinor: input.amountMinor, currency: input.currency },
      timeoutMs: options?.timeoutMs ?? this.timeouts.refund,
      options,
    };
    return this.run(ctx, async () => {
      if (input.alipayTransId !== undefined) return this.#refundPayment(input.alipayTransId, input, ctx);
      const inquiryWire = this.#wireAt(ANTOM_PATH.query);
      const lookup = await this.send(
        inquiryWire,
        await inquiryWire.sign(ANTOM_PATH.query, buildAntomInquiryBody(input.partnerTransId)),
        ctx,
      );
      const found = mapAntomQuery(lookup.raw, input);
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
      return this.#refundPayment(found.alipayTransId, input, ctx);
    });
  }

  /** The refund request itself, naming the payment by Antom's `paymentId`. */
  async #refundPayment(
    paymentId: string,
    input: RefundInput,
    ctx: CallContext,
  ): Promise<{ result: RefundResult; httpStatus: number }> {
    const body = buildAntomRefundBody({
      paymentId,
      partnerRefundId: input.partnerRefundId,
      amountMinor: input.amountMinor,
      currency: input.currency,
      reason: input.reason,
      notifyUrl: this.#config.notifyUrl,
    });
    const { raw, httpStatus } = await this.send(this.wire, this.#sign(ANTOM_PATH.refund, body), ctx);
    return { result: mapAntomRefund(raw, input), httpStatus };
  }

  /**
   * Antom delivers reports by SFTP, not by API: the day's transaction details report is read from
   * the configured SFTP server (`sftp`) and answered as records; without `sftp`, `empty`.
   */
  override async downloadSettlement(input: SettlementInput, options?: CallOptions): Promise<SettlementResult> {
    const sftp = this.#config.sftp;
    if (sftp === undefined)
      return { format: "empty", message: "Antom delivers settlement reports by SFTP; no SFTP server is configured" };
    const privateKey = sftp.privateKeyFile !== undefined ? this.readFile(sftp.privateKeyFile) : sftp.privateKey;
    const path = `${sftp.directory.replace(/\/+$/, "")}/${antomReportFileName(input.startDate, sftp.fileName)}`;
    const file = await readSftpFile(
      {
        host: sftp.host,
        port: sftp.port,
        username: sftp.username,
        privateKey,
        password: sftp.password,
        hostKeySha256: sftp.hostKeySha256,
      },
      path,
      options?.timeoutMs ?? this.timeouts.settlement,
    );
    if (file === undefined) return { format: "empty", message: `no Antom report ${path} on the SFTP server` };
    return { format: "records", records: parseAntomReport(decodeText(file, "utf-8")), isSigned: false };
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
      ...(read.walletName !== undefined ? { walletName: read.walletName } : {}),
      ...(read.paymentMethodType !== undefined ? { paymentMethodType: read.paymentMethodType } : {}),
      params: { body: message.body },
    };
  }
}

/** Rows the client overrides (they need more than one exchange, or none). */
function notARow(name: string): () => never {
  return () => {
    throw new AlipayValidationError(`Antom ${name} is not a single-request operation (AntomClient overrides it)`, {
      field: "operation",
    });
  };
}

/** Antom's operations, one row each; the api name is the path. */
function antomOperations(config: ParsedAntomConfig): OperationTable<Body, Answer> {
  return {
    pay: {
      apiName: ANTOM_PATH.pay,
      timeout: "pay",
      build: (input, env) =>
        buildAntomPayBody({
          partnerTransId: input.partnerTransId,
          amountMinor: input.amountMinor,
          currency: input.currency,
          paymentCode: input.paymentCode,
          subject: input.subject,
          paymentMethodType: config.paymentMethodType,
          notifyUrl: config.notifyUrl,
          referenceMerchantId: input.secondaryMerchantId ?? config.referenceMerchantId,
          merchantName: config.merchantName,
          merchantMcc: config.merchantMcc,
          storeId: input.storeId ?? config.storeId,
          storeName: config.storeName,
          terminalId: input.terminalId ?? config.terminalId,
          terminalRequestTime: new Date(env.now()).toISOString(),
        }),
      map: (answer, signed) => mapAntomPay(answer, signed),
    },
    query: {
      apiName: ANTOM_PATH.query,
      timeout: "query",
      build: (input) => buildAntomInquiryBody(input.partnerTransId),
      map: (answer, input) => mapAntomQuery(answer, input),
    },
    cancel: {
      apiName: ANTOM_PATH.cancel,
      timeout: "cancel",
      build: (input) => buildAntomCancelBody(input.partnerTransId),
      map: (answer, input) => mapAntomCancel(answer, input),
    },
    refund: { apiName: ANTOM_PATH.refund, timeout: "refund", build: notARow("refund"), map: notARow("refund") },
    refundQuery: {
      apiName: ANTOM_PATH.refundQuery,
      timeout: "query",
      build: (input) => buildAntomRefundQueryBody(input.partnerRefundId),
      map: (answer, input) => mapAntomRefundQuery(answer, input),
    },
    settlement: {
      apiName: "settlement",
      timeout: "settlement",
      build: notARow("settlement"),
      map: notARow("settlement"),
    },
  };
}
