/**
 * Issue 19: Alipay's notification while the database is away. Real HTTP end to end: the sandbox
 * POSTs its signed notification to our notify endpoint (node:http, the headless server's
 * handlers), whose PostgreSQL sits behind a TCP proxy that the test switches to refusing (a
 * stopped server). The endpoint answers 503 with retry-after, not `success`, so Alipay keeps the
 * notification; once the database is back, Alipay's scheduled re-send is accepted and settles
 * the payment (the worker never ticks here, so only the notification can have settled it).
 * PostgreSQL only (TEST_DATABASE_URL). FakeClock drives the sandbox's PIN wait and re-sends.
 */
import type { Server } from "node:http";
import { DEMO_ATTRACTIONS, createDb, seed, type DbHandle } from "@kiosk/db";
import { createTestDatabase, type TestDatabase } from "@kiosk/db/testing";
import { startSandbox, type RunningSandbox } from "@kiosk/alipay-sandbox";
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRuntime } from "./app-services.ts";
import { parseEnv } from "./env.ts";
import { NOTIFY_ENDPOINT, apiRequestHandler } from "./http-handlers.ts";
import { silentLogger } from "./log.ts";
import { serve } from "./__tests__/serve-http.ts";
import { switchableProxy, type SwitchableProxy } from "./__tests__/tcp-proxy.ts";
import { ADULT, KIOSK, PG_URL, SLOT_14, START, code, createAlipay } from "./services/__tests__/harness.ts";
import { createMoneyServices, type MoneyServices } from "./services/index.ts";
import { createPlatformServices } from "./services/platform.ts";
import { memoryTicketKeys } from "./services/ticket-keys.ts";
import { FakeClock } from "./clock.ts";

const RESEND_MS = 120_000; // Alipay's first re-send comes 2 minutes after the first attempt

describe.skipIf(!PG_URL)("a notification while PostgreSQL is away (real HTTP)", () => {
  let tdb: TestDatabase;
  let proxy: SwitchableProxy;
  let handle: DbHandle;
  let sandbox: RunningSandbox;
  let server: Server;
  let baseUrl: string;
  let money: MoneyServices;
  const clock = new FakeClock(START);

  beforeAll(async () => {
    tdb = await createTestDatabase("postgresql", PG_URL);
    const ticketKeys: Record<string, string> = {};
    for (const a of DEMO_ATTRACTIONS)
      ticketKeys[a.id] = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    await seed(tdb.db, {
      now: clock.now(),
      days: 1,
      adminPassword: "test-password",
      kioskPairingCode: "PAIR1234",
      ticketKeys,
    });
    const u = new URL(tdb.url);
    proxy = await switchableProxy({ host: u.hostname, port: Number(u.port) });
    u.port = String(proxy.port);
    handle = createDb({
      url: u.toString(),
      timeouts: { connectMs: 1_000, statementMs: 2_000, idleInTransactionMs: 5_000 },
    });
    sandbox = await startSandbox({ port: 0, clock: { now: () => clock.now().getTime() }, tickIntervalMs: 0 });
    let runtime: AppRuntime | undefined;
    ({ server, baseUrl } = await serve(apiRequestHandler(async () => runtime!)));
    const platform = createPlatformServices({ db: handle.db, clock, log: silentLogger, sessionTtlMinutes: 60 });
    money = createMoneyServices({
      db: handle.db,
      provider: "postgresql",
      clock,
      alipay: createAlipay({ gatewayUrl: sandbox.gatewayUrl, clock, notifyUrl: `${baseUrl}${NOTIFY_ENDPOINT}` }),
      ticketKeys: memoryTicketKeys(ticketKeys),
    });
    runtime = {
      env: parseEnv({ NODE_ENV: "test", DATABASE_URL: u.toString(), PUBLIC_URL: baseUrl }),
      dbHandle: handle,
      services: { ...platform, money },
      stop: async () => undefined,
    };
  });
  afterAll(async () => {
    if (server) await new Promise((r) => server.close(r));
    await sandbox?.close();
    await handle?.close();
    await proxy?.close();
    await tdb?.drop();
  });

  const deliveries = () => sandbox.store.notifications.filter((n) => n.url.endsWith(NOTIFY_ENDPOINT));

  it("answers 503 + retry-after while the database is away; Alipay's re-send after recovery settles the payment", async () => {
    const order = await money.orders.create({
      actor: KIOSK,
      lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 2 }],
    });
    // The buyer enters the PIN 30 s later: the pay answers WAIT_BUYER_PAY, the payment polls.
    const payment = await money.payments.start({
      orderId: order.id,
      paymentCode: code("pin_wait_confirm", { parameter: 30 }),
      actor: KIOSK,
    });
    expect(payment.state).toBe("POLLING");

    proxy.refuse(); // PostgreSQL stops
    clock.advance(31_000);
    await sandbox.tick(); // the buyer confirms: TRADE_SUCCESS, and the sandbox POSTs the notification
    const [delivery] = deliveries();
    expect(delivery).toMatchObject({ attempts: 1, status: "pending" });
    expect(delivery!.lastResponse).toMatch(/^503 /);
    // What Alipay was told, asked again directly: 503 with a retry-after, never `success`.
    const direct = await fetch(`${baseUrl}${NOTIFY_ENDPOINT}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(delivery!.params).toString(),
    });
    expect(direct.status).toBe(503);
    expect(direct.headers.get("retry-after")).toBe("30");
    expect(await direct.text()).not.toBe("success");

    proxy.forward(); // PostgreSQL is back
    clock.advance(RESEND_MS);
    await sandbox.tick(); // Alipay's scheduled re-send
    expect(deliveries()[0]).toMatchObject({ attempts: 2, status: "delivered" });
    expect(deliveries()[0]!.lastResponse).toMatch(/^200 success/);
    const row = await tdb.db.payment.findUniqueOrThrow({ where: { id: payment.id } });
    expect(row.state).toBe("PAID");
    expect(await tdb.db.ticket.count({ where: { orderId: order.id } })).toBe(2);
  }, 60_000);
});
