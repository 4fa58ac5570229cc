/**
 * The one client every protocol extends. It owns the injected collaborators, the summary /
 * logging / error wrapper, pay's sign-once-send-bytes split, and the runner of the operation
 * table; a protocol supplies its config, its {@link Wire} and its {@link OperationTable}.
 */
import { systemClock, type Clock } from "../clock.ts";
import {
  AlipayError,
  AlipayGatewayError,
  AlipayNetworkError,
  AlipayResponseError,
  AlipayValidationError,
} from "../errors.ts";
import { currencyExponent, maskPaymentCode } from "../money.ts";
import { defaultTransport, type HttpTransport } from "../transport.ts";
import type {
  AlipayProtocol,
  CancelResult,
  PayResult,
  QueryResult,
  RefundQueryResult,
  RefundResult,
  SettlementResult,
  VerifiedNotification,
} from "../types.ts";
import { readTextFileSync, type Timeouts } from "./config.ts";
import type {
  AlipayClient,
  CallOptions,
  CancelInput,
  ClientDeps,
  ClientHooks,
  Logger,
  Operation,
  PayInput,
  QueryInput,
  ReadTextFile,
  RefundInput,
  RefundQueryInput,
  ResponseSummary,
  SettlementInput,
  SignedHttpRequest,
  SignedPayRequest,
} from "./contract.ts";
import { checkHttpStatus, exchange } from "./exchange.ts";
import {
  apiNameOf,
  type CallContext,
  type OperationEnv,
  type OperationRow,
  type OperationTable,
  type Wire,
} from "./operation.ts";

const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

type Ids = CallContext["ids"];
type Summary = CallContext["request"];

/** The shared client: a protocol is a subclass with a wire and an operation table. */
export abstract class ProtocolClient<TBuilt, TRaw> implements AlipayClient {
  abstract readonly protocol: AlipayProtocol;
  protected readonly transport: HttpTransport;
  protected readonly clock: Clock;
  protected readonly logger: Logger;
  protected readonly hooks: ClientHooks;
  protected readonly readFile: ReadTextFile;
  /** The protocol's wire (sign, verify, parse). */
  protected abstract readonly wire: Wire<TBuilt, TRaw>;
  /** One row per operation. */
  protected abstract readonly operations: OperationTable<TBuilt, TRaw>;
  protected abstract readonly timeouts: Timeouts;
  /** Where signed requests go (a stored pay request must name the same URL). */
  protected abstract readonly gatewayUrl: string;

  constructor(deps: ClientDeps) {
    this.transport = deps.transport ?? defaultTransport();
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? noopLogger;
    this.hooks = deps.hooks ?? {};
    this.readFile = deps.readFile ?? readTextFileSync;
  }

  abstract verifyNotification(params: Readonly<Record<string, string>>): VerifiedNotification;

  // -- pay: sign once, send bytes -------------------------------------------------------

  async signPay(input: PayInput): Promise<SignedPayRequest> {
    const row = this.operations.pay;
    const http = await (row.wire ?? this.wire).sign(apiNameOf(row, input), row.build(input, this.#buildEnv()));
    return {
      protocol: this.protocol,
      partnerTransId: input.partnerTransId,
      amountMinor: input.amountMinor,
      currency: input.currency,
      paymentCodeMasked: maskPaymentCode(input.paymentCode),
      http,
    };
  }

  pay(input: PayInput, options?: CallOptions): Promise<PayResult> {
    const ctx = this.#payContext(
      input.partnerTransId,
      Object.assign({}, input, { paymentCodeMasked: maskPaymentCode(input.paymentCode) }),
      options,
    );
    return this.run(ctx, async () => this.#sendSigned(await this.signPay(input), ctx));
  }

  sendPay(signed: SignedPayRequest, options?: CallOptions): Promise<PayResult> {
    const ctx = this.#payContext(signed.partnerTransId, signed, options);
    return this.run(ctx, () => {
      checkSignedPay(signed, this.protocol, this.gatewayUrl);
      return this.#sendSigned(signed, ctx);
    });
  }

  #payContext(
    partnerTransId: string,
    summary: Pick<SignedPayRequest, "amountMinor" | "currency" | "paymentCodeMasked">,
    options: CallOptions | undefined,
  ): CallContext {
    const row = this.operations.pay;
    return {
      operation: "pay",
      apiName: row.apiName,
      ids: { partnerTransId },
      request: {
        amountMinor: summary.amountMinor,
        currency: summary.currency,
        paymentCodeMasked: summary.paymentCodeMasked,
      },
      timeoutMs: this.timeouts[row.timeout],
      options,
    };
  }

  async #sendSigned(signed: SignedPayRequest, ctx: CallContext): Promise<{ result: PayResult; httpStatus: number }> {
    const row = this.operations.pay;
    const env = this.#callEnv(ctx);
    const { raw, httpStatus } = await this.send(row.wire ?? this.wire, signed.http, ctx);
    return { result: await row.map(raw, signed, env), httpStatus };
  }

