/**
 * The fleet proof (`npm run proof:fleet`; small in `npm test`): its own PostgreSQL cluster, three
 * API servers (scripts/api-server.ts, WORKER=off) behind a round-robin proxy, two payment workers
 * (scripts/worker.ts), the sandbox gateway. Kiosk and booking traffic for `seconds`; during it:
 * SIGKILL a worker (its leases are taken over by the other), SIGKILL a server (the proxy routes
 * around it; restarted), stop PostgreSQL for `outageSeconds` and start it again, switch the Alipay
 * key, and hit two rate limits from all servers at once. Then the money checker (checker.ts) and
 * the fleet checks: rate limits within 10 % fleet-wide, no request signed with the old key after
 * the switch reached the fleet, exactly one scheduled reconciliation per day.
 */
import { generateKeyPairSync } from "node:crypto";
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAlipayClient, generateRsaKeyPair } from "@kiosk/alipay-core";
import { startSandbox, type TradeView } from "@kiosk/alipay-sandbox";
import { DEMO_ATTRACTIONS, seed } from "@kiosk/db";
import { createTestDatabase } from "@kiosk/db/testing";
import { alipayKeyFingerprint, DEFAULT_KEY_REFRESH_MS } from "@kiosk/api/alipay-key-ring.ts";
import { findRepoRoot } from "@kiosk/api/env.ts";
import { RATE_LIMIT_POLICIES, windowMsOf } from "@kiosk/api/services/rate-limit.ts";
import { DEFAULT_PAYMENT_POLICY } from "@kiosk/api/services/payment-policy.ts";
import { checkMoneyInvariants, readLedger, reconcileDays, settlementDaysOf, type CheckReport } from "../checker.ts";
import { freePort, ServerProcess } from "../server-process.ts";
import { startOwnCluster } from "./cluster.ts";
import { startRoundRobin } from "./round-robin.ts";
import {
  ATTRACTION,
  apiClient,
  codeOf,
  newTally,
  runBookingSystem,
  runKiosk,
  staffClient,
  type Api,
} from "./traffic.ts";

export interface FleetOptions {
  /** Traffic duration. */
  seconds: number;
  /** How long PostgreSQL stays stopped. @default 20 */
  outageSeconds?: number;
  kiosks?: number;
  bookingSystems?: number;
  /** The environment the children inherit (PATH, HOME…). */
  parentEnv: Readonly<Record<string, string | undefined>>;
  onProgress?: (line: string) => void;
}

export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** e.g. "<= 30000"; null: reported, no target. */
  target: string | null;
  met: boolean | null;
}

export interface FleetResult {
  figures: Figure[];
  report: CheckReport;
  /** Every problem found (checker findings and fleet checks); empty when the proof passed. */
  problems: string[];
  failures: Record<string, number>;
  served: number[];
  wallTimeMs: number;
  logFile: string;
}

const ADMIN = { email: "admin@example.com", password: "fleet-proof-password" };
const PARTNER_ID = "2088000000019190";
const PAIRING_CODE = "FLEETPAIR";
const DAY_MS = 86_400_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Waits until `fn` is true (polling every 100 ms); returns how long it took, or null at the timeout. */
async function timeUntil(fn: () => Promise<boolean>, timeoutMs: number): Promise<number | null> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (await fn().catch(() => false)) return Date.now() - t0;
    await sleep(100);
  }
  return null;
}

const isReady = (url: string) =>
  fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.ok,
    () => false,
  );

/**
 * Fires `count` calls at once (the proxy spreads them over every server) and sorts the answers:
 * `passed` got past the limiter (the procedure answered, here with a refusal of the bad code or
 * password), `limited` got 429, `failed` got neither (a server or database error: unknown).
 * Started well inside a window (`windowMs`, aligned to the clock as the limiter's are), so one
 * window counts them all.
 */
