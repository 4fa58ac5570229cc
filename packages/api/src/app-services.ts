/**
 * Composition root of the Next process: env → db → logger/metrics → platform
 * services → Alipay client → money services → (worker). One instance per process
 * (kept on globalThis so Next's dev reloads and multiple route bundles share it).
 */
import { join } from "node:path";
import { createDb, tuneSqlite, type DbHandle } from "@kiosk/db";
import { getEnv, type KioskEnv } from "./env.ts";
import { trustedProxiesOf, type TrustedProxies } from "./client-address.ts";
import { systemClock, type Clock } from "./clock.ts";
import { createLogger, type Logger } from "./log.ts";
import { createKioskMetrics } from "./metrics.ts";
import { BRIDGE_TOKEN_KEY_FILE, loadBridgeTokenKey } from "./services/bridge-tokens.ts";
import { createMoneyServices } from "./services/index.ts";
import { createPlatformServices } from "./services/platform.ts";
import { buildMoneyDeps } from "./money-wiring.ts";
import { checkReadiness } from "./readiness.ts";
import type { AppServices } from "./trpc/context.ts";

export interface AppRuntime {
  env: KioskEnv;
  dbHandle: DbHandle;
  services: AppServices;
  /** Stops the worker (if running) and closes the database. */
  stop(): Promise<void>;
}

interface Holder {
  runtime?: Promise<AppRuntime>;
}
const HOLDER_KEY = Symbol.for("kiosk.app-runtime");
const holder: Holder = ((globalThis as Record<symbol, unknown>)[HOLDER_KEY] as Holder | undefined) ?? {};
(globalThis as Record<symbol, unknown>)[HOLDER_KEY] = holder;

export interface BuildRuntimeOptions {
  env: KioskEnv;
  clock?: Clock;
  log?: Logger;
  /** Start the payment worker when env.worker is "inline" (default true). */
  shouldStartWorker?: boolean;
}

export async function buildRuntime(opts: BuildRuntimeOptions): Promise<AppRuntime> {
  const { env } = opts;
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger({ level: env.logLevel, bindings: { service: "kiosk" } });
  const dbHandle = createDb({ url: env.databaseUrl, baseDir: env.repoRoot });
  await tuneSqlite(dbHandle);
  const metrics = createKioskMetrics();
  const bridgeTokenKey = loadBridgeTokenKey(join(env.ticketKeysDir, BRIDGE_TOKEN_KEY_FILE));
  const platform = createPlatformServices({
    db: dbHandle.db,
    clock,
    log,
    metrics,
    sessionTtlMinutes: env.sessionTtlMinutes,
    sessionMaxHours: env.sessionMaxHours,
    auditRetentionDays: env.auditRetentionDays,
    bridgeTokenKey,
  });
  const { deps, alipayKeys } = buildMoneyDeps({ env, platform });
  // Catalog rows a sale reads are cached 5 s (issue 16); merchant-field edits invalidate at once.
  const money = createMoneyServices({ catalogCacheMs: 5_000, ...deps });
  const services: AppServices = { ...platform, money, alipayKeys };
  const isWorkerStarted = opts.shouldStartWorker !== false && env.worker === "inline";
  const workerGate = isWorkerStarted ? startWorkerWhenReady({ services, provider: dbHandle.provider, log }) : undefined;
  log.info("kiosk server ready", {
    database: dbHandle.target,
    alipay: {
      env: env.alipay.env,
      protocol: env.alipay.protocol,
      gateway: env.alipay.gatewayUrl,
      signType: env.alipay.signType,
      isUsingTestKeys: env.alipay.isUsingTestKeys,
    },
    worker: isWorkerStarted ? "inline" : "off",
  });
  if (env.alipay.isUsingTestKeys && env.alipay.env === "live")
    log.warn("live Alipay with public test credentials: payments will fail");
  return {
    env,
    dbHandle,
    services,
    async stop() {
      workerGate?.abort();
      if (isWorkerStarted) await Promise.all([money.worker.stop(), platform.maintenance.stop()]);
      await dbHandle.close();
    },
  };
}

const READINESS_RETRY_MS = 5_000;

/**
 * Starts the payment worker once the database is ready (reachable, migrated), so a
 * server started before `setup-db` does not spin on missing tables. Returns an
 * AbortController that cancels the wait.
 */
function startWorkerWhenReady(opts: {
  services: AppServices;
  provider: DbHandle["provider"];
  log: Logger;
}): AbortController {
  const ac = new AbortController();
  const attempt = async (): Promise<void> => {
    if (ac.signal.aborted) return;
    const report = await checkReadiness(opts.services.db, opts.provider);
    if (ac.signal.aborted) return;
    if (report.isReady) {
      opts.services.money.worker.start(ac.signal);
      // Scheduled pruning runs where the worker runs (services/maintenance.ts).
      opts.services.maintenance.start(ac.signal);
      opts.log.info("payment worker started");
      return;
    }
    opts.log.warn("payment worker waits for the database", { checks: report.checks, retryInMs: READINESS_RETRY_MS });
    setTimeout(() => void attempt(), READINESS_RETRY_MS).unref();
  };
  void attempt();
  return ac;
}

/** The process-wide runtime, built on first use. */
export function getRuntime(): Promise<AppRuntime> {
  holder.runtime ??= buildRuntime({ env: getEnv() }).catch((e: unknown) => {
    holder.runtime = undefined;
    throw e;
  });
  return holder.runtime;
}

export async function getAppServices(): Promise<AppServices> {
  return (await getRuntime()).services;
}

export function getAppConfig(): { isSecureCookies: boolean; trustedProxies: TrustedProxies } {
  const env = getEnv();
  return { isSecureCookies: env.isSecureCookies, trustedProxies: trustedProxiesOf(env.trustedProxies) };
}