  // -- the other operations: one row each ------------------------------------------------

  query(input: QueryInput, options?: CallOptions): Promise<QueryResult> {
    const ids = { partnerTransId: input.partnerTransId };
    return this.#call("query", this.operations.query, input, ids, { currency: input.currency }, options, true);
  }

  /** Reverses: closes if unpaid, refunds if paid (same Beijing day). */
  cancel(input: CancelInput, options?: CallOptions): Promise<CancelResult> {
    return this.#call("cancel", this.operations.cancel, input, { partnerTransId: input.partnerTransId }, {}, options);
  }

  refund(input: RefundInput, options?: CallOptions): Promise<RefundResult> {
    const ids = { partnerTransId: input.partnerTransId, partnerRefundId: input.partnerRefundId };
    const summary = { amountMinor: input.amountMinor, currency: input.currency };
    return this.#call("refund", this.operations.refund, input, ids, summary, options);
  }

  refundQuery(input: RefundQueryInput, options?: CallOptions): Promise<RefundQueryResult> {
    const ids = { partnerTransId: input.partnerTransId, partnerRefundId: input.partnerRefundId };
    const summary = { amountMinor: input.amountMinor, currency: input.currency };
    return this.#call("refund_query", this.operations.refundQuery, input, ids, summary, options, true);
  }

  downloadSettlement(input: SettlementInput, options?: CallOptions): Promise<SettlementResult> {
    return this.#call("settlement", this.operations.settlement, input, {}, {}, options);
  }

  /** Runs one table row: build → sign → exchange → verify → map, inside {@link run}. */
  #call<TIn, TOut extends { status: string; reason?: string | undefined } | { format: string }>(
    operation: Operation,
    row: OperationRow<TIn, TOut, TBuilt, unknown>,
    input: TIn,
    ids: Ids,
    request: Summary,
    options: CallOptions | undefined,
    checksCurrency = false,
  ): Promise<TOut> {
    const ctx: CallContext = {
      operation,
      apiName: apiNameOf(row, input),
      ids,
      request,
      timeoutMs: this.timeouts[row.timeout],
      options,
    };
    return this.run(ctx, async () => {
      if (checksCurrency) currencyExponent((input as { currency: string }).currency);
      const env = this.#callEnv(ctx);
      const wire = (row.wire ?? this.wire) as Wire<TBuilt, unknown>;
      const http = await wire.sign(ctx.apiName, row.build(input, env));
      const { raw, httpStatus } = await this.send(wire, http, ctx);
      return { result: await row.map(raw, input, env), httpStatus };
    });
  }

  #buildEnv(): OperationEnv {
    return this.#callEnv(undefined);
  }

  #callEnv(ctx: CallContext | undefined): OperationEnv {
    const timeoutMs = ctx === undefined ? this.timeouts.settlement : (ctx.options?.timeoutMs ?? ctx.timeoutMs);
    const signal = ctx?.options?.signal;
    return {
      now: () => this.clock.now(),
      timeoutMs,
      signal,
      fetch: (request) => exchange(this.transport, request, timeoutMs, signal),
    };
  }

  /** Sends signed bytes as they are; checks the HTTP status; verifies and parses the answer. */
  protected async send<T>(
    wire: Wire<TBuilt, T>,
    request: SignedHttpRequest,
    ctx: CallContext,
  ): Promise<{ raw: T; httpStatus: number }> {
    const answer = await exchange(
      this.transport,
      request,
      ctx.options?.timeoutMs ?? ctx.timeoutMs,
      ctx.options?.signal,
    );
    checkHttpStatus(answer.status);
    return { raw: wire.receive(answer, ctx), httpStatus: answer.status };
  }

  // -- summaries, logging, error normalisation --------------------------------------------

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
    this.#emit(this.hooks.onRequest, Object.assign({}, base, ctx.request, { atMs: startedAt }));
    this.logger.debug("alipay request", Object.assign({}, base, ctx.request));
    try {
      const { result, httpStatus } = await perform();
      const outcome = "status" in result ? result.status : result.format;
      const reason = "status" in result ? result.reason : undefined;
      const finishedAt = this.clock.now();
      const summary: ResponseSummary = Object.assign({}, base, {
        atMs: finishedAt,
        durationMs: finishedAt - startedAt,
        httpStatus,
        outcome,
      });
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
      const summary: ResponseSummary = Object.assign({}, base, {
        atMs: finishedAt,
        durationMs: finishedAt - startedAt,
        outcome: "error" as const,
        errorName: typed.name,
        isRetryable: typed.isRetryable,
      });
      if (typed instanceof AlipayGatewayError) summary.reason = typed.subCode ?? typed.gatewayCode;
      if (typed instanceof AlipayNetworkError && typed.httpStatus !== undefined) summary.httpStatus = typed.httpStatus;
      this.#emit(this.hooks.onResponse, summary);
      this.logger.warn("alipay request failed", Object.assign({}, summary, { message: typed.message }));
      throw typed;
    }
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