async function burst(
  count: number,
  windowMs: number,
  call: () => Promise<unknown>,
): Promise<{ passed: number; limited: number; failed: number; codes: Record<string, number> }> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < 30_000) await sleep(left + 50);
  const answers = await Promise.all(
    Array.from({ length: count }, () =>
      call().then(
        () => "OK",
        (e: unknown) => codeOf(e),
      ),
    ),
  );
  const codes: Record<string, number> = {};
  for (const c of answers) codes[c] = (codes[c] ?? 0) + 1;
  const limited = codes["TOO_MANY_REQUESTS"] ?? 0;
  const failed = answers.filter(
    (c) => c === "INTERNAL_SERVER_ERROR" || c === "NETWORK" || c.startsWith("HTTP_"),
  ).length;
  return { passed: count - limited - failed, limited, failed, codes };
}

export async function runFleetProof(options: FleetOptions): Promise<FleetResult> {
  const startedAt = Date.now();
  const say = options.onProgress ?? (() => undefined);
  const outageMs = (options.outageSeconds ?? 20) * 1000;
  const repoRoot = findRepoRoot();
  const workDir = mkdtempSync(join(tmpdir(), "kiosk-fleet-"));
  const logFile = join(workDir, "fleet.log");
  const log = createWriteStream(logFile, { flags: "a" });
  const figures: Figure[] = [];
  const problems: string[] = [];
  const figure = (name: string, measured: number | null, unit: string, target: string | null = null) => {
    let met: boolean | null = null;
    const value = measured ?? -1;
    if (target && measured === null) {
      met = false;
      problems.push(`${name}: not measured (did not happen before the timeout)`);
    } else if (target) {
      const [op, raw] = target.split(" ") as [string, string];
      const t = Number(raw);
      met = op === "<=" ? value <= t : op === ">=" ? value >= t : op === "=" ? value === t : null;
      if (met === false) problems.push(`${name} = ${value} ${unit}, target ${target}`);
    }
    figures.push({ name, value: Math.round(value * 10) / 10, unit, target, met });
  };

  const cluster = await startOwnCluster(repoRoot);
  say(`own PostgreSQL cluster on port ${cluster.port} (${cluster.dir})`);
  const processes: ServerProcess[] = [];
  let sandboxOffsetMs = 0;
  const current = generateRsaKeyPair();
  const next = generateRsaKeyPair();
  const gatewayKey = generateRsaKeyPair();
  const sandbox = await startSandbox({
    port: 0,
    clock: { now: () => Date.now() + sandboxOffsetMs },
    tickIntervalMs: 100,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    partners: [{ partnerId: PARTNER_ID, rsaPublicKey: current.publicKeyBase64, rsaPublicKeys: [next.publicKeyBase64] }],
    gatewayPrivateKey: gatewayKey.privateKeyPem,
    notifications: { retryScheduleMs: [2_000, 4_000, 8_000, 15_000, 30_000] },
  });
  let proxy: Awaited<ReturnType<typeof startRoundRobin>> | undefined;
  let stopping = false;
  try {
    const database = await createTestDatabase("postgresql", cluster.url);
    const db = database.db;
    const keysDir = join(workDir, "keys");
    mkdirSync(keysDir, { recursive: true });
    const ticketKeys: Record<string, string> = {};
    for (const a of DEMO_ATTRACTIONS)
      ticketKeys[a.id] = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    for (const [id, pem] of Object.entries(ticketKeys)) writeFileSync(join(keysDir, `${id}.pem`), pem, { mode: 0o600 });
    const now = new Date();
    await seed(db, {
      now,
      days: 2,
      adminEmail: ADMIN.email,
      adminPassword: ADMIN.password,
      kioskPairingCode: PAIRING_CODE,
      ticketKeys,
    });
    const day = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Singapore" }).format(now);
    const slotData = (id: string, capacity: number, offsetMs: number) => ({
      id,
      attractionId: ATTRACTION,
      kind: "timed",
      day,
      startsAt: new Date(now.getTime() - 3_600_000 + 17_000 + offsetMs),
      endsAt: new Date(now.getTime() + DAY_MS),
      capacity,
    });
    await db.slot.create({ data: slotData("slot_fleet", 1_000_000, 0) });
    await db.slot.create({ data: slotData("slot_fleet_contested", 40, 1_000) });

    const ports = [await freePort(), await freePort(), await freePort()];
    const serverUrls = ports.map((p) => `http://127.0.0.1:${p}`);
    proxy = await startRoundRobin(serverUrls);
    const shared = {
      ...options.parentEnv,
      NODE_ENV: "production",
      LOG_LEVEL: "info",
      DATABASE_URL: database.url,
      ALIPAY_PROTOCOL: "mapi",
      ALIPAY_SIGN_TYPE: "RSA2",
      ALIPAY_PARTNER_ID: PARTNER_ID,
      ALIPAY_PRIVATE_KEY: current.privateKeyPem,
      ALIPAY_NEXT_PRIVATE_KEY: next.privateKeyPem,
      ALIPAY_PUBLIC_KEY: gatewayKey.publicKeyBase64,
      ALIPAY_GATEWAY_URL: sandbox.gatewayUrl,
      ALIPAY_NOTIFY_URL: `${proxy.url}/api/alipay/notify`,
      TICKET_KEYS_DIR: keysDir,
      DATA_DIR: workDir,
      PUBLIC_URL: proxy.url,
      TRUSTED_PROXIES: "127.0.0.1/32, ::1/128",
      METRICS_TOKEN: "fleet-proof-metrics-token-0123456789",
      ORDER_HOLD_SECONDS: "30",
      PAYMENT_DEADLINE_SECONDS: "30",
      HOLD_SWEEP_SECONDS: "5",
      RECONCILE_AT_HOUR: "0",
    };
    const servers = ports.map(
      (port, i) =>
        new ServerProcess({
          repoRoot,
          url: serverUrls[i]!,
          log,
          env: {
            ...shared,
            HOST: "127.0.0.1",
            PORT: String(port),
            WORKER: "off",
            INSTANCE_ID: `fleet-server-${i + 1}`,
          },
        }),
    );
    const workers = [1, 2].map(
      (i) =>
        new ServerProcess({
          repoRoot,
          entry: "packages/api/scripts/worker.ts",
          readyLine: "payment worker started",
          log,
          env: { ...shared, INSTANCE_ID: `fleet-worker-${i}` },
        }),
    );
    processes.push(...servers, ...workers);
    await Promise.all([...servers, ...workers].map((p) => p.start()));
    say(`up: 3 servers behind ${proxy.url}, 2 workers, sandbox ${sandbox.url}`);

    // ---- clients
    const staff = await staffClient(proxy.url, ADMIN);
    const kioskApis: Api[] = [];
    for (let k = 0; k < (options.kiosks ?? 6); k++) {
      const { id } = await staff.fleet.register.mutate({ attractionId: ATTRACTION, name: `Fleet kiosk ${k + 1}` });
      const { code } = await staff.fleet.issuePairingCode.mutate({ kioskId: id });
      const { credential } = await apiClient(proxy.url, {
        "x-forwarded-for": `10.88.0.${k + 1}`,
      }).auth.pairKiosk.mutate({ code });
      kioskApis.push(apiClient(proxy.url, { authorization: `Bearer ${credential}` }));
    }
    const newApiKey = async (name: string) =>
      (
        await staff.staff.createApiKey.mutate({
          attractionId: ATTRACTION,
          name,
          scopes: ["catalog:read", "bookings:write", "bookings:read", "tickets:read"],
        })
      ).key;
    const bookingApis: Api[] = [];
    for (let b = 0; b < (options.bookingSystems ?? 3); b++)
      bookingApis.push(apiClient(proxy.url, { authorization: `Bearer ${await newApiKey(`Fleet booking ${b + 1}`)}` }));

    const tally = newTally();
    let serial = 0;
    const trafficStart = Date.now();
    // Traffic runs `seconds`, and on until 15 s after the last fault (a slow machine stretches the timeline).
    let trafficEnd = trafficStart + options.seconds * 1000;
    const isStopping = () => stopping || Date.now() > trafficEnd;
    const traffic = Promise.all([
      ...kioskApis.map((api) =>
        runKiosk({
          api,
          slotId: "slot_fleet",
          contestedSlotId: "slot_fleet_contested",
          tally,
          isStopping,
          serial: () => ++serial,
        }),
      ),
      ...bookingApis.map((api) =>
        runBookingSystem({ api, slotId: "slot_fleet", tally, isStopping, serial: () => ++serial }),
      ),
    ]);
    const at = async (fraction: number) => {
      const due = trafficStart + fraction * options.seconds * 1000;
      if (Date.now() < due) await sleep(due - Date.now());
    };
    /** Recovery measures run alongside the timeline; their figures are added at the end. */
    const measures: Promise<void>[] = [];
    const purchaseAfter = (name: string, t: number, target: string) =>
      measures.push(
        timeUntil(async () => tally.purchaseDoneAt.some((d) => d > t), 90_000).then((ms) =>
          figure(name, ms, "ms", target),
        ),
      );

    // ---- 1. SIGKILL a worker while it holds leases: the other takes them over once they run
    // out (the lease time), and no payment stays stuck. Restarted once that is measured (a restart
    // under the same instance id would free its leases at once and hide the takeover).
    await at(0.1);
    const deadWorker = "fleet-worker-1";
    const heldByDead = () =>
      db.payment.count({
        where: {
          state: { in: ["SENDING", "POLLING", "CANCELLING", "REFUNDING"] },
          leaseOwner: { startsWith: `${deadWorker}:` },
          leaseUntil: { gt: new Date() },
        },
      });
    await timeUntil(async () => (await heldByDead()) > 0, 15_000);
    await workers[0]!.kill("SIGKILL");
    const workerKilledAt = Date.now();
    const orphaned = await heldByDead().catch(() => -1);
    say(`worker 1 SIGKILLed holding ${orphaned} payment lease(s)`);
    figure("worker kill: payment leases it held", orphaned, "payments");
    measures.push(
      timeUntil(
        async () =>
          (await db.payment.count({
            where: {
              state: { in: ["SENDING", "POLLING", "CANCELLING", "REFUNDING"] },
              leaseOwner: { startsWith: `${deadWorker}:` },
            },
          })) === 0,
        DEFAULT_PAYMENT_POLICY.leaseMs + 30_000,
      ).then(async (ms) => {
        // From the kill: the leases run out within leaseMs, then the other worker's next tick claims.
        const took = ms === null ? null : Date.now() - workerKilledAt;
        figure(
          "worker kill: its leases taken over (or finished) after",
          took,
          "ms",
          `<= ${DEFAULT_PAYMENT_POLICY.leaseMs + 5_000}`,
        );
        await workers[0]!.start();
      }),
    );

    // ---- 2. SIGKILL a server: the proxy routes around it; restarted.
    await at(0.3);
    const brokenBefore = proxy.broken;
    await servers[1]!.kill("SIGKILL");
    const serverKilledAt = Date.now();
    purchaseAfter("server kill: next purchase completed after", serverKilledAt, "<= 10000");
    say(`server 2 SIGKILLed; ${proxy.broken - brokenBefore} requests broke mid-way`);
    measures.push(
      sleep(2_000).then(async () => {
        const restartT0 = Date.now();
        await servers[1]!.start();
        figure("server kill: restarted (tsx start-up) and ready", Date.now() - restartT0, "ms", "<= 90000");
      }),
    );

    // ---- 3. PostgreSQL stopped for outageMs, started again.
    await at(0.45);
    // Servers ready before the outage (the killed one may still be starting) must be ready after it.
    const readyBefore = (await Promise.all(serverUrls.map(async (u) => ((await isReady(u)) ? u : null)))).filter(
      (u): u is string => u !== null,
    );
    await cluster.stop();
    const downAt = Date.now();
    say(`PostgreSQL stopped for ${outageMs / 1000} s`);
    const readyzFailedMs = await timeUntil(async () => !(await isReady(serverUrls[0]!)), 15_000);
    figure("database stop: /readyz fails after", readyzFailedMs, "ms", "<= 5000");
    await sleep(Math.max(0, outageMs - (Date.now() - downAt)));
    await cluster.start();
    const upAt = Date.now();
    const allReadyMs = await timeUntil(
      async () => (await Promise.all(readyBefore.map(isReady))).every(Boolean),
      60_000,
    );
    figure(
      `database back: the ${readyBefore.length} servers ready before it, ready again after`,
      allReadyMs,
      "ms",
      "<= 10000",
    );
    purchaseAfter("database back: next purchase completed after", upAt, "<= 20000");

    // ---- 4. Switch the Alipay key through one server; the whole fleet signs with the next one.
    await at(0.65);
    const switched = await staff.alipayKeys.switchToNext.mutate({ reason: "fleet proof rotation" });
    const switchedAt = Date.now();
    purchaseAfter("key switch: next purchase completed after", switchedAt, "<= 20000");
    if (!switched.switched) problems.push("the key switch reported switched: false");
    say(`Alipay key switched to ${switched.status.activeFingerprint}`);

    // ---- 5. Rate limits from all servers at once: pairing and staff login, per client address.
    await at(0.75);
    const probes = [
      {
        name: "kioskPairing" as const,
        call: () =>
          apiClient(proxy!.url, { "x-forwarded-for": "10.99.0.1" }).auth.pairKiosk.mutate({ code: "ZZZZ2222" }),
      },
      {
        name: "staffLogin" as const,
        call: () =>
          apiClient(proxy!.url, { "x-forwarded-for": "10.99.0.2" }).auth.login.mutate({
            email: "nobody@example.com",
            password: "not the password",
          }),
      },
    ];
    for (const probe of probes) {
      const policy = RATE_LIMIT_POLICIES[probe.name];
      const r = await burst(policy.capacity * 6, windowMsOf(policy), probe.call);
      say(`rate limit ${probe.name}: ${JSON.stringify(r.codes)}`);
      figure(
        `rate limit ${probe.name} (${policy.capacity} per window), let through fleet-wide`,
        r.passed,
        "requests",
        `<= ${Math.floor(policy.capacity * 1.1)}`,
      );
      if (r.passed + r.failed < Math.ceil(policy.capacity * 0.9))
        problems.push(`${probe.name} let ${r.passed} through (${r.failed} failed), under 90 % of ${policy.capacity}`);
    }

    trafficEnd = Math.max(trafficEnd, Date.now() + 15_000);
    await traffic;
    const trafficSeconds = (Date.now() - trafficStart) / 1000;
    await Promise.all(measures);
    stopping = true;
    say(`traffic over: ${tally.purchases} purchases, ${tally.bookings} bookings; waiting for the fleet to settle`);

    // ---- settle: no payment under way, no hold past its expiry.
    const settleMs = await timeUntil(async () => {
      const [active, overdue] = await Promise.all([
        db.payment.count({ where: { state: { in: ["SENDING", "POLLING", "CANCELLING", "REFUNDING"] } } }),
        db.capacityHold.count({
          where: { state: "active", order: { expiresAt: { lt: new Date(Date.now() - 1_000) } } },
        }),
      ]);
      return active === 0 && overdue === 0;
    }, 120_000);
    figure("settled after the traffic", settleMs, "ms", "<= 120000");

    // ---- checks
    const trades = ((await (await fetch(`${sandbox.url}/sandbox/trades`)).json()) as { trades: TradeView[] }).trades;
    const ledger = await readLedger(db);
    const checkedAt = new Date();
    for (const p of processes) await p.kill("SIGTERM");
    const keyUse = sandbox.store.keyUse;
    say(`gateway requests by signing key: ${JSON.stringify([...keyUse])}`);
    const oldKey = keyUse.get(alipayKeyFingerprint(current.privateKeyPem));
    const newKey = keyUse.get(alipayKeyFingerprint(next.privateKeyPem));
    const oldKeyAfterSwitchMs = oldKey ? Math.max(0, oldKey.lastAt - switchedAt) : null;
    figure(
      "key switch: last request signed with the old key after the switch",
      oldKeyAfterSwitchMs,
      "ms",
      `<= ${DEFAULT_KEY_REFRESH_MS + 1_000}`,
    );
    figure("key switch: requests signed with the new key", newKey?.requests ?? 0, "requests", ">= 1");

    sandboxOffsetMs = DAY_MS;
    const direct = createAlipayClient(
      {
        protocol: "mapi",
        partnerId: PARTNER_ID,
        signType: "RSA2",
        gatewayUrl: sandbox.gatewayUrl,
        privateKey: next.privateKeyPem,
        alipayPublicKey: gatewayKey.publicKeyBase64,
      },
      {},
    );
    const reconciliation = await reconcileDays({
      db,
      alipay: direct,
      clock: { now: () => new Date(Date.now() + DAY_MS) },
      days: settlementDaysOf(trades, checkedAt.getTime()),
    });
    const report = checkMoneyInvariants({
      ledger,
      trades,
      now: checkedAt,
      // Holds are swept every 5 s by one worker; none is given back while PostgreSQL is stopped.
      holdGraceMs: outageMs + 20_000,
      reconciliation,
    });
    for (const f of report.findings) problems.push(`${f.kind} ${f.subject}: ${f.detail}`);
    figure("losses", report.counts.loss, "payments", "= 0");
    figure("double charges", report.counts.double_charge + report.counts.tickets_twice, "orders", "= 0");
    figure("stale holds", report.counts.stale_hold + report.counts.held_counter_drift, "holds", "= 0");
    figure("payments left unsettled", report.counts.unsettled, "payments", "= 0");
    const oversold = await db.$queryRawUnsafe<{ id: string }[]>(
      `SELECT id FROM "Slot" WHERE sold > capacity OR sold + held > capacity`,
    );
    figure("oversold slots", oversold.length, "slots", "= 0");

    // Exactly one scheduled reconciliation per day across the fleet (the workers' JobRun).
    const scheduled = await db.reconciliationRun.groupBy({
      by: ["day"],
      where: { trigger: "schedule", state: "completed" },
      _count: { _all: true },
    });
    const jobs = await db.jobRun.findMany({ where: { job: "daily_reconciliation" } });
    const days = scheduled.length;
    const extra = scheduled.filter((s) => s._count._all !== 1).length;
    figure("scheduled reconciliations: days reconciled", days, "days", ">= 1");
    figure("scheduled reconciliations: days with more than one", extra, "days", "= 0");
    if (jobs.length !== days || jobs.some((j) => j.outcome !== "ok"))
      problems.push(`daily_reconciliation JobRuns ${JSON.stringify(jobs.map((j) => [j.period, j.outcome]))}`);

    figure("purchases per second", tally.purchases / trafficSeconds, "purchases/s");
    figure("purchase p50 (create → PAID)", percentile(tally.purchaseMs, 50), "ms");
    figure("purchase p99 (create → PAID)", percentile(tally.purchaseMs, 99), "ms");
    figure("bookings per second", tally.bookings / trafficSeconds, "bookings/s");
    figure("purchases left to the fleet by their client (fault windows)", tally.leftToFleet, "purchases");
    await database.drop().catch(() => undefined);
    return {
      figures,
      report,
      problems,
      failures: tally.failures,
      served: [...proxy.served],
      wallTimeMs: Date.now() - startedAt,
      logFile,
    };
  } finally {
    stopping = true;
    for (const p of processes) await p.kill("SIGKILL").catch(() => undefined);
    await proxy?.close().catch(() => undefined);
    await sandbox.close().catch(() => undefined);
    await cluster.destroy();
    await new Promise<void>((resolve) => log.end(() => resolve()));
    rmSync(join(workDir, "keys"), { recursive: true, force: true });
  }
}
