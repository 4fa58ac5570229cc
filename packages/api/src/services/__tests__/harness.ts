/**
 * Test harness for the money path: a fresh migrated database (SQLite or PostgreSQL), the
 * demo seed, a real HTTP sandbox gateway on port 0 and alipay-core's real client, all on one
 * fake clock. Tests move time with `advance()` and drive the worker with `tick()`.
 */
import { generateKeyPairSync } from "node:crypto";
import { createAlipayClient, parseNotificationBody } from "@kiosk/alipay-core";
import {
  TEST_ANTOM_CLIENT_ID,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MD5_KEY,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_PARTNER_ID,
} from "@kiosk/alipay-core/testing";
import { startSandbox, scenarioCode, type RunningSandbox, type ScenarioId } from "@kiosk/alipay-sandbox";
import { DEMO_ATTRACTIONS, seed, type Db, type DbProvider } from "@kiosk/db";
import { createTestDatabase, type TestDatabase } from "@kiosk/db/testing";
import { FakeClock } from "../../clock.ts";
import type { AlipayGateway } from "../gateway.ts";
import { createMoneyServices, type MoneyServices } from "../index.ts";
import type { Actor, MoneyEventSink, MoneyLogger, MoneyMetrics } from "../money-deps.ts";
import { memoryTicketKeys } from "../ticket-keys.ts";
import type { PaymentPolicy } from "../payment-policy.ts";

export const START = "2026-03-01T02:00:00.000Z"; // 10:00 in Singapore
export const DAY = "2026-03-01";
export const KIOSK: Actor = { type: "kiosk", id: "kiosk_lobby_1", attractionId: "attr_skyline" };
export const OTHER_KIOSK: Actor = { type: "kiosk", id: "kiosk_other", attractionId: "attr_skyline" };
export const STAFF: Actor = { type: "staff", id: "staff_admin", role: "admin" };
export const ADULT = "tt_skyline_adult";
export const CHILD = "tt_skyline_child";
export const SLOT_14 = `slot_skyline_${DAY}_1400`;

export const PG_URL = process.env.TEST_DATABASE_URL;
/** Seals stored pay requests in tests (production: a key file, app-services.ts). */
export const TEST_PAY_REQUEST_KEY = Buffer.alloc(32, 7);

export interface GatewayCounts {
  pay: number;
  query: number;
  cancel: number;
  refund: number;
  refundQuery: number;
  settlement: number;
}

/** Wraps a gateway to count calls per operation (and per partnerTransId), for duplicate checks. */
export function countingGateway(inner: AlipayGateway) {
  const counts: GatewayCounts = { pay: 0, query: 0, cancel: 0, refund: 0, refundQuery: 0, settlement: 0 };
  const perTrade = new Map<string, GatewayCounts>();
  const bump = (op: keyof GatewayCounts, id?: string): void => {
    counts[op] += 1;
    if (id) {
      const c = perTrade.get(id) ?? { pay: 0, query: 0, cancel: 0, refund: 0, refundQuery: 0, settlement: 0 };
      c[op] += 1;
      perTrade.set(id, c);
    }
  };
  const gateway: AlipayGateway = {
    protocol: inner.protocol,
    pay: (r, o) => (bump("pay", r.partnerTransId), inner.pay(r, o)),
    signPay: (r) => inner.signPay(r),
    sendPay: (s, o) => (bump("pay", s.partnerTransId), inner.sendPay(s, o)),
    query: (r, o) => (bump("query", r.partnerTransId), inner.query(r, o)),
    cancel: (r, o) => (bump("cancel", r.partnerTransId), inner.cancel(r, o)),
    refund: (r, o) => (bump("refund", r.partnerTransId), inner.refund(r, o)),
    refundQuery: (r, o) => (bump("refundQuery", r.partnerTransId), inner.refundQuery(r, o)),
    downloadSettlement: (r, o) => (bump("settlement"), inner.downloadSettlement(r, o)),
    verifyNotification: (p) => inner.verifyNotification(p),
  };
  return { gateway, counts, perTrade };
}

export function createAlipay(input: {
  gatewayUrl: string;
  clock: FakeClock;
  protocol?: "mapi" | "openapi" | "antom";
  notifyUrl?: string;
  signType?: "RSA2" | "MD5";
  hasShortTimeouts?: boolean;
  log?: MoneyLogger;
}): AlipayGateway {
  const clock = { now: () => input.clock.now().getTime(), sleep: () => Promise.resolve() };
  const deps = { clock, ...(input.log ? { logger: input.log } : {}) };
  const common = {
    gatewayUrl: input.gatewayUrl,
    privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
    alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
    ...(input.hasShortTimeouts === false
      ? {}
      : { timeouts: { pay: 10_000, query: 10_000, cancel: 10_000, refund: 10_000, settlement: 10_000 } }),
    ...(input.notifyUrl ? { notifyUrl: input.notifyUrl } : {}),
  };
  if (input.protocol === "antom") {
    // Antom's gateway URL is the domain; the client adds /ams/api/v1/payments/….
    return createAlipayClient(
      { protocol: "antom", clientId: TEST_ANTOM_CLIENT_ID, ...common, gatewayUrl: new URL(input.gatewayUrl).origin },
      deps,
    );
  }
  if (input.protocol === "openapi") {
    return createAlipayClient(
      { protocol: "openapi", appId: "2021000000000001", sellerId: TEST_PARTNER_ID, ...common },
      deps,
    );
  }
  if (input.signType === "MD5") {
    return createAlipayClient(
      { protocol: "mapi", partnerId: TEST_PARTNER_ID, signType: "MD5", md5Key: TEST_MD5_KEY, ...common },
      deps,
    );
  }
  return createAlipayClient({ protocol: "mapi", partnerId: TEST_PARTNER_ID, signType: "RSA2", ...common }, deps);
}

