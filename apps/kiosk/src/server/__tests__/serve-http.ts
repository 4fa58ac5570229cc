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
