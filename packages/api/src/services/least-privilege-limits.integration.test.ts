/**
 * Issue 15, items 4 and 7, over real HTTP where a caller is involved: a cashier cancels only
 * what their own open shift sold; kiosk credentials are rate-limited; rate-limit buckets,
 * event buffers and stored idempotency/audit rows are bounded and pruned on a schedule; an
 * idempotency claim left in_progress by a crash is recovered. SQLite, and PostgreSQL with
 * TEST_DATABASE_URL. Time is a FakeClock; nothing sleeps.
 */
import type { Server } from "node:http";
import { startSandbox, type RunningSandbox } from "@kiosk/alipay-sandbox";
import { DEMO_COUNTER_ID } from "@kiosk/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeClock } from "../clock.ts";
import { createHarness, providersFor, type Harness } from "../__tests__/platform-harness.ts";
import { callTrpc, serveApi } from "../__tests__/serve-http.ts";
import { ADULT, code, createAlipay, SLOT_14 } from "./__tests__/harness.ts";
import { EventsService } from "./events-service.ts";
import { IDEMPOTENCY_TTL_HOURS, requestHash } from "./idempotency-service.ts";
import { silentLogger } from "../log.ts";

const PG_URL = process.env.TEST_DATABASE_URL;

for (const provider of providersFor(PG_URL)) {
  describe(`least privilege and bounded data over HTTP on ${provider}`, () => {
    let h: Harness;
    let sandbox: RunningSandbox;
    let server: Server;
    let baseUrl: string;
    let kiosk: { authorization: string };
    beforeAll(async () => {
      let now = (): number => Date.parse("2026-03-01T02:00:00.000Z");
      sandbox = await startSandbox({ port: 0, clock: { now: () => now() }, tickIntervalMs: 0 });
      h = await createHarness(provider, {
        pgUrl: PG_URL,
        withTicketKeys: true,
        alipay: (clock) => createAlipay({ gatewayUrl: sandbox.gatewayUrl, clock }),
        overrides: {
          rateLimitPolicies: { kioskDevice: { capacity: 30, refillPerSec: 1 / 3600 } },
          auditRetentionDays: 30,
        },
      });
      now = () => h.clock.now().getTime();
      ({ server, baseUrl } = await serveApi(h));
      kiosk = { authorization: `Bearer ${await h.pairDemoKiosk()}` };
    });
    afterAll(async () => {
      server?.close();
      await h?.services.money.worker.stop();
      await h?.close();
      await sandbox?.close();
    });

    const asStaff = (token: string) => ({ cookie: `kiosk_session=${token}` });

    describe("item 4: a cashier cancels only orders and payments of their own open shift", () => {
      it("refuses a cashier the kiosk visitor's payment in flight and order, and allows their own", async () => {
        const order = await callTrpc<{ id: string }>(
          baseUrl,
          "order.create",
          { lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 1 }] },
          { headers: kiosk },
        );
        expect(order.error).toBeNull();
        const payment = await callTrpc<{ id: string; state: string }>(
          baseUrl,
          "payment.start",
          { orderId: order.data.id, paymentCode: code("pin_wait_never") },
          { headers: kiosk },
        );
        expect(payment.error).toBeNull();
        expect(payment.data.state).toBe("POLLING");

        const cashier = await h.staffSession("cashier");
        expect(
          (
            await callTrpc(
              baseUrl,
              "counter.openShift",
              { counterId: DEMO_COUNTER_ID },
              { headers: asStaff(cashier.token) },
            )
          ).error,
        ).toBeNull();
        expect(
          (
            await callTrpc(
              baseUrl,
              "payment.cancel",
              { paymentId: payment.data.id },
              { headers: asStaff(cashier.token) },
            )
          ).error,
        ).toBe("FORBIDDEN");
        expect(
          (await callTrpc(baseUrl, "order.cancel", { orderId: order.data.id }, { headers: asStaff(cashier.token) }))
            .error,
        ).toBe("FORBIDDEN");
        expect((await h.services.db.payment.findUniqueOrThrow({ where: { id: payment.data.id } })).state).toBe(
          "POLLING",
        );
        expect((await h.services.db.order.findUniqueOrThrow({ where: { id: order.data.id } })).state).not.toBe(
          "cancelled",
        );

        // Their own counter order they may cancel.
        const own = await callTrpc<{ id: string }>(
          baseUrl,
          "order.create",
          { lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 1 }] },
          { headers: asStaff(cashier.token) },
        );
        expect(own.error).toBeNull();
        expect(
          (await callTrpc(baseUrl, "order.cancel", { orderId: own.data.id }, { headers: asStaff(cashier.token) }))
            .error,
        ).toBeNull();
        // The kiosk itself still may cancel its visitor's payment.
        expect(
          (await callTrpc(baseUrl, "payment.cancel", { paymentId: payment.data.id }, { headers: kiosk })).error,
        ).toBeNull();
      });

      it("rate-limits a kiosk credential like an API key", async () => {
        const codes: Array<string | null> = [];
        for (let i = 0; i < 40; i++)
          codes.push((await callTrpc(baseUrl, "fleet.status", undefined, { type: "query", headers: kiosk })).error);
        expect(codes.filter((c) => c === null).length).toBeLessThanOrEqual(30);
        expect(codes).toContain("TOO_MANY_REQUESTS");
      });
    });

    describe("item 7: bounded and pruned data", () => {
      it("recovers an idempotency key a crashed request left in_progress, instead of a 24-hour CONFLICT", async () => {
        const { key, id } = await h.apiKey(["bookings:write", "bookings:read"]);
        const api = { authorization: `Bearer ${key}` };
        const lines = [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 1 }];
        // What a process that crashed inside the handler leaves behind.
        const now = h.clock.now();
        await h.services.db.idempotencyRecord.create({
          data: {
            id: "idm_crashed",
            scope: `api_client:${id}:booking.create`,
            key: "crashed-0001-abcdef",
            requestHash: requestHash({ lines }),
            state: "in_progress",
            createdAt: now,
            expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_HOURS * 3_600_000),
          },
        });
        const busy = await callTrpc(
          baseUrl,
          "booking.create",
          { idempotencyKey: "crashed-0001-abcdef", lines },
          { headers: api },
        );
        expect(busy.error).toBe("CONFLICT");
        expect(busy.details).toMatchObject({ isInProgress: true });
        h.clock.advance(10 * 60_000);
        const retried = await callTrpc<{ id: string }>(
          baseUrl,
          "booking.create",
          { idempotencyKey: "crashed-0001-abcdef", lines },
          { headers: api },
        );
        expect(retried.error).toBeNull();
        const replay = await callTrpc<{ id: string }>(
          baseUrl,
          "booking.create",
          { idempotencyKey: "crashed-0001-abcdef", lines },
          { headers: api },
        );
        expect(replay.data.id).toBe(retried.data.id);
      });

      it("prunes expired idempotency records, old audit rows and dead sessions on the maintenance schedule", async () => {
        const start = h.clock.now();
        await h.services.db.idempotencyRecord.create({
          data: {
            id: "idm_old",
            scope: "s",
            key: "old-key-0001",
            requestHash: "x",
            state: "completed",
            responseJson: "{}",
            createdAt: start,
            expiresAt: new Date(start.getTime() + 60_000),
          },
        });
        await h.services.audit.record({ actor: { type: "system", id: null }, action: "test.old_entry" });
        const staff = await h.staffSession("viewer");
        await h.services.auth.logout(staff.token);
        h.clock.advance(31 * 86_400_000);
        await h.services.audit.record({ actor: { type: "system", id: null }, action: "test.new_entry" });
        const report = await h.services.maintenance.tick();
        expect(report.idempotencyPurged).toBeGreaterThanOrEqual(1);
        expect(report.auditPruned).toBeGreaterThanOrEqual(1);
        expect(await h.services.db.idempotencyRecord.count({ where: { id: "idm_old" } })).toBe(0);
        expect(await h.services.db.auditLog.count({ where: { action: "test.old_entry" } })).toBe(0);
        expect(await h.services.db.auditLog.count({ where: { action: "test.new_entry" } })).toBe(1);
        expect(await h.services.db.staffSession.count({ where: { userId: staff.id } })).toBe(0);
      });
    });
  });
}

describe("item 7: in-memory structures have limits", () => {
  // Rate-limit buckets: rate-limit-fleet.integration.test.ts (memory bound and the fleet-shared store).

  it("buffers at most a bounded number of payloads for a subscriber that does not read", async () => {
    const events = new EventsService({
      db: undefined as never,
      clock: new FakeClock("2026-03-01T00:00:00.000Z"),
      log: silentLogger,
      maxBufferedPerSubscriber: 50,
    });
    const ac = new AbortController();
    const it = events.iterate("payment", { signal: ac.signal });
    const first = it.next();
    events.emit("payment", { n: 0 });
    expect((await first).value).toEqual({ n: 0 });
    for (let i = 1; i <= 10_000; i++) events.emit("payment", { n: i });
    const received: number[] = [];
    for (;;) {
      const next = await Promise.race([it.next(), new Promise<null>((resolve) => setImmediate(() => resolve(null)))]);
      if (!next || next.done) break;
      received.push((next.value as { n: number }).n);
    }
    ac.abort();
    expect(received.length).toBeLessThanOrEqual(50);
    // The newest payloads are the ones kept.
    expect(received[received.length - 1]).toBe(10_000);
  });
});
