/**
 * One HTTP exchange with a gateway, protocol-neutral: a hard time-out even if the transport
 * ignores the signal, the caller's abort, and transport failures as typed errors.
 */
import {
  AlipayAbortError,
  AlipayError,
  AlipayNetworkError,
  AlipayResponseError,
  AlipayTimeoutError,
} from "../errors.ts";
import type { HttpTransport } from "../transport.ts";
import type { SignedHttpRequest } from "./contract.ts";

/** What the gateway answered (status, lower-cased headers, raw body). */
export type HttpAnswer = {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: Uint8Array;
};

/** Runs one HTTP exchange with a hard time-out, even if the transport ignores the signal. */
export async function exchange(
  transport: HttpTransport,
  request: SignedHttpRequest,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
): Promise<HttpAnswer> {
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

/** 200 passes; 5xx is a network error (retryable), anything else a response error. */
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
