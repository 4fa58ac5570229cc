/**
 * HTTP transport, injected into the clients. The default implementation uses Node's global
 * `fetch` (undici). The client always passes an AbortSignal that carries the request
 * time-out; implementations must honour it.
 */
import {
  AlipayAbortError,
  AlipayError,
  AlipayNetworkError,
  AlipayResponseError,
  AlipayTimeoutError,
} from "./errors.ts";

export type HttpRequest = {
  method: "GET" | "POST";
  url: string;
  headers: Readonly<Record<string, string>>;
  body?: string;
  /** Time-out the transport must enforce (the client also enforces it via `signal`). */
  timeoutMs: number;
  /** Aborts on time-out or when the caller gives up. */
  signal: AbortSignal;
};

export type HttpResponse = {
  status: number;
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string>>;
  /** Raw body bytes; the client decodes them by the declared charset. */
  body: Uint8Array;
};

export interface HttpTransport {
  request(request: HttpRequest): Promise<HttpResponse>;
}

/** Default cap on a response body. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** Node error codes that prove the request never left this machine. */
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH"]);

function errorCodeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `fetch`-compatible function type, so tests can inject one. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** {@link HttpTransport} on Node's `fetch`, with an AbortSignal time-out. */
export class FetchTransport implements HttpTransport {
  readonly #fetch: FetchLike;

  readonly #maxResponseBytes: number;

  /**
   * @param options.fetch fetch implementation (tests).
   * @param options.maxResponseBytes larger bodies are refused. @default 16 MiB (settlement files)
   */
  constructor(options: { fetch?: FetchLike; maxResponseBytes?: number } = {}) {
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  async request(request: HttpRequest): Promise<HttpResponse> {
    const timeoutSignal = AbortSignal.timeout(request.timeoutMs);
    const signal = AbortSignal.any([request.signal, timeoutSignal]);
    try {
      const init: RequestInit = {
        method: request.method,
        headers: request.headers,
        signal,
        redirect: "error",
      };
      if (request.body !== undefined) init.body = request.body;
      const response = await this.#fetch(request.url, init);
      const declared = Number(response.headers.get("content-length") ?? "0");
      if (declared > this.#maxResponseBytes) {
        await response.body?.cancel();
        throw new AlipayResponseError(`Response of ${declared} bytes exceeds the ${this.#maxResponseBytes}-byte limit`);
      }
      const body = new Uint8Array(await response.arrayBuffer());
      if (body.byteLength > this.#maxResponseBytes) {
        throw new AlipayResponseError(
          `Response of ${body.byteLength} bytes exceeds the ${this.#maxResponseBytes}-byte limit`,
        );
      }
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name.toLowerCase()] = value;
      });
      return { status: response.status, headers, body };
    } catch (error) {
      if (error instanceof AlipayError) throw error;
      if (timeoutSignal.aborted) {
        throw new AlipayTimeoutError(`HTTP ${request.method} timed out after ${request.timeoutMs} ms`, {
          cause: error,
          timeoutMs: request.timeoutMs,
        });
      }
      if (request.signal.aborted) {
        throw new AlipayAbortError(`HTTP ${request.method} aborted by the caller`, { cause: error });
      }
      const code = errorCodeOf(error);
      throw new AlipayNetworkError(`HTTP ${request.method} failed${code ? ` (${code})` : ""}`, {
        cause: error,
        isRequestSent: !(code !== undefined && NOT_SENT_CODES.has(code)),
      });
    }
  }
}
