/**
 * The kiosk server in production (`npm start`, the Docker image, the load run): one node:http
 * server in front of two handlers.
 * - The API (/api/*, /healthz, /readyz, /metrics) goes straight to @kiosk/api's handlers over
 *   node:http (node-http.ts), the same ones `next dev` reaches through src/app/** route files.
 * - The kiosk page's script (/kiosk-app/*, content-hashed, built by
 *   scripts/build-kiosk-client.mjs with a brotli and a gzip copy of each file) is sent from disk
 *   by sirv: the copy the browser accepts, cached for good, with the pages' security headers.
 *   Compression is otherwise the proxy's (next.config.ts `compress: false`), but a kiosk on
 *   `npm start` with no proxy got its 237 KB script uncompressed (64.5 KB as brotli).
 * - The pages go to Next.js (`next build` output), which never builds a runtime of its own
 *   here (instrumentation.ts sees API_HOST_KEY).
 * Why not `next start` alone: Next's route handling cost 3.5–4 ms of CPU per API request on
 * the 2-core machine (a /healthz: 4.3 ms through Next, 0.9 ms here), more than the database
 * work of most calls; a purchase makes four (order, pay, tickets, Alipay's notification).
 * usage: tsx server.ts   (configured like the server, apps/kiosk/README.md; HOST and PORT)
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import next from "next";
import sirv from "sirv";
import { buildRuntime } from "@kiosk/api/app-services.ts";
import { API_HOST_KEY, getEnv, getHeaderConfig } from "@kiosk/api/env.ts";
import { apiRequestHandler, isApiPath } from "@kiosk/api/http-handlers.ts";
import { keepConnectionsAlive, toNodeListener } from "@kiosk/api/node-http.ts";
import { securityHeaders } from "@kiosk/api/security-headers.ts";

const env = getEnv();
// Set before Next loads anything: its instrumentation hook then leaves the runtime to this process.
(globalThis as Record<symbol, unknown>)[API_HOST_KEY] = "server.ts";
const runtime = await buildRuntime({ env });
const app = next({ dev: false, dir: import.meta.dirname, hostname: env.host, port: env.port });
await app.prepare();
const pages = app.getRequestHandler();
const origin = (): string => `http://${env.host}:${(server.address() as AddressInfo).port}`;
const api = toNodeListener(
  apiRequestHandler(() => Promise.resolve(runtime)),
  origin,
);

/** The kiosk page's script: a name is its content's hash, so a year's caching is safe. */
const kioskAssets = sirv(join(import.meta.dirname, "public"), {
  dev: false,
  etag: true,
  brotli: true,
  gzip: true,
  maxAge: 31_536_000,
  immutable: true,
  setHeaders: (res) => {
    for (const [name, value] of Object.entries(securityHeaders(getHeaderConfig()))) res.setHeader(name, value);
  },
});

const server: Server = createServer((req, res) => {
  const path = (req.url ?? "/").split("?", 1)[0]!;
  if (isApiPath(path)) {
    api(req, res);
    return;
  }
  if (path.startsWith("/kiosk-app/")) {
    kioskAssets(req, res, () => {
      res.writeHead(404, { "content-type": "text/plain", ...securityHeaders(getHeaderConfig()) }).end("not found");
    });
    return;
  }
  pages(req, res).catch((error: unknown) => {
    process.stderr.write(
      `${JSON.stringify({ level: "error", msg: "page request failed", path, error: String(error) })}\n`,
    );
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" }).end("internal error");
    else res.destroy();
  });
});
keepConnectionsAlive(server);
server.listen(env.port, env.host, () => {
  process.stdout.write(
    `${JSON.stringify({ level: "info", msg: "kiosk server listening", url: origin(), worker: env.worker, instanceId: env.instanceId })}\n`,
  );
});

let isStopping = false;
const stop = async (signal: string): Promise<void> => {
  if (isStopping) return;
  isStopping = true;
  process.stdout.write(`${JSON.stringify({ level: "info", msg: "kiosk server stopping", signal })}\n`);
  server.closeAllConnections();
  server.close();
  await runtime.stop();
  await app.close();
  process.exit(0);
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