export interface Harness {
  db: TestDatabase;
  clock: FakeClock;
  sandbox: RunningSandbox;
  services: MoneyServices;
  counts: GatewayCounts;
  perTrade: Map<string, GatewayCounts>;
  ticketKeyPems: Record<string, string>;
  /** Notifications the sandbox tried to POST (params, verified later by the service). */
  notifications: Record<string, string>[];
  metrics: Map<string, number>;
  advance(ms: number): Promise<void>;
  /** Advances time and ticks sandbox + worker until the payment settles (or `maxSteps`). */
  settle(paymentId: string, options?: { stepMs?: number; maxSteps?: number }): Promise<string>;
  buy(input?: {
    quantity?: number;
    code?: string;
    actor?: Actor;
  }): Promise<{ orderId: string; paymentId: string; state: string }>;
  close(): Promise<void>;
}

export function code(id: ScenarioId, options: { parameter?: number; serial?: number } = {}): string {
  return scenarioCode(id, {
    serial: options.serial ?? Math.floor(Math.random() * 99_999_999),
    ...(options.parameter !== undefined ? { parameter: options.parameter } : {}),
  });
}

export async function createHarness(
  provider: DbProvider,
  options: {
    policy?: Partial<PaymentPolicy>;
    instanceId?: string;
    dbUrl?: string;
    protocol?: "mapi" | "openapi" | "antom";
    eventSink?: (db: Db, clock: FakeClock) => MoneyEventSink;
    /** Receives the services' and the Alipay client's log records (silent when absent). */
    log?: MoneyLogger;
  } = {},
): Promise<Harness> {
  const clock = new FakeClock(START);
  const db = await createTestDatabase(provider, provider === "postgresql" ? PG_URL : undefined);
  const ticketKeyPems: Record<string, string> = {};
  for (const a of DEMO_ATTRACTIONS)
    ticketKeyPems[a.id] = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  await seed(db.db, {
    now: clock.now(),
    days: 2,
    adminPassword: "test-password",
    kioskPairingCode: "PAIR1234",
    ticketKeys: ticketKeyPems,
  });
  await db.db.kiosk.create({ data: { id: "kiosk_other", attractionId: "attr_skyline", name: "Other kiosk" } });
  const notifications: Record<string, string>[] = [];
  const sandbox = await startSandbox({
    port: 0,
    clock: { now: () => clock.now().getTime() },
    tickIntervalMs: 0,
    slowResponseScale: 0.001,
    notifications: {
      transport: async (request) => {
        notifications.push(parseNotificationBody(request.body));
        return { status: 200, text: "success" };
      },
    },
  });
  const counting = countingGateway(
    createAlipay({
      gatewayUrl: sandbox.gatewayUrl,
      clock,
      notifyUrl: "http://127.0.0.1:9/api/alipay/notify",
      ...(options.protocol ? { protocol: options.protocol } : {}),
      ...(options.log ? { log: options.log } : {}),
    }),
  );
  const metrics = new Map<string, number>();
  const metricsSink: MoneyMetrics = {
    inc: (name, labels, value = 1) => {
      const key = `${name}${labels && Object.keys(labels).length > 0 ? JSON.stringify(labels) : ""}`;
      metrics.set(key, (metrics.get(key) ?? 0) + value);
    },
  };
  const services = createMoneyServices({
    db: db.db,
    provider,
    clock,
    alipay: counting.gateway,
    ticketKeys: memoryTicketKeys(ticketKeyPems),
    metrics: metricsSink,
    payRequestKey: TEST_PAY_REQUEST_KEY,
    ...(options.policy ? { policy: options.policy } : {}),
    ...(options.instanceId ? { instanceId: options.instanceId } : {}),
    ...(options.eventSink ? { events: options.eventSink(db.db, clock) } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const advance = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await sandbox.tick();
  };
  const settle = async (paymentId: string, o: { stepMs?: number; maxSteps?: number } = {}): Promise<string> => {
    for (let i = 0; i < (o.maxSteps ?? 200); i++) {
      const p = await db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
      if (!["SENDING", "POLLING", "CANCELLING", "REFUNDING"].includes(p.state)) return p.state;
      await advance(o.stepMs ?? 1_000);
      await services.worker.tick();
    }
    return (await db.db.payment.findUniqueOrThrow({ where: { id: paymentId } })).state;
  };
  const buy: Harness["buy"] = async (input = {}) => {
    const actor = input.actor ?? KIOSK;
    const order = await services.orders.create({
      actor,
      lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: input.quantity ?? 2 }],
    });
    const payment = await services.payments.start({
      orderId: order.id,
      paymentCode: input.code ?? code("success"),
      actor,
    });
    return { orderId: order.id, paymentId: payment.id, state: payment.state };
  };
  return {
    db,
    clock,
    sandbox,
    services,
    counts: counting.counts,
    perTrade: counting.perTrade,
    ticketKeyPems,
    notifications,
    metrics,
    advance,
    settle,
    buy,
    close: async () => {
      await services.worker.stop();
      await sandbox.close();
      await db.drop();
    },
  };
}
