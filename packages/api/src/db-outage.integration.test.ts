/**
 * Issue 19, item 4: a database that fails loudly and recovers. /readyz's check fails within
 * seconds when PostgreSQL is a closed port or a blackhole (accepts, never answers), and recovers
 * by itself on the same pool when it answers again (a TCP proxy in front of the real server that
 * we switch between forwarding and blackholing). The worker's loop reports a failing database
 * once and its recovery once, not once per tick.
 */
import { createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { createDb, migrate } from "@kiosk/db";
import { createTestDatabase, type TestDatabase } from "@kiosk/db/testing";
import { afterAll, describe, expect, it, vi } from "vitest";
import { checkReadiness } from "./readiness.ts";
import { createTickLoop } from "./services/tick-loop.ts";
import { closedPort, switchableProxy } from "./__tests__/tcp-proxy.ts";

const PG_URL = process.env.TEST_DATABASE_URL;

const timeouts = { connectMs: 1_000, statementMs: 2_000, idleInTransactionMs: 5_000 };

describe("readiness when PostgreSQL is away", () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    // A pool whose connection sits in a blackhole may never finish closing: give each step 5 s.
    const bounded = (p: Promise<unknown>) => Promise.race([p, new Promise((r) => setTimeout(r, 5_000).unref())]);
    for (const c of cleanup.reverse()) await bounded(c().catch(() => undefined));
  });

  it("fails within seconds on a closed port", async () => {
    const handle = createDb({ url: `postgresql://kiosk:kiosk@127.0.0.1:${await closedPort()}/kiosk`, timeouts });
    cleanup.push(() => handle.close());
    const t0 = Date.now();
    const report = await checkReadiness(handle.db, "postgresql");
    expect(report.isReady).toBe(false);
    expect(report.checks.database.isOk).toBe(false);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it("fails within seconds on a blackhole (accepts, never answers)", async () => {
    const held = new Set<Socket>();
    const hole = createServer((socket) => {
      held.add(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>((r) => hole.listen(0, "127.0.0.1", r));
    // server.close waits for every held connection: drop them first.
    cleanup.push(() => {
      for (const socket of held) socket.destroy();
      return new Promise((r) => hole.close(r));
    });
    const port = (hole.address() as AddressInfo).port;
    const handle = createDb({ url: `postgresql://kiosk:kiosk@127.0.0.1:${port}/kiosk`, timeouts });
    cleanup.push(() => handle.close());
    const t0 = Date.now();
    const report = await checkReadiness(handle.db, "postgresql");
    expect(report.checks.database).toMatchObject({ isOk: false });
    expect(Date.now() - t0).toBeLessThan(4_000);
  }, 20_000);

  describe.skipIf(!PG_URL)("and comes back", () => {
    let tdb: TestDatabase;
    afterAll(async () => {
      await tdb?.drop();
    });

    it("is ready, fails within seconds of the database going silent, and recovers by itself", async () => {
      tdb = await createTestDatabase("postgresql", PG_URL);
      const u = new URL(tdb.url);
      const proxy = await switchableProxy({ host: u.hostname, port: Number(u.port) });
      cleanup.push(() => proxy.close());
      u.port = String(proxy.port);
      const handle = createDb({ url: u.toString(), timeouts });
      cleanup.push(() => handle.close());
      await migrate(handle);
      expect((await checkReadiness(handle.db, "postgresql")).isReady).toBe(true);

      proxy.blackhole();
      const t0 = Date.now();
      expect((await checkReadiness(handle.db, "postgresql")).isReady).toBe(false);
      expect(Date.now() - t0).toBeLessThan(4_000);

      proxy.forward();
      const t1 = Date.now();
      await vi.waitFor(async () => expect((await checkReadiness(handle.db, "postgresql")).isReady).toBe(true), {
        timeout: 15_000,
        interval: 200,
      });
      expect(Date.now() - t1).toBeLessThan(15_000);
    }, 60_000);
  });
});

describe("the worker loop while the database is away", () => {
  it("logs once when ticks start failing and once when they succeed again, backing off meanwhile", async () => {
    let isDown = true;
    let ticks = 0;
    const errors: string[] = [];
    const recoveries: { failedTicks: number }[] = [];
    const loop = createTickLoop(
      async () => {
        ticks += 1;
        if (isDown) throw new Error("Can't reach database server");
      },
      { intervalMs: 1, maxBackoffMs: 4, onError: (m) => errors.push(m), onRecover: (i) => recoveries.push(i) },
    );
    loop.start();
    await vi.waitFor(() => expect(ticks).toBeGreaterThanOrEqual(10), { timeout: 5_000, interval: 5 });
    isDown = false;
    await vi.waitFor(() => expect(recoveries).toHaveLength(1), { timeout: 5_000, interval: 5 });
    const after = ticks;
    await vi.waitFor(() => expect(ticks).toBeGreaterThan(after + 3), { timeout: 5_000, interval: 5 });
    await loop.stop();
    expect(errors).toEqual(["Can't reach database server"]);
    expect(recoveries).toHaveLength(1);
    expect(recoveries[0]!.failedTicks).toBeGreaterThanOrEqual(10);
  });
});
