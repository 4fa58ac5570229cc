/**
 * Serves a fetch-style handler on a real node:http server at 127.0.0.1:0 through the
 * headless server's own adapter (node-http.ts), so tests talk to the tRPC handlers over HTTP.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import superjson from "superjson";
import { parseEnv } from "../env.ts";
import type { AppRuntime } from "../app-services.ts";
import { apiRequestHandler, trpcHandler } from "../http-handlers.ts";
import { toNodeListener, type FetchHandler } from "../node-http.ts";
import type { Harness } from "./platform-harness.ts";

export function serve(handler: FetchHandler): Promise<{ server: Server; baseUrl: string }> {
  const origin = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const server: Server = createServer(toNodeListener(handler, origin));
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({ server, baseUrl: origin() }));
  });
}

function runtimeOf(h: Harness, env: Record<string, string> = {}): AppRuntime {
  return {
    env: parseEnv({ NODE_ENV: "test", DATABASE_URL: h.tdb.url, PUBLIC_URL: "http://kiosk.test", ...env }),
    dbHandle: h.tdb,
    services: h.services,
    stop: async () => undefined,
  };
}

/** A platform harness's services behind the production tRPC fetch handler, over real HTTP. */
export function serveTrpc(h: Harness, env: Record<string, string> = {}): Promise<{ server: Server; baseUrl: string }> {
  const runtime = runtimeOf(h, env);
  return serve(trpcHandler(async () => runtime));
}

/** Every server endpoint (tRPC, REST, /healthz, …) as the server without Next routes them, over real HTTP. */
export function serveApi(h: Harness, env: Record<string, string> = {}): Promise<{ server: Server; baseUrl: string }> {
  const runtime = runtimeOf(h, env);
  return serve(apiRequestHandler(async () => runtime));
}

export interface TrpcAnswer<T = unknown> {
  status: number;
  data: T;
  /** tRPC error code ("UNAUTHORIZED", "TOO_MANY_REQUESTS", …), null on success. */
  error: string | null;
  details: Record<string, unknown> | null;
  setCookies: string[];
}

/** One tRPC call over HTTP with superjson (query: GET ?input=, mutation: POST). */
export async function callTrpc<T = unknown>(
  baseUrl: string,
  path: string,
  input: unknown,
  opts: { type?: "query" | "mutation"; headers?: Record<string, string> } = {},
): Promise<TrpcAnswer<T>> {
  const type = opts.type ?? "mutation";
  const encoded = superjson.serialize(input);
  const url =
    type === "query"
      ? `${baseUrl}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(encoded))}`
      : `${baseUrl}/api/trpc/${path}`;
  const res = await fetch(url, {
    method: type === "query" ? "GET" : "POST",
    headers: { ...(type === "mutation" ? { "content-type": "application/json" } : {}), ...opts.headers },
    ...(type === "mutation" ? { body: JSON.stringify(encoded) } : {}),
  });
  const body = (await res.json()) as {
    result?: { data: { json: unknown; meta?: unknown } };
    error?: { json: { data: { code: string; details?: Record<string, unknown> | null } } };
  };
  const setCookies = res.headers.getSetCookie();
  if (body.error)
    return {
      status: res.status,
      data: undefined as T,
      error: body.error.json.data.code,
      details: body.error.json.data.details ?? null,
      setCookies,
    };
  const data = superjson.deserialize<T>(body.result!.data as Parameters<typeof superjson.deserialize>[0]);
  return { status: res.status, data, error: null, details: null, setCookies };
}

/** `name=value` of the Set-Cookie header for `name`, for a Cookie request header. */
export function cookiePair(setCookies: string[], name: string): string | null {
  const header = setCookies.find((c) => c.startsWith(`${name}=`));
  return header ? header.split(";")[0]! : null;
}

/**
 * Serves a fetch-style handler the way Next's route handlers get requests: the body is the
 * live request stream (not read beforehand, no size limit in front), so a test shows what
 * the handler itself reads.
 */
export function serveStreaming(handler: FetchHandler): Promise<{ server: Server; baseUrl: string }> {
  const origin = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const method = req.method ?? "GET";
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
      const hasBody = method !== "GET" && method !== "HEAD";
      // The live upload as a web stream; once the handler cancels it, the rest is drained and dropped.
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          req.on("data", (chunk: Buffer) => controller.enqueue(new Uint8Array(chunk)));
          req.on("end", () => controller.close());
          req.on("error", (e) => controller.error(e));
        },
        cancel() {
          req.removeAllListeners("data");
          req.removeAllListeners("end");
          req.resume();
        },
      });
      const request = new Request(`${origin()}${req.url ?? "/"}`, {
        method,
        headers,
        ...(hasBody ? { body, duplex: "half" } : {}),
      } as RequestInit);
      const response = await handler(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch(() => res.destroy());
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({ server, baseUrl: origin() }));
  });
}
