/**
 * Serves a fetch-style handler on a real node:http server at 127.0.0.1:0 through the
 * headless server's own adapter (node-http.ts), so tests talk to the tRPC handlers over HTTP.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseEnv } from "../../env.ts";
import type { AppRuntime } from "../app-services.ts";
import { trpcHandler } from "../http-handlers.ts";
import { toNodeListener, type FetchHandler } from "../node-http.ts";
import type { Harness } from "./platform-harness.ts";

export function serve(handler: FetchHandler): Promise<{ server: Server; baseUrl: string }> {
  const origin = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const server: Server = createServer(toNodeListener(handler, origin));
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({ server, baseUrl: origin() }));
  });
}

/** A platform harness's services behind the production tRPC fetch handler, over real HTTP. */
export function serveTrpc(h: Harness): Promise<{ server: Server; baseUrl: string }> {
  const runtime: AppRuntime = {
    env: parseEnv({ NODE_ENV: "test", DATABASE_URL: h.tdb.url, PUBLIC_URL: "http://kiosk.test" }),
    dbHandle: h.tdb,
    services: h.services,
    stop: async () => undefined,
  };
  return serve(trpcHandler(async () => runtime));
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
      const request = new Request(`${origin()}${req.url ?? "/"}`, { method, headers, ...(hasBody ? { body, duplex: "half" } : {}) } as RequestInit);
      const response = await handler(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch(() => res.destroy());
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({ server, baseUrl: origin() }));
  });
}
