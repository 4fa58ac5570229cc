/**
 * AlipayError hierarchy (STYLE §3.4, after stripe-node `Error.ts`).
 *
 * Expected trade outcomes (paid, failed, waiting for the buyer, unknown, not found, closed)
 * are VALUES returned by the client, never errors. Errors are transport problems, time-outs,
 * protocol violations, bad signatures, gateway rejections and invalid input/configuration.
 */

export type AlipayErrorCode =
  "network" | "timeout" | "aborted" | "signature" | "response" | "gateway" | "validation" | "config";

export type AlipayErrorOptions = {
  cause?: unknown;
  /** Alipay trace id, when the gateway returned one. */
  traceId?: string;
  /** Our own request id / idempotency key (partner_trans_id or partner_refund_id). */
  requestId?: string;
};

/** Base class; `code` and `name` are literal per subclass. */
export abstract class AlipayError extends Error {
  abstract readonly code: AlipayErrorCode;
  /** Whether the same request (same ids) may be sent again. See {@link isRetryable}. */
  abstract readonly isRetryable: boolean;
  readonly traceId: string | undefined;
  readonly requestId: string | undefined;

  constructor(message: string, options: AlipayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.traceId = options.traceId;
    this.requestId = options.requestId;
  }
}

/** Connection refused/reset, DNS failure, TLS failure, HTTP 5xx. Retryable. */
export class AlipayNetworkError extends AlipayError {
  override readonly name = "AlipayNetworkError";
  readonly code = "network";
  readonly isRetryable = true;
  /**
   * `false` only when the request certainly never reached the server (connection refused,
   * DNS failure). Unknown counts as "may have been sent".
   */
  readonly isRequestSent: boolean;
  /** HTTP status, when a response arrived (5xx, unexpected status). */
  readonly httpStatus: number | undefined;

  constructor(
    message: string,
    options: AlipayErrorOptions & {
      isRequestSent?: boolean;
      httpStatus?: number;
    } = {},
  ) {
    super(message, options);
    this.isRequestSent = options.isRequestSent ?? true;
    this.httpStatus = options.httpStatus;
  }
}

/** The request did not complete within its time-out. The outcome is unknown. Retryable. */
export class AlipayTimeoutError extends AlipayError {
  override readonly name = "AlipayTimeoutError";
  readonly code = "timeout";
  readonly isRetryable = true;
  readonly timeoutMs: number;

  constructor(message: string, options: AlipayErrorOptions & { timeoutMs: number }) {
    super(message, options);
    this.timeoutMs = options.timeoutMs;
  }
}

/** The caller's AbortSignal fired. Not retryable (the caller asked to stop). */
export class AlipayAbortError extends AlipayError {
  override readonly name = "AlipayAbortError";
  readonly code = "aborted";
  readonly isRetryable = false;
}

/**
 * A response or notification had a missing, malformed or wrong signature, or a sign type
 * other than the configured one. Nothing in it is believed. Retryable for requests
 * (the next response may be genuine); for notifications, do not acknowledge.
 */
export class AlipaySignatureError extends AlipayError {
  override readonly name = "AlipaySignatureError";
  readonly code = "signature";
  readonly isRetryable = true;
  /** `unknown_cert_sn`: certificate mode, the response names an Alipay certificate SN not configured. */
  readonly reason: "missing_sign" | "bad_sign" | "sign_type_mismatch" | "unknown_cert_sn";

  constructor(message: string, options: AlipayErrorOptions & { reason: AlipaySignatureError["reason"] }) {
    super(message, options);
    this.reason = options.reason;
  }
}

/** Malformed response: not XML/JSON, missing required fields, unknown result spelling, ids that do not match the request. */
export class AlipayResponseError extends AlipayError {
  override readonly name = "AlipayResponseError";
  readonly code = "response";
  readonly isRetryable = true;
  readonly httpStatus: number | undefined;

  constructor(message: string, options: AlipayErrorOptions & { httpStatus?: number } = {}) {
    super(message, options);
    this.httpStatus = options.httpStatus;
  }
}

/**
 * The gateway rejected the call itself (MAPI `is_success=F` with `<error>`, OpenAPI `20001`,
 * `40001`, `40002`, `40006`, `20000` without a business answer). Such bodies are unsigned,
 * so they are errors, not facts. Retryable only for `SYSTEM_ERROR`-like codes.
 */
export class AlipayGatewayError extends AlipayError {
  override readonly name = "AlipayGatewayError";
  readonly code = "gateway";
  readonly isRetryable: boolean;
  /** Gateway code: MAPI `<error>` value or OpenAPI `code`. */
  readonly gatewayCode: string;
  /** OpenAPI `sub_code` (e.g. `isv.invalid-signature`, `ACQ.SYSTEM_ERROR`). */
  readonly subCode: string | undefined;

  constructor(
    message: string,
    options: AlipayErrorOptions & {
      gatewayCode: string;
      subCode?: string;
      isRetryable: boolean;
    },
  ) {
    super(message, options);
    this.gatewayCode = options.gatewayCode;
    this.subCode = options.subCode;
    this.isRetryable = options.isRetryable;
  }
}

/** Invalid input (amount, ids, payment code) detected BEFORE anything was sent. Not retryable. */
export class AlipayValidationError extends AlipayError {
  override readonly name = "AlipayValidationError";
  readonly code = "validation";
  readonly isRetryable = false;
  readonly field: string;

  constructor(message: string, options: AlipayErrorOptions & { field: string }) {
    super(message, options);
    this.field = options.field;
  }
}

/** Invalid client configuration (keys, ids, URLs). Not retryable. */
export class AlipayConfigError extends AlipayError {
  override readonly name = "AlipayConfigError";
  readonly code = "config";
  readonly isRetryable = false;
}

/**
 * Pure retry rule: `true` iff the error is an {@link AlipayError} whose `isRetryable` is set.
 * Retrying always reuses the same partner_trans_id / partner_refund_id (idempotency key).
 * Unknown (non-Alipay) errors are not retryable: they are programming errors.
 */
export function isRetryable(error: unknown): boolean {
  return error instanceof AlipayError && error.isRetryable;
}

/** `true` if the request may have reached Alipay (so its outcome must be queried, never assumed). */
export function mayHaveReachedGateway(error: unknown): boolean {
  if (error instanceof AlipayValidationError || error instanceof AlipayConfigError) return false;
  if (error instanceof AlipayNetworkError) return error.isRequestSent;
  return true;
}
