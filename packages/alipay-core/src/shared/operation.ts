/**
 * The operation table: each operation of a protocol is one row (api name, time-out, build the
 * parameters, map the verified answer) instead of a method body per protocol. The shared
 * {@link ProtocolClient} runs every row the same way: build → sign → exchange → verify → map,
 * inside one summary / logging / error-normalising wrapper.
 */
import type {
  CallOptions,
  Operation,
  PayInput,
  QueryInput,
  RefundInput,
  RefundQueryInput,
  CancelInput,
  RequestSummary,
  SettlementInput,
  SignedHttpRequest,
  SignedPayRequest,
} from "./contract.ts";
import type { Timeouts } from "./config.ts";
import type { HttpAnswer } from "./exchange.ts";
import type {
  CancelResult,
  PayResult,
  QueryResult,
  RefundQueryResult,
  RefundResult,
  SettlementResult,
} from "../types.ts";

/** What one call knows while it runs (for summaries, errors and the time-out). */
export type CallContext = {
  operation: Operation;
  apiName: string;
  ids: { partnerTransId?: string; partnerRefundId?: string };
  request: Omit<RequestSummary, "protocol" | "operation" | "apiName" | "atMs">;
  timeoutMs: number;
  options: CallOptions | undefined;
};

/**
 * A protocol's wire: how built parameters become a signed HTTP request, and how a gateway's
 * answer is verified (signature first) and parsed into the raw fields the mappers read.
 */
export type Wire<TBuilt, TRaw> = {
  /** May sign on the thread pool (signContentAsync); every clock-derived field is fixed before it awaits. */
  sign(apiName: string, built: TBuilt): SignedHttpRequest | Promise<SignedHttpRequest>;
  receive(answer: HttpAnswer, ctx: CallContext): TRaw;
};

/** What builders and mappers may use: the clock, and further exchanges under the call's time-out and signal. */
export type OperationEnv = {
  now(): number;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  /** One more HTTP exchange (e.g. the bill behind a download URL), same transport, same time-out. */
  fetch(request: SignedHttpRequest): Promise<HttpAnswer>;
};

/** One operation of one protocol. */
export type OperationRow<TIn, TOut, TBuilt, TRaw, TMapIn = TIn> = {
  /** MAPI service / OpenAPI method (a function when the input picks it, e.g. the MAPI file kind). */
  apiName: string | ((input: TIn) => string);
  /** Which configured time-out bounds the call. */
  timeout: keyof Timeouts;
  /** Unsigned parameters for `input`. @throws AlipayValidationError (nothing is sent) */
  build(input: TIn, env: OperationEnv): TBuilt;
  /** The domain result of a verified answer. */
  map(raw: TRaw, input: TMapIn, env: OperationEnv): TOut | Promise<TOut>;
  /** Replaces the protocol's wire for this row (e.g. a MAPI file: GET, plain text). */
  wire?: Wire<TBuilt, TRaw>;
};

/** Every operation of a protocol, one row each. A protocol folder exports a function building this. */
export type OperationTable<TBuilt, TRaw> = {
  /** Mapped against the stored signed request (a resend maps like the first send). */
  pay: OperationRow<PayInput, PayResult, TBuilt, TRaw, SignedPayRequest> & { apiName: string };
  query: OperationRow<QueryInput, QueryResult, TBuilt, TRaw>;
  cancel: OperationRow<CancelInput, CancelResult, TBuilt, TRaw>;
  refund: OperationRow<RefundInput, RefundResult, TBuilt, TRaw>;
  refundQuery: OperationRow<RefundQueryInput, RefundQueryResult, TBuilt, TRaw>;
  /** May bring its own wire, so its raw answer type is the row's own. */
  settlement: OperationRow<SettlementInput, SettlementResult, TBuilt, unknown>;
};

/** The api name of `row` for `input`. */
export function apiNameOf<TIn>(row: { apiName: string | ((input: TIn) => string) }, input: TIn): string {
  return typeof row.apiName === "string" ? row.apiName : row.apiName(input);
}
