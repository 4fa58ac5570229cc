/**
 * The protocol-neutral client contract: the {@link AlipayClient} interface every protocol
 * folder implements, its inputs, the signed pay request, hooks, logger and injected deps.
 * Types only; Alipay's own spellings never appear here.
 */
import type { Clock } from "../clock.ts";
import type { HttpTransport } from "../transport.ts";
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

export type PayInput = {
  partnerTransId: string;
  amountMinor: number;
  currency: string;
  /** Scanned dynamic code (never stored unmasked). */
  paymentCode: string;
  /** Shown in the buyer's Alipay bill (MAPI `trans_name`, OpenAPI `subject`). ≤256 chars. */
  subject: string;
  memo?: string;
  /**
   * Overrides the configured secondary merchant / store / terminal for this payment (the
   * kiosk sets them per attraction). MAPI: `extend_info`; OpenAPI: `store_id`, `terminal_id`.
   */
  secondaryMerchantId?: string;
  storeId?: string;
  terminalId?: string;
  /** Time the order was created; default: the client's clock. */
  createdAtMs?: number;
};

export type RefundInput = {
  partnerTransId: string;
  partnerRefundId: string;
  amountMinor: number;
  currency: string;
  reason?: string;
  /**
   * The gateway's id of the paid trade, when known. Antom's refund names the payment by it
   * (`paymentId`); without it the Antom client inquires the payment first. MAPI and OpenAPI ignore it.
   */
  alipayTransId?: string;
};

export type RefundQueryInput = {
  partnerTransId: string;
  partnerRefundId: string;
  /** The refund's amount, checked against what Alipay reports as refunded. */
  amountMinor: number;
  currency: string;
};

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
   * (`trans_create_time`, OpenAPI `timestamp`) is fixed here, when it is called (the RSA
   * signature itself is computed off the event loop).
   * @throws AlipayValidationError on bad input (rejects; nothing is sent).
   */
  signPay(input: PayInput): Promise<SignedPayRequest>;
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
/** Reads a key or certificate file (UTF-8 text). Injected so tests and callers need no file system. */
export type ReadTextFile = (path: string) => string;

/** Injected collaborators. */
export type ClientDeps = {
  transport?: HttpTransport;
  clock?: Clock;
  logger?: Logger;
  hooks?: ClientHooks;
  /** Reads `privateKeyFile`, `alipayPublicKeyFile` and certificate files. @default `fs.readFileSync(path, "utf8")` */
  readFile?: ReadTextFile;
};
