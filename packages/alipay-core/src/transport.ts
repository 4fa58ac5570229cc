/**
 * HTTP transport, injected into the clients. The default ({@link NodeHttpTransport}) is
 * node:http / node:https with keep-alive agents; {@link FetchTransport} runs on the global
 * `fetch` (undici). The client always passes an AbortSignal that carries the request
 * time-out; implementations must honour it.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { rootCertificates } from "node:tls";
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

/**
 * {@link HttpTransport} on node:http / node:https with keep-alive agents: the clients' default.
 * Per exchange it costs about a third of `fetch`'s CPU (measured on this repository's purchases
 * bench: `fetch` spent ≈ 0.3 ms more of the event loop per gateway call, in its streams, header
 * objects and abort signals). Redirects are not followed (a 3xx comes back as its status, which
 * the client refuses); the body is capped as it arrives; its own time-out and the caller's
 * signal both destroy the request.
 */
export class NodeHttpTransport implements HttpTransport {
  readonly #maxResponseBytes: number;

  readonly #http: HttpAgent;

  readonly #https: HttpsAgent;

  /**
   * @param options.maxResponseBytes larger bodies are refused. @default 16 MiB (settlement files)
   * @param options.idleSocketMs an idle kept-alive connection is closed after this long, before a
   *   gateway's own idle time-out can race a reused socket. @default 4000 (as undici)
   * @param options.ca certificate authorities trusted for https besides the system's (a private
   *   sandbox's own certificate; tests).
   */
  constructor(options: { maxResponseBytes?: number; idleSocketMs?: number; ca?: string } = {}) {
    this.#maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const agentOptions = { keepAlive: true, timeout: options.idleSocketMs ?? 4000, scheduling: "lifo" as const };
    this.#http = new HttpAgent(agentOptions);
    this.#https = new HttpsAgent(
      Object.assign({}, agentOptions, options.ca ? { ca: [...rootCertificates, options.ca] } : {}),
    );
  }

  /** Closes the idle kept-alive connections (requests in flight finish). */
  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }

  request(request: HttpRequest): Promise<HttpResponse> {
    const url = new URL(request.url);
    const isHttps = url.protocol === "https:";
    if (!isHttps && url.protocol !== "http:")
      return Promise.reject(new AlipayNetworkError(`Unsupported URL scheme ${url.protocol}`, { isRequestSent: false }));
    const body = request.body === undefined ? undefined : Buffer.from(request.body, "utf8");
    const headers: Record<string, string | number> = { ...request.headers };
    if (body) headers["content-length"] = body.byteLength;
    return new Promise<HttpResponse>((resolve, reject) => {
      let state: "running" | "timed-out" | "aborted" | "done" = "running";
      const end = () => {
        state = "done";
        clearTimeout(timer);
        request.signal.removeEventListener("abort", onAbort);
      };
      const fail = (error: unknown) => {
        if (state === "done") return;
        const why = state;
        end();
        reject(this.#mapError(error, request, why));
      };
      const req = (isHttps ? httpsRequest : httpRequest)(
        url,
        { method: request.method, headers, agent: isHttps ? this.#https : this.#http },
        (res) =>
          this.#read(
            res,
            request,
            (response) => {
              if (state !== "running") return;
              end();
              resolve(response);
            },
            (error) => {
              req.destroy();
              fail(error);
            },
          ),
      );
      const timer = setTimeout(() => {
        if (state !== "running") return;
        state = "timed-out";
        req.destroy(new Error("timed out"));
      }, request.timeoutMs);
      const onAbort = () => {
        if (state !== "running") return;
        state = "aborted";
        req.destroy(new Error("aborted"));
      };
      req.on("error", fail);
      if (request.signal.aborted) onAbort();
      else request.signal.addEventListener("abort", onAbort, { once: true });
      req.end(body);
    });
  }

  #read(
    res: IncomingMessage,
    request: HttpRequest,
    done: (response: HttpResponse) => void,
    failed: (error: unknown) => void,
  ): void {
    const declared = Number(res.headers["content-length"] ?? "0");
    if (declared > this.#maxResponseBytes) {
      failed(new AlipayResponseError(`Response of ${declared} bytes exceeds the ${this.#maxResponseBytes}-byte limit`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let isRefused = false;
    res.on("data", (chunk: Buffer) => {
      if (isRefused) return;
      size += chunk.byteLength;
      if (size > this.#maxResponseBytes) {
        isRefused = true;
        res.destroy();
        failed(new AlipayResponseError(`Response of ${size} bytes exceeds the ${this.#maxResponseBytes}-byte limit`));
        return;
      }
      chunks.push(chunk);
    });
    res.on("error", failed);
    res.on("close", () => {
      if (!res.complete) failed(new Error(`HTTP ${request.method} response cut off`));
    });
    res.on("end", () => {
      if (isRefused) return;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
      }
      const joined = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      done({
        status: res.statusCode ?? 0,
        headers,
        body: new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength),
      });
    });
  }

  #mapError(error: unknown, request: HttpRequest, why: "running" | "timed-out" | "aborted" | "done"): AlipayError {
    if (error instanceof AlipayError) return error;
    if (why === "timed-out")
      return new AlipayTimeoutError(`HTTP ${request.method} timed out after ${request.timeoutMs} ms`, {
        cause: error,
        timeoutMs: request.timeoutMs,
      });
    if (why === "aborted")
      return new AlipayAbortError(`HTTP ${request.method} aborted by the caller`, { cause: error });
    const code = errorCodeOf(error);
    return new AlipayNetworkError(`HTTP ${request.method} failed${code ? ` (${code})` : ""}`, {
      cause: error,
      isRequestSent: !(code !== undefined && NOT_SENT_CODES.has(code)),
    });
  }
}

let shared: NodeHttpTransport | undefined;

/** The process's shared {@link NodeHttpTransport} (one keep-alive pool for every client). */
export function defaultTransport(): NodeHttpTransport {
  return (shared ??= new NodeHttpTransport());
}
