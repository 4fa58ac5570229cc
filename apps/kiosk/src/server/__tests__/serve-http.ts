/**
 * Serves a fetch-style handler on a real node:http server at 127.0.0.1:0 (as the
 * production server's adapter does), so tests talk to the tRPC handlers over HTTP.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseEnv } from "../../env.ts";
import type { AppRuntime } from "../app-services.ts";
import { trpcHandler } from "../http-handlers.ts";
import type { Harness } from "./platform-harness.ts";

export function serve(handler: (req: Request) => Promise<Response>): Promise<{ server: Server; baseUrl: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        try {
          const headers = new Headers();
          for (const [name, value] of Object.entries(req.headers)) {
            if (value === undefined) continue;
            for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
          }
          const { port } = server.address() as AddressInfo;
          const hasBody = req.method !== "GET" && req.method !== "HEAD" && chunks.length > 0;
          const request = new Request(`http://127.0.0.1:${port}${req.url ?? "/"}`, { method: req.method ?? "GET", headers, ...(hasBody ? { body: Buffer.concat(chunks) } : {}) });
          const response = await handler(request);
          const out: Record<string, string | string[]> = {};
          response.headers.forEach((v, k) => {
            if (k !== "set-cookie") out[k] = v;
          });
          const cookies = response.headers.getSetCookie();
          if (cookies.length > 0) out["set-cookie"] = cookies;
          res.writeHead(response.status, out);
          res.end(Buffer.from(await response.arrayBuffer()));
        } catch (error) {
          res.writeHead(500, { "content-type": "text/plain" });
          res.end(String(error));
        }
      })();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({ server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
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
