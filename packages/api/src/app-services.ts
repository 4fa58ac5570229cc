/**
 * The composition root of the server (Next process and headless entries): env → db →
 * logger/metrics → platform services → Alipay client → the one deps object → money
 * services → (worker). One instance per process (kept on globalThis so Next's dev reloads
 * and multiple route bundles share it). It also adapts the money path's in-process events
 * into durable domain events for booking systems.
 */
import { join } from "node:path";
import { createAlipayClient, type AlipayClientConfig, type ResponseSummary } from "@kiosk/alipay-core";
import { createDb, tuneSqlite, type DbHandle } from "@kiosk/db";
import { getEnv, type KioskEnv } from "./env.ts";
import { AlipayKeyRing, alipayKeyFingerprint, type SharedKeyState } from "./alipay-key-ring.ts";
import { trustedProxiesOf, type TrustedProxies } from "./client-address.ts";
import { systemClock, type Clock } from "./clock.ts";
import { actorRef, SYSTEM_ACTOR, type AppDeps, type AppEventSink } from "./deps.ts";
import { createLogger, type Logger } from "./log.ts";
import { createKioskMetrics, moneyMetrics, type KioskMetrics } from "./metrics.ts";
import { EVENT_ACTION_PREFIX } from "./services/audit-service.ts";
import { BRIDGE_TOKEN_KEY_FILE, loadBridgeTokenKey } from "./services/bridge-tokens.ts";
import { DOMAIN_EVENT_TYPES, type DomainEventType } from "./services/events-service.ts";
import type { AlipayGateway } from "./services/gateway.ts";
import { createMoneyServices, type MoneyServices } from "./services/index.ts";
import type { PaymentPolicy } from "./services/payment-policy.ts";
import { loadOrCreatePayRequestKey } from "./services/pay-request-seal.ts";
import { createPlatformServices, type PlatformServices } from "./services/platform.ts";
import { fileTicketKeys } from "./services/ticket-keys.ts";
import { checkReadiness } from "./readiness.ts";

/** Everything procedures may use: platform services plus the money services under `money`. */
export interface AppServices extends PlatformServices {
  money: MoneyServices;
  /** The process's current/next Alipay merchant keys (absent in tests that do not need them). */
  alipayKeys?: AlipayKeyRing;
}

/** Seals stored pay requests (services/pay-request-seal.ts); next to the ticket keys, shared by a fleet the same way. */
export const PAY_REQUEST_KEY_FILE = "pay-request.key";

/** The Alipay client configuration; `slot` picks the app certificate of the current or next merchant key (certificate mode). */
/** The Antom client's `sftp` settings from ALIPAY_ANTOM_SFTP_* (only the ones given). */
function antomSftpConfig(s: NonNullable<NonNullable<KioskEnv["alipay"]["antom"]>["sftp"]>) {
  return {
    host: s.host,
    port: s.port,
    username: s.username,
    ...(s.privateKeyFile ? { privateKeyFile: s.privateKeyFile } : {}),
    ...(s.password ? { password: s.password } : {}),
    ...(s.hostKeySha256 ? { hostKeySha256: s.hostKeySha256 } : {}),
    ...(s.directory ? { directory: s.directory } : {}),
  };
}

export function alipayClientConfig(env: KioskEnv, slot: "current" | "next" = "current"): AlipayClientConfig {
  const a = env.alipay;
  const certs = a.certs;
  const common = {
    gatewayUrl: a.gatewayUrl,
    // The sandbox may run on another host of a docker network; live is https (env.ts enforces).
    allowInsecureHttp: a.env === "sandbox",
    notifyUrl: a.notifyUrl,
    ...(a.privateKeyPem ? { privateKey: a.privateKeyPem } : {}),
    ...(a.alipayPublicKeyPem ? { alipayPublicKey: a.alipayPublicKeyPem } : {}),
  };
  if (a.protocol === "antom") {
    const antom = a.antom as NonNullable<KioskEnv["alipay"]["antom"]>;
    return {
      protocol: "antom",
      ...common,
      clientId: antom.clientId,
      keyVersion: antom.keyVersion,
      ...(a.storeId ? { storeId: a.storeId } : {}),
      ...(a.terminalId ? { terminalId: a.terminalId } : {}),
      ...(slot === "next" && a.nextPrivateKeyPem ? { privateKey: a.nextPrivateKeyPem } : {}),
      ...(antom.sftp ? { sftp: antomSftpConfig(antom.sftp) } : {}),
    };
  }
  if (a.protocol === "openapi") {
    return {
      protocol: "openapi",
      ...common,
      appId: a.appId ?? "",
      // Notifications name the merchant's 2088 user id as seller_id; it is the partner id.
      sellerId: a.partnerId,
      signType: a.signType === "RSA" ? "RSA" : "RSA2",
      ...(a.storeId ? { storeId: a.storeId } : {}),
      ...(a.terminalId ? { terminalId: a.terminalId } : {}),
      ...(slot === "next" && a.nextPrivateKeyPem ? { privateKey: a.nextPrivateKeyPem } : {}),
      ...(certs
        ? {
            appCert: slot === "next" && certs.nextAppCertPem ? certs.nextAppCertPem : certs.appCertPem,
            alipayCert: certs.alipayCertPem,
            alipayRootCert: certs.alipayRootCertPem,
            ...(certs.alipayNextCertPem ? { alipayNextCert: certs.alipayNextCertPem } : {}),
          }
        : {}),
    };
  }
  return {
    protocol: "mapi",
    ...common,
    partnerId: a.partnerId,
    signType: a.signType,
    ...(a.md5Key && a.signType === "MD5" ? { md5Key: a.md5Key } : {}),
    merchant: Object.assign(
      {},
      a.storeId ? { storeId: a.storeId } : {},
      a.terminalId ? { terminalId: a.terminalId } : {},
    ),
  };
}

