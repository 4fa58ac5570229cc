// The kiosk server without Next: the same composition root (buildRuntime: database, services,
// Alipay client, worker inline unless WORKER=off) and the same handlers (tRPC, REST, OpenAPI
// document, Alipay notify endpoint, /healthz, /readyz, /metrics) over node:http. No pages.
// For drills, load tests and fleets of API-only instances.
// usage: tsx packages/api/scripts/api-server.ts   (configured like the server: apps/kiosk/README.md)
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { getEnv } from "../src/env.ts";
import { buildRuntime } from "../src/app-services.ts";
import { apiRequestHandler } from "../src/http-handlers.ts";
import { toNodeListener } from "../src/node-http.ts";

const env = getEnv();
const runtime = await buildRuntime({ env });
const server: Server = createServer(
  toNodeListener(
    apiRequestHandler(() => Promise.resolve(runtime)),
    () => `http://${env.host}:${(server.address() as AddressInfo).port}`,
  ),
);
server.listen(env.port, env.host, () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(
    JSON.stringify({
      level: "info",
      msg: "api server listening",
      url: `http://${env.host}:${port}`,
      worker: env.worker,
      instanceId: env.instanceId,
    }) + "\n",
  );
});

let isStopping = false;
const stop = async (signal: string): Promise<void> => {
  if (isStopping) return;
  isStopping = true;
  process.stdout.write(JSON.stringify({ level: "info", msg: "api server stopping", signal }) + "\n");
  server.closeAllConnections();
  server.close();
  await runtime.stop();
  process.exit(0);
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
