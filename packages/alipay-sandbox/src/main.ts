/**
 * Process entry: `npm start` / `tsx src/main.ts`. Configuration from the environment
 * (src/env.ts), JSON-line logs on stdout/stderr, graceful stop on SIGINT/SIGTERM.
 */
import { loadSandboxEnv, SandboxEnvError, type SandboxEnv } from "./env.ts";
import { createLogger } from "@kiosk/log";
import type { SandboxLogger } from "./logger.ts";
import { startSandbox } from "./sandbox.ts";

function jsonLogger(minimum: SandboxEnv["logLevel"]): SandboxLogger {
  return createLogger({ level: minimum, bindings: { name: "alipay-sandbox" } });
}

async function main(): Promise<void> {
  let env: SandboxEnv;
  try {
    env = loadSandboxEnv();
  } catch (error) {
    if (error instanceof SandboxEnvError) {
      jsonLogger("error").error(error.message);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
  const logger = jsonLogger(env.logLevel);
  if (env.usingTestKeys.length > 0) {
    logger.warn("using the public test keys; never point a live client at this sandbox with real keys", {
      variables: env.usingTestKeys,
    });
  }
  const sandbox = await startSandbox({
    host: env.host,
    port: env.port,
    logger,
    partners: [
      {
        partnerId: env.partnerId,
        name: "Sandbox partner",
        md5Key: env.md5Key,
        rsaPublicKey: env.merchantPublicKeyPem,
      },
    ],
    apps: [
      {
        appId: env.appId,
        name: "Sandbox app",
        rsaPublicKey: env.appPublicKeyPem,
        sellerId: env.partnerId,
        ...(env.certs === undefined ? {} : { appCertPem: env.certs.appCertPem }),
      },
    ],
    gatewayPrivateKey: env.gatewayPrivateKeyPem,
    ...(env.certs === undefined
      ? {}
      : {
          certMode: {
            rootCertPem: env.certs.rootCertPem,
            alipayCerts: [
              {
                certPem: env.certs.alipayCertPem,
                privateKey: env.gatewayPrivateKeyPem,
              },
            ],
          },
        }),
    ...(env.publicUrl === undefined ? {} : { publicUrl: env.publicUrl }),
    ...(env.notifyBaseUrl === undefined ? {} : { notifyBaseUrl: env.notifyBaseUrl }),
    slowResponseScale: env.slowResponseScale,
    waitingTradeExpiryMs: env.waitingTradeExpiryMs,
    ...(env.notifyRetryScheduleMs === undefined
      ? {}
      : { notifications: { retryScheduleMs: env.notifyRetryScheduleMs } }),
  });
  logger.info("alipay sandbox started", {
    gateway: sandbox.gatewayUrl,
    operator: `${sandbox.url}/sandbox`,
    partner: env.partnerId,
    appId: env.appId,
  });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping", { signal });
    sandbox.close().then(
      () => {
        logger.info("stopped");
        process.exit(0);
      },
      (error: unknown) => {
        logger.error("stop failed", {
          error: error instanceof Error ? error.message : String(error),
        });
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  jsonLogger("error").error("start-up failed", { error });
  process.exitCode = 1;
});
