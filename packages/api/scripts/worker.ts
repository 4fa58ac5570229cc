// The payment worker as its own process, for fleets (docker/compose.yaml): the same
// composition root as the Next server, with the worker on and no HTTP. Run one or more;
// they share the due-payment queue through leases in the database.
// usage: tsx packages/api/scripts/worker.ts   (same environment as the server)
import { getEnv } from "../src/env.ts";
import { buildRuntime } from "../src/app-services.ts";

const env = getEnv();
const runtime = await buildRuntime({ env: { ...env, worker: "inline" } });
let isStopping = false;
const stop = async (signal: string): Promise<void> => {
  if (isStopping) return;
  isStopping = true;
  process.stdout.write(JSON.stringify({ level: "info", msg: "worker stopping", signal }) + "\n");
  await runtime.stop();
  process.exit(0);
};
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
