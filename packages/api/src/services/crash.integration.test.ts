import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, scenarioCode, type RunningSandbox } from "@kiosk/alipay-sandbox";
import { DEMO_ATTRACTIONS, seed, type DbProvider } from "@kiosk/db";
import { createTestDatabase, type TestDatabase } from "@kiosk/db/testing";
import { PG_URL } from "./__tests__/harness.ts";

const CHILD = join(import.meta.dirname, "__tests__", "crash-child.ts");

/** Runs the child; resolves `waitFor(prefix)` as soon as a line starting with it appears. */
function runChild(args: Record<string, unknown>) {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", CHILD, JSON.stringify(args)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters: { prefix: string; resolve: (line: string) => void }[] = [];
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on("line", (line) => {
    lines.push(line);
    for (const w of [...waiters])
      if (line.startsWith(w.prefix)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    waitFor: (prefix: string) =>
      new Promise<string>((resolve, reject) => {
        const found = lines.find((l) => l.startsWith(prefix));
        if (found) return resolve(found);
        waiters.push({ prefix, resolve });
        void exited.then((code) =>
          reject(new Error(`child exited (${code}) before "${prefix}": ${stderr.slice(-2000)}`)),
        );
      }),
  };
}

const providers: { provider: DbProvider; skip: boolean }[] = [
  { provider: "sqlite", skip: false },
  { provider: "postgresql", skip: !PG_URL },
];

for (const { provider, skip } of providers) {
  describe.skipIf(skip)(`a crash mid-payment on ${provider}`, () => {
    let db: TestDatabase;
    let sandbox: RunningSandbox;
    let keysDir: string;
    beforeAll(async () => {
      db = await createTestDatabase(provider, provider === "postgresql" ? PG_URL : undefined);
      keysDir = mkdtempSync(join(tmpdir(), "kiosk-keys-"));
      const keys: Record<string, string> = {};
      for (const a of DEMO_ATTRACTIONS) {
        keys[a.id] = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
        writeFileSync(join(keysDir, `${a.id}.pem`), keys[a.id]!, { mode: 0o600 });
      }
      // Real time here: two processes cannot share a fake clock. The slot must still be open.
      const now = new Date();
      await seed(db.db, { now, days: 2, adminPassword: "x-password", kioskPairingCode: "PAIR", ticketKeys: keys });
      const day = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Singapore" }).format(now);
      await db.db.slot.upsert({
        where: { id: `slot_skyline_${"2026-03-01"}_1400` },
        update: { endsAt: new Date(now.getTime() + 86_400_000), capacity: 1000 },
        create: {
          id: `slot_skyline_2026-03-01_1400`,
          attractionId: "attr_skyline",
          kind: "timed",
          day,
          startsAt: new Date(now.getTime() - 3_600_000),
          endsAt: new Date(now.getTime() + 86_400_000),
          capacity: 1000,
        },
      });
      sandbox = await startSandbox({ port: 0, tickIntervalMs: 50 });
    });
    afterAll(async () => {
      await sandbox?.close();
      await db?.drop();
      rmSync(keysDir, { recursive: true, force: true });
    });

    it("resumes every payment after SIGKILL: nothing lost, no ticket issued twice", async () => {
      const plans = [
        { label: "A", code: scenarioCode("success", { serial: 11 }), pause: "before_pay" },
        { label: "B", code: scenarioCode("success", { serial: 12 }), pause: "after_pay" },
        { label: "C", code: scenarioCode("pin_wait_never", { serial: 13 }) },
        { label: "D", code: scenarioCode("success", { serial: 14 }) },
        { label: "E", code: scenarioCode("pin_wait_confirm", { serial: 15, parameter: 2 }) },
      ];
      const common = {
        dbUrl: db.url,
        provider,
        gatewayUrl: sandbox.gatewayUrl,
        keysDir,
        instanceId: "kiosk-server-1",
        plans,
      };
      const first = runChild({ ...common, mode: "first" });
      await Promise.all([
        first.waitFor("PAUSED A before_pay"),
        first.waitFor("PAUSED B after_pay paid"),
        first.waitFor("STARTED C"),
        first.waitFor("STARTED D"),
        first.waitFor("STARTED E"),
      ]);
      const orderOf = (label: string) => first.lines.find((l) => l.startsWith(`ORDER ${label} `))!.split(" ")[2]!;
      const beforeKill = await db.db.payment.findMany({ include: { order: true } });
      expect(beforeKill.find((p) => p.orderId === orderOf("A"))?.state).toBe("SENDING");
      expect(beforeKill.find((p) => p.orderId === orderOf("B"))?.state).toBe("SENDING");
      expect(beforeKill.find((p) => p.orderId === orderOf("D"))?.state).toBe("PAID");
      process.kill(first.child.pid!, "SIGKILL");
      await first.exited;

      const second = runChild({ ...common, mode: "resume" });
      await second.waitFor("DONE");
      await second.exited;

      const expected: Record<string, { state: string; tickets: number; orderState: string }> = {
        A: { state: "CANCELLED", tickets: 0, orderState: "cancelled" },
        B: { state: "PAID", tickets: 2, orderState: "paid" },
        C: { state: "CANCELLED", tickets: 0, orderState: "cancelled" },
        D: { state: "PAID", tickets: 2, orderState: "paid" },
        E: { state: "PAID", tickets: 2, orderState: "paid" },
      };
      for (const [label, want] of Object.entries(expected)) {
        const orderId = orderOf(label);
        const payments = await db.db.payment.findMany({ where: { orderId } });
        expect(payments, label).toHaveLength(1);
        expect(payments[0]!.state, label).toBe(want.state);
        expect(payments[0]!.leaseOwner, label).toBeNull();
        expect(await db.db.ticket.count({ where: { orderId } }), label).toBe(want.tickets);
        expect((await db.db.order.findUniqueOrThrow({ where: { id: orderId } })).state, label).toBe(want.orderState);
        const events = await db.db.paymentEvent.findMany({
          where: { paymentId: payments[0]!.id },
          orderBy: { seq: "asc" },
        });
        expect(
          events.map((e) => e.seq),
          label,
        ).toEqual(events.map((_, i) => i + 1));
      }
      // The gateway agrees: B was charged once and kept, A never reached it.
      const trades = [...sandbox.store.trades.values()];
      const tradeOf = (label: string) =>
        trades.filter((t) => t.outTradeNo.startsWith(`K${orderOf(label).replace(/^ord_/, "")}`));
      expect(tradeOf("A")).toHaveLength(0);
      expect(tradeOf("B").map((t) => t.status)).toEqual(["TRADE_SUCCESS"]);
      expect(tradeOf("C").map((t) => t.status)).toEqual(["TRADE_CLOSED"]);
      const slot = await db.db.slot.findUniqueOrThrow({ where: { id: "slot_skyline_2026-03-01_1400" } });
      expect(slot).toMatchObject({ sold: 6, held: 0 });
    });
  });
}