/**
 * Records each Alipay exchange once: latency under GATEWAY_LATENCY_METRIC (operation, outcome)
 * and trade queries as polls. The money path's own `kiosk_gateway_latency_ms` is superseded (metrics.ts).
 */
export function gatewayResponseHook(metrics: KioskMetrics): (s: ResponseSummary) => void {
  return (s) => {
    metrics.gatewayLatencySeconds.observe(
      { operation: s.operation, outcome: s.outcome === "error" ? "error" : "ok" },
      s.durationMs / 1000,
    );
    if (s.operation === "query") metrics.paymentPollsTotal.inc({ result: s.outcome });
  };
}

/** The Alipay client(s) for the current and, if configured, the next merchant key (alipay-key-ring.ts). */
export function createAlipayKeyRingFromEnv(
  env: KioskEnv,
  deps: { log: Logger; metrics: KioskMetrics; shared?: SharedKeyState },
): AlipayKeyRing {
  const onResponse = gatewayResponseHook(deps.metrics);
  const build = (config: AlipayClientConfig): AlipayGateway =>
    createAlipayClient(config, { logger: deps.log, hooks: { onResponse } });
  const a = env.alipay;
  const isRsa = a.signType !== "MD5";
  const fingerprintOf = (pem: string | null): string | null => (isRsa && pem ? alipayKeyFingerprint(pem) : null);
  const next =
    isRsa && a.nextPrivateKeyPem
      ? {
          gateway: build(Object.assign({}, alipayClientConfig(env, "next"), { privateKey: a.nextPrivateKeyPem })),
          fingerprint: fingerprintOf(a.nextPrivateKeyPem),
        }
      : null;
  return new AlipayKeyRing({
    signType: a.signType,
    current: { gateway: build(alipayClientConfig(env)), fingerprint: fingerprintOf(a.privateKeyPem) },
    next,
    shared: deps.shared ?? null,
  });
}

/**
 * The money path publishes in-process topics (e.g. "payment" on every state change).
 * Each is re-emitted on the platform bus (subscriptions follow it); topics named like a
 * domain event with an attractionId are stored as is. `sale.completed` is written by the
 * money path itself inside the transaction that records the order paid (`publishInTx`,
 * at most one per order); a kiosk's last sale commits with it too when the payment knew the
 * kiosk, else it is written after the PAID commit.
 */
export function moneyEventSink(platform: PlatformServices): AppEventSink {
  const { db, events, fleet, log } = platform;
  const kioskSale = async (paymentId: string): Promise<void> => {
    const p = await db.payment.findUnique({
      where: { id: paymentId },
      select: { paidAt: true, order: { select: { kioskId: true } } },
    });
    if (p?.order.kioskId) await fleet.recordSale(p.order.kioskId, p.paidAt ?? undefined);
  };
  return {
    publish(topic, payload) {
      events.emit(topic, payload);
      if (topic === "payment" && payload.state === "PAID" && "kioskId" in payload) {
        // The payment knew its order's kiosk (the instant purchase): its last sale committed
        // with the sale (payment-effects.ts); only the fleet event is left.
        if (typeof payload.kioskId === "string" && typeof payload.attractionId === "string")
          fleet.announceSale(
            payload.kioskId,
            payload.attractionId,
            payload.paidAt instanceof Date ? payload.paidAt : undefined,
          );
      } else if (topic === "payment" && payload.state === "PAID" && typeof payload.paymentId === "string") {
        kioskSale(payload.paymentId).catch((e: unknown) =>
          log.error("kiosk last sale update failed", { paymentId: payload.paymentId, error: e }),
        );
      } else if (
        (DOMAIN_EVENT_TYPES as readonly string[]).includes(topic) &&
        typeof payload.attractionId === "string"
      ) {
        const subjectId = String(payload.ticketId ?? payload.orderId ?? payload.refundId ?? payload.paymentId ?? "");
        const subjectType = payload.ticketId
          ? "ticket"
          : payload.refundId
            ? "refund"
            : payload.orderId
              ? "order"
              : "payment";
        events
          .publish({
            type: topic as DomainEventType,
            attractionId: payload.attractionId,
            subject: { type: subjectType, id: subjectId },
            actor: actorRef(SYSTEM_ACTOR),
            data: payload,
          })
          .catch((e: unknown) => log.error("domain event failed", { topic, error: e }));
      }
    },
    async publishInTx(tx, event, options) {
      if (!options?.isFirstForSubject) {
        const existing = await tx.auditLog.count({
          where: {
            action: `${EVENT_ACTION_PREFIX}${event.type}`,
            targetType: event.subject.type,
            targetId: event.subject.id,
          },
        });
        if (existing > 0) return;
      }
      await events.appendInTx(Object.assign({}, event, { actor: actorRef(SYSTEM_ACTOR) }), tx);
    },
  };
}

