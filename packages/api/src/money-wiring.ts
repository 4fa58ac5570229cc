/**
 * Adapts platform services to the money services' plain dependency types
 * (services/money-deps.ts), builds the Alipay client from env, and turns the money
 * path's in-process events into durable domain events for booking systems.
 */
import { join } from "node:path";
import { createAlipayClient, type AlipayClientConfig, type ResponseSummary } from "@kiosk/alipay-core";
import type { KioskEnv } from "./env.ts";
import { AlipayKeyRing, alipayKeyFingerprint, type SharedKeyState } from "./alipay-key-ring.ts";
import type { Logger } from "./log.ts";
import type { KioskMetrics } from "./metrics.ts";
import type { AlipayGateway } from "./services/gateway.ts";
import type { MoneyDeps, MoneyEventSink, MoneyMetrics } from "./services/money-deps.ts";
import type { PlatformServices } from "./services/platform.ts";
import { fileTicketKeys } from "./services/ticket-keys.ts";
import { loadOrCreatePayRequestKey } from "./services/pay-request-seal.ts";
import { EVENT_ACTION_PREFIX } from "./services/audit-service.ts";
import { DOMAIN_EVENT_TYPES, type DomainEventType } from "./services/events-service.ts";

/** Seals stored pay requests (services/pay-request-seal.ts); next to the ticket keys, shared by a fleet the same way. */
export const PAY_REQUEST_KEY_FILE = "pay-request.key";

/** Milliseconds buckets for the money path's `*_ms` histograms. */
const MS_BUCKETS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000];

/** The Alipay client configuration; `slot` picks the app certificate of the current or next merchant key (certificate mode). */
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
    merchant: { ...(a.storeId ? { storeId: a.storeId } : {}), ...(a.terminalId ? { terminalId: a.terminalId } : {}) },
  };
}

/** The Alipay client(s) for the current and, if configured, the next merchant key (alipay-key-ring.ts). */
export function createAlipayKeyRingFromEnv(
  env: KioskEnv,
  deps: { log: Logger; metrics: KioskMetrics; shared?: SharedKeyState },
): AlipayKeyRing {
  const onResponse = (s: ResponseSummary): void => {
    deps.metrics.gatewayLatencySeconds.observe(s.durationMs / 1000, {
      operation: s.operation,
      outcome: s.outcome === "error" ? "error" : "ok",
    });
    if (s.operation === "query") deps.metrics.paymentPollsTotal.inc({ result: s.outcome });
  };
  const build = (config: AlipayClientConfig): AlipayGateway =>
    createAlipayClient(config, { logger: deps.log, hooks: { onResponse } });
  const a = env.alipay;
  const isRsa = a.signType !== "MD5";
  const fingerprintOf = (pem: string | null): string | null => (isRsa && pem ? alipayKeyFingerprint(pem) : null);
  const next =
    isRsa && a.nextPrivateKeyPem
      ? {
          gateway: build({ ...alipayClientConfig(env, "next"), privateKey: a.nextPrivateKeyPem }),
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

/** The money path's generic counters land in the Prometheus registry under their own names. */
export function moneyMetricsAdapter(metrics: KioskMetrics): MoneyMetrics {
  return {
    inc(name, labels, value) {
      metrics.registry.counter(name, name.replace(/^kiosk_/, "").replace(/_/g, " ")).inc(labels, value ?? 1);
    },
    observe(name, value, labels) {
      const isMs = name.endsWith("_ms");
      metrics.registry
        .histogram(name, name.replace(/^kiosk_/, "").replace(/_/g, " "), isMs ? MS_BUCKETS : undefined)
        .observe(value, labels);
    },
  };
}

/**
 * The money path publishes in-process topics (e.g. "payment" on every state change).
 * Each is re-emitted on the platform bus (subscriptions follow it); topics named like a
 * domain event with an attractionId are stored as is. `sale.completed` is written by the
 * money path itself inside the transaction that records the order paid (`publishInTx`,
 * at most one per order); after a payment's PAID commit only the kiosk's last sale is updated.
 */
export function moneyEventSink(platform: PlatformServices): MoneyEventSink {
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
      if (topic === "payment" && payload.state === "PAID" && typeof payload.paymentId === "string") {
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
            actor: { type: "system", id: null },
            data: payload,
          })
          .catch((e: unknown) => log.error("domain event failed", { topic, error: e }));
      }
    },
    async publishInTx(tx, event) {
      const existing = await tx.auditLog.count({
        where: {
          action: `${EVENT_ACTION_PREFIX}${event.type}`,
          targetType: event.subject.type,
          targetId: event.subject.id,
        },
      });
      if (existing > 0) return;
      await events.publish({ ...event, actor: { type: "system", id: null } }, tx);
    },
  };
}

export interface MoneyWiring {
  deps: MoneyDeps;
  /** Current/next merchant keys behind `deps.alipay` (alipayKeys router). */
  alipayKeys: AlipayKeyRing;
}

export function buildMoneyDeps(opts: { env: KioskEnv; platform: PlatformServices }): MoneyWiring {
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
      metrics: moneyMetricsAdapter(platform.metrics),
      holdMs: env.orderHoldMs,
      ...(env.instanceId ? { instanceId: env.instanceId } : {}),
      ...(env.paymentDeadlineMs === null ? {} : { policy: { paymentDeadlineMs: env.paymentDeadlineMs } }),
    },
  };
}
