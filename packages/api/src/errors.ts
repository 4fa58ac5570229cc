/**
 * The one error type services throw. Only `src/server/trpc/*` turns it into a
 * TRPCError (see `toTrpcError` in trpc/init.ts); route handlers outside tRPC map
 * `httpStatusOf(error.code)`.
 */
export const KIOSK_ERROR_CODES = [
  "BAD_REQUEST",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "TOO_MANY_REQUESTS",
  "PRECONDITION_FAILED",
  "INTERNAL",
] as const;
export type KioskErrorCode = (typeof KIOSK_ERROR_CODES)[number];

export interface KioskErrorOptions {
  /** Safe, structured extra facts for the caller (never secrets). Sent to clients. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

// Next can bundle this module more than once (the instrumentation hook that builds the
// services and each route handler get their own copy), so `instanceof` checks a
// process-wide brand instead of the class identity.
const KIOSK_ERROR_BRAND = Symbol.for("kiosk.KioskError");

export class KioskError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[KIOSK_ERROR_BRAND] === true
    );
  }

  readonly [KIOSK_ERROR_BRAND] = true;
  override readonly name = "KioskError";
  readonly code: KioskErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: KioskErrorCode, message: string, options: KioskErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

export function isKioskError(error: unknown): error is KioskError {
  return error instanceof KioskError;
}

const HTTP_STATUS: Readonly<Record<KioskErrorCode, number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_MANY_REQUESTS: 429,
  PRECONDITION_FAILED: 412,
  INTERNAL: 500,
};

export function httpStatusOf(code: KioskErrorCode): number {
  return HTTP_STATUS[code];
}