export interface AppWiring {
  /** The one deps object of the money services. */
  deps: AppDeps;
  /** Current/next merchant keys behind `deps.alipay` (alipayKeys router). */
  alipayKeys: AlipayKeyRing;
}

/** The payment policy's settings that come from the environment; the rest is the default policy. */
export function moneyPolicyOf(env: KioskEnv): Partial<PaymentPolicy> {
  return {
    refundPauseWindow: env.alipay.refundPauseWindow,
    ...(env.paymentDeadlineMs === null ? {} : { paymentDeadlineMs: env.paymentDeadlineMs }),
  };
}

export function buildAppDeps(opts: { env: KioskEnv; platform: PlatformServices }): AppWiring {
  const { env, platform } = opts;
  const log = platform.log.child({ ns: "money" });
  const alipayKeys = createAlipayKeyRingFromEnv(env, {
    log: platform.log.child({ ns: "alipay" }),
    metrics: platform.metrics,
    shared: { db: platform.db, clock: platform.clock },
  });
  const alipay = alipayKeys.gateway;
  const payRequestKeyPath = join(env.ticketKeysDir, PAY_REQUEST_KEY_FILE);
  const payRequestKey = loadOrCreatePayRequestKey(payRequestKeyPath);
  if (!payRequestKey) {
    log.warn(
      "no pay request key and its folder is read-only: a pay after SYSTEM_ERROR is resent only by the process that started it",
      { path: payRequestKeyPath },
    );
  }
  return {
    alipayKeys,
    deps: {
      db: platform.db,
      clock: platform.clock,
      alipay,
      log,
      ticketKeys: fileTicketKeys(env.ticketKeysDir),
      ...(payRequestKey ? { payRequestKey } : {}),
      events: moneyEventSink(platform),
      metrics: moneyMetrics(platform.metrics),
      holdMs: env.orderHoldMs,
      ...(env.alipay.antom?.wallets ? { acceptedWallets: env.alipay.antom.wallets } : {}),
      ...(env.instanceId ? { instanceId: env.instanceId } : {}),
      policy: moneyPolicyOf(env),
    },
  };
}

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
  const dbHandle = createDb({ url: env.databaseUrl, baseDir: env.repoRoot, timeouts: env.databaseTimeouts });
  await tuneSqlite(dbHandle);
  // Best effort: a database not reachable yet is readiness's business (/readyz), not start-up's.
  await dbHandle.warm?.().catch((e: unknown) => log.warn("database connections not opened at start", { error: e }));
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
    rateLimitStore: dbHandle.provider === "postgresql" ? "database" : "memory",
    bridgeTokenKey,
  });
  const { deps, alipayKeys } = buildAppDeps({ env, platform });
  // Catalog rows a sale reads are cached 5 s (issue 16); merchant-field edits invalidate at once.
  // The stale-hold sweep and the daily reconciliation run once per period across the fleet (JobRuns).
  const money = createMoneyServices({
    catalogCacheMs: 5_000,
    ...deps,
    jobRuns: platform.jobRuns,
    worker: {
      holdSweepMs: env.holdSweepMs,
      ...(env.reconcileAtHour === null ? {} : { reconcileAtHour: env.reconcileAtHour }),
    },
  });
  const services: AppServices = Object.assign({}, platform, { money, alipayKeys });
  // The signing key is a row the whole fleet reads (alipay-key-ring.ts): re-read it every 2 s.
  const stopKeySync = alipayKeys.startSync();
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
      stopKeySync();
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
  // Not unref'd: in the worker's own process (scripts/worker.ts, no HTTP server) this timer is
  // what keeps the process alive while it waits; an unref'd one let Node exit with code 0.
  let retry: NodeJS.Timeout | undefined;
  ac.signal.addEventListener("abort", () => clearTimeout(retry), { once: true });
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
    retry = setTimeout(() => void attempt(), READINESS_RETRY_MS);
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
