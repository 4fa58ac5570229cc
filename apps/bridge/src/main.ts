/** Composition root: env → build → start → SIGINT/SIGTERM → stop. */
import { buildBridge } from "./app.ts";
import { EnvError, readEnv } from "./env.ts";
import { createLogger } from "./util/logger.ts";

async function main(): Promise<void> {
  let env;
  try {
    env = readEnv();
  } catch (error) {
    console.error(error instanceof EnvError ? error.message : error);
    process.exit(2);
  }
  const logger = createLogger({ level: env.BRIDGE_LOG_LEVEL, write: (line) => console.log(line) });
  const bridge = await buildBridge(env, { logger });
  await bridge.start();

  let isStopping = false;
  const shutdown = (signal: string): void => {
    if (isStopping) return;
    isStopping = true;
    logger.info("stopping", { signal });
    bridge.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error("stopped with errors", { error });
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error("bridge failed to start:", error);
  process.exit(1);
});
