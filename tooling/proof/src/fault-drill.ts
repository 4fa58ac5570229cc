/**
 * The fault drill: purchases through the real API of a real server process (scripts/api-server.ts)
 * while a fault proxy (@kiosk/alipay-sandbox) garbles its traffic with the sandbox gateway and
 * the process is SIGKILLed at seeded random moments and restarted on the same database. Then
 * every payment is left to settle (the restarted worker resumes them), and the checker
 * (checker.ts) compares the database with the gateway's records and our reconciliation with
 * its settlement file. Used by `npm run proof:faults` and by a small integration test.
 */
import { generateKeyPairSync } from "node:crypto";
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAlipayClient } from "@kiosk/alipay-core";
import { TEST_ANTOM_CLIENT_ID } from "@kiosk/alipay-core/testing";
import {
  createRng,
  DEFAULT_FAULT_PLAN,
  FAULT_KINDS,
  generateSshKeyPair,
  scenarioCode,
  startAntomSftp,
  startFaultProxy,
  startSandbox,
  type FaultKind,
  type FaultPlan,
  type ScenarioId,
  type TradeView,
} from "@kiosk/alipay-sandbox";
import { DEMO_ATTRACTIONS, seed, type Db, type DbProvider } from "@kiosk/db";
import { createTestDatabase } from "@kiosk/db/testing";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import { findRepoRoot, parseEnv } from "@kiosk/api/env.ts";
import { alipayClientConfig } from "@kiosk/api/app-services.ts";
import type { AppRouter } from "@kiosk/api/trpc/root.ts";
import { freePort, ServerProcess } from "./server-process.ts";
import { createDrillTerminal } from "./terminal-drill.ts";
import {
  checkMoneyInvariants,
  readLedger,
  reconcileDays,
  settlementDaysOf,
  type CheckReport,
  type Reconciliation,
} from "./checker.ts";

export interface DrillOptions {
  purchases: number;
  seed: number;
  provider: DbProvider;
  /** PostgreSQL server to create the drill's database on (provider "postgresql"). */
  pgUrl?: string;
  /** `antom`: Alipay+ through Antom (JSON, header signatures, notifyPayment, the report over SFTP). */
  protocol: "mapi" | "openapi" | "antom";
  /** Kills during the run at least; more happen when the run lasts long enough. */
  minKills: number;
  /** Purchases in flight at once (kiosks); each visitor thinks up to 0.8 s first. @default 6 */
  concurrency?: number;
  plan?: FaultPlan;
  /** @default 15 */
  holdSeconds?: number;
  /** @default 20 */
  paymentDeadlineSeconds?: number;
  /** Up-time range between kills, ms. @default [1500, 4000] */
  upTimeMs?: readonly [number, number];
  /**
   * How late past its order's expiry a hold may still be given back: the worker expires holds on
   * its tick (0.5 s), and not while the server is down between a kill and its restart. @default 15000
   */
  holdGraceMs?: number;
  /** Give up waiting for payments to settle after this long. @default 240000 */
  settleTimeoutMs?: number;
  /** The environment the server process inherits (PATH, HOME…); the drill adds its own configuration. */
  parentEnv: Readonly<Record<string, string | undefined>>;
  /** Progress lines (the CLI prints them). */
  onProgress?: (line: string) => void;
}

export interface DrillResult {
  purchases: number;
  ordersCreated: number;
  paymentsStarted: number;
  abandonedCarts: number;
  visitorCancels: number;
  refundsRequested: number;
  /** Purchases made by a partner terminal through /api/partner/v1 (every fourth). */
  terminalPayments: number;
  /** Calls the server refused with a typed error (e.g. an order that expired while it was down). */
  refused: number;
  /** Refusals by call, code and message. */
  refusals: Record<string, number>;
  kills: number;
  restarts: number;
  proxyFaults: Record<FaultKind, number>;
  scenarioFaults: Partial<Record<ScenarioId, number>>;
  gatewayCalls: number;
  notifications: number;
  paymentStates: Record<string, number>;
  report: CheckReport;
  reconciliation: Reconciliation;
  wallTimeMs: number;
  logFile: string;
}

const ADULT = "tt_skyline_adult";
const ATTRACTION = "attr_skyline";
const PAIRING_CODE = "DRILLPAIR";
const ADMIN = { email: "admin@example.com", password: "drill-password" };
const ACTIVE_STATES = ["SENDING", "POLLING", "CANCELLING", "REFUNDING"];
const DAY_MS = 86_400_000;

/** Scenario mix of the payment codes (weights); the sandbox's scenario table says what each does. */
const SCENARIO_MIX: readonly [ScenarioId, number][] = [
  ["success", 34],
  ["pin_wait_confirm", 12],
  ["pin_wait_never", 6],
  ["pin_wait_reject", 4],
  ["insufficient_balance", 8],
  ["expired_code", 4],
  ["unknown_paid", 8],
  ["unknown_not_created", 4],
  ["system_error", 8],
  ["slow_response", 3],
  ["dropped_connection", 4],
  ["dropped_before_processing", 3],
  ["bad_signature", 2],
];

/** Scenarios that are gateway faults (the rest are buyer behaviour: PIN waits, declines). */
const FAULT_SCENARIOS: ReadonlySet<ScenarioId> = new Set<ScenarioId>([
  "unknown_paid",
  "unknown_not_created",
  "system_error",
  "slow_response",
  "dropped_connection",
  "dropped_before_processing",
  "bad_signature",
]);

function pickScenario(rng: () => number): ScenarioId {
  const total = SCENARIO_MIX.reduce((s, [, w]) => s + w, 0);
  let roll = rng() * total;
  for (const [id, weight] of SCENARIO_MIX) {
    roll -= weight;
    if (roll < 0) return id;
  }
  return "success";
}

function parameterFor(id: ScenarioId, rng: () => number): number | undefined {
  if (id === "pin_wait_confirm" || id === "pin_wait_reject") return 2 + Math.floor(rng() * 6);
  if (id === "system_error") return 1 + Math.floor(rng() * 2);
  if (id === "slow_response") return 1 + Math.floor(rng() * 3);
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type KioskApi = ReturnType<typeof kioskClient>;

/** A staff client: signs in once; the session cookie is kept and sent on every call (sessions live in the database, so they survive restarts). */
async function staffClient(url: string, login: { email: string; password: string }) {
  let cookie = "";
  const client = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${url}/api/trpc`,
        transformer: superjson,
        headers: () => (cookie ? { cookie } : {}),
        fetch: async (input, init) => {
          const response = await fetch(input, init);
          const session = response.headers.getSetCookie().find((c) => c.startsWith("kiosk_session="));
          if (session) cookie = session.split(";")[0] as string;
          return response;
        },
      }),
    ],
  });
  await client.auth.login.mutate(login);
  return client;
}

function kioskClient(url: string, credential?: string) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${url}/api/trpc`,
        transformer: superjson,
        headers: credential ? { authorization: `Bearer ${credential}` } : {},
      }),
    ],
  });
}

/** True when the server answered (a typed error); false when it could not be reached. */
function isAnswered(error: unknown): boolean {
  return error instanceof TRPCClientError && (error as TRPCClientError<AppRouter>).data?.code !== undefined;
}

/** Calls `fn` until the server answers; a server that is down (killed) is waited for. */
async function whenUp<T>(fn: () => Promise<T>, isStopping: () => boolean): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (isAnswered(error) || isStopping()) throw error;
      await sleep(Math.min(1_000, 100 * 2 ** Math.min(attempt, 4)));
    }
  }
}

async function gatewayTrades(sandboxUrl: string): Promise<TradeView[]> {
  const r = await fetch(`${sandboxUrl}/sandbox/trades`);
  if (!r.ok) throw new Error(`sandbox operator API answered ${r.status}`);
  return ((await r.json()) as { trades: TradeView[] }).trades;
}

async function countActive(db: Db): Promise<{ payments: number; overdueHolds: number }> {
  const now = new Date();
  const [payments, overdueHolds] = await Promise.all([
    db.payment.count({ where: { state: { in: ACTIVE_STATES } } }),
    db.capacityHold.count({ where: { state: "active", order: { expiresAt: { lt: now } } } }),
  ]);
  return { payments, overdueHolds };
}

export async function runFaultDrill(options: DrillOptions): Promise<DrillResult> {
  const startedAt = Date.now();
  const say = options.onProgress ?? (() => undefined);
  const rng = createRng(options.seed);
  // Kill moments get their own stream, so the purchase plan of a seed does not depend on them.
  const killRng = createRng(options.seed ^ 0x5bd1e995);
  const repoRoot = findRepoRoot();
  const workDir = mkdtempSync(join(tmpdir(), "kiosk-drill-"));
  const logFile = join(workDir, "server.log");
  const log = createWriteStream(logFile, { flags: "a" });
  const holdSeconds = options.holdSeconds ?? 15;

  const database = await createTestDatabase(options.provider, options.pgUrl);
  let sandboxOffsetMs = 0;
  const sandbox = await startSandbox({
    port: 0,
    clock: { now: () => Date.now() + sandboxOffsetMs },
    tickIntervalMs: 100,
    slowResponseScale: 1,
    notifications: { retryScheduleMs: [1_000, 2_000, 4_000, 8_000, 15_000, 30_000] },
  });
  const serverPort = await freePort();
  const serverUrl = `http://127.0.0.1:${serverPort}`;
  const isAntom = options.protocol === "antom";
  const proxy = await startFaultProxy({
    gatewayUrl: sandbox.gatewayUrl,
    notifyTargetUrl: `${serverUrl}/api/alipay/notify`,
    seed: options.seed,
    plan: options.plan ?? DEFAULT_FAULT_PLAN,
  });
  // Antom: its gateway URL is the domain; its notification signature covers the notify path, so
  // the proxy takes them at the server's own path; its settlement report lies on an SFTP server.
  const gatewayEnv = isAntom
    ? { ALIPAY_GATEWAY_URL: proxy.url, ALIPAY_NOTIFY_URL: `${proxy.url}/api/alipay/notify` }
    : { ALIPAY_GATEWAY_URL: proxy.gatewayUrl, ALIPAY_NOTIFY_URL: proxy.notifyUrl };
  const sftpKey = isAntom ? generateSshKeyPair() : undefined;
  const sftp = sftpKey
    ? await startAntomSftp({
        store: sandbox.store,
        clientId: TEST_ANTOM_CLIENT_ID,
        username: "drill",
        authorizedKey: sftpKey.public,
      })
    : undefined;
  let server: ServerProcess | undefined;
  try {
    const keysDir = join(workDir, "keys");
    const ticketKeys: Record<string, string> = {};
    for (const a of DEMO_ATTRACTIONS)
      ticketKeys[a.id] = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    mkdirSync(keysDir, { recursive: true });
    for (const [id, pem] of Object.entries(ticketKeys)) writeFileSync(join(keysDir, `${id}.pem`), pem, { mode: 0o600 });
    const now = new Date();
    await seed(database.db, {
      now,
      days: 2,
      adminEmail: ADMIN.email,
      adminPassword: ADMIN.password,
      kioskPairingCode: PAIRING_CODE,
      ticketKeys,
    });
    const day = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Singapore" }).format(now);
    const slot = await database.db.slot.create({
      data: {
        id: "slot_drill",
        attractionId: ATTRACTION,
        kind: "timed",
        day,
        startsAt: new Date(now.getTime() - 3_600_000 + 17_000),
        endsAt: new Date(now.getTime() + DAY_MS),
        capacity: options.purchases * 10,
      },
    });

    server = new ServerProcess({
      repoRoot,
      url: serverUrl,
      log,
      env: {
        ...options.parentEnv,
        NODE_ENV: "test",
        DATABASE_URL: database.url,
        HOST: "127.0.0.1",
        PORT: String(serverPort),
        ALIPAY_PROTOCOL: options.protocol,
        ...gatewayEnv,
        TICKET_KEYS_DIR: keysDir,
        DATA_DIR: workDir,
        WORKER: "inline",
        INSTANCE_ID: "drill-server",
        ORDER_HOLD_SECONDS: String(holdSeconds),
        // Expired holds are given back by the stale-hold sweep, once per this period (default 60 s).
        HOLD_SWEEP_SECONDS: "1",
        PAYMENT_DEADLINE_SECONDS: String(options.paymentDeadlineSeconds ?? 20),
        LOG_LEVEL: "warn",
      },
    });
    await server.start();
    say(
      `server up at ${serverUrl} (${options.provider}, ${options.protocol}); gateway through the fault proxy ${proxy.url}`,
    );
    const paired = await kioskClient(serverUrl).auth.pairKiosk.mutate({ code: PAIRING_CODE });
    const api: KioskApi = kioskClient(serverUrl, paired.credential);
    const staff = await staffClient(serverUrl, ADMIN);

    // The killer: SIGKILL at seeded random moments, restart at once on the same database.
    let isPurchasing = true;
    let isStopping = false;
    const upTime = options.upTimeMs ?? [1_500, 4_000];
    const running = server;
    const killer = (async () => {
      while (isPurchasing || running.kills < options.minKills) {
        await sleep(upTime[0] + killRng() * (upTime[1] - upTime[0]));
        await running.kill("SIGKILL");
        say(`kill ${running.kills}: server SIGKILLed; restarting`);
        await running.start();
      }
    })().catch((error: unknown) => {
      isStopping = true;
      throw error;
    });

    const tally = {
      ordersCreated: 0,
      paymentsStarted: 0,
      abandonedCarts: 0,
      visitorCancels: 0,
      refundsRequested: 0,
      terminalPayments: 0,
      refused: 0,
    };
    const scenarioFaults: Partial<Record<ScenarioId, number>> = {};
    const plans = Array.from({ length: options.purchases }, (_, i) => {
      const scenario = pickScenario(rng);
      const parameter = parameterFor(scenario, rng);
      return {
        serial: 10_000 + i,
        scenario,
        parameter,
        quantity: 1 + Math.floor(rng() * 3),
        isAbandoned: rng() < 0.05,
        isVisitorCancel: scenario === "pin_wait_never" && rng() < 0.5,
        isRefunded: scenario === "success" && rng() < 0.1,
        thinkMs: Math.floor(rng() * 800),
        // Every fourth purchase is a partner terminal's (issue 18); not drawn from rng, so a seed's plan stays.
        isTerminal: i % 4 === 3,
      };
    });
    const stopping = () => isStopping;
    const refusals: Record<string, number> = {};
    const noteRefusal = (call: string, error: unknown): void => {
      tally.refused += 1;
      const key = `${call} ${(error as TRPCClientError<AppRouter>).data?.code ?? "?"}: ${error instanceof Error ? error.message.slice(0, 80) : ""}`;
      refusals[key] = (refusals[key] ?? 0) + 1;
    };

    /** Staff refund everything once the payment is PAID (a kill may land while it is REFUNDING). */
    async function refundWhenPaid(paymentId: string): Promise<void> {
      const giveUpAt = Date.now() + 30_000;
      while (Date.now() < giveUpAt) {
        const p = await whenUp(() => api.payment.status.query({ paymentId }), stopping);
        if (p.state === "PAID") {
          // A retry after a lost answer finds nothing left to refund and is refused: expected.
          await whenUp(() => staff.refund.create.mutate({ paymentId, reason: "drill refund" }), stopping).then(
            () => void (tally.refundsRequested += 1),
            (error: unknown) => {
              if (!isAnswered(error)) throw error;
            },
          );
          return;
        }
        if (!ACTIVE_STATES.includes(p.state)) return;
        await sleep(500);
      }
    }

    const terminal = await createDrillTerminal(database.db, ATTRACTION, serverUrl, stopping);

    async function terminalPurchase(plan: (typeof plans)[number]): Promise<void> {
      const code = scenarioCode(plan.scenario, {
        serial: plan.serial,
        ...(plan.parameter !== undefined ? { parameter: plan.parameter } : {}),
      });
      const result = await terminal.pay({
        idempotencyKey: `drill-${plan.serial}`,
        amount: 1_000 * plan.quantity,
        paymentCode: code,
        isVisitorCancel: plan.isVisitorCancel,
        isRefunded: plan.isRefunded,
      });
      if (result.refusal !== undefined) {
        tally.refused += 1;
        refusals[`partner.create ${result.refusal}`] = (refusals[`partner.create ${result.refusal}`] ?? 0) + 1;
        return;
      }
      tally.ordersCreated += 1;
      tally.paymentsStarted += 1;
      tally.terminalPayments += 1;
      if (FAULT_SCENARIOS.has(plan.scenario)) scenarioFaults[plan.scenario] = (scenarioFaults[plan.scenario] ?? 0) + 1;
      if (result.cancelled) tally.visitorCancels += 1;
      if (result.refunded) tally.refundsRequested += 1;
    }

    async function purchase(plan: (typeof plans)[number]): Promise<void> {
      await sleep(plan.thinkMs); // the visitor choosing tickets
      if (plan.isTerminal && !plan.isAbandoned) return terminalPurchase(plan);
      const order = await whenUp(
        () => api.order.create.mutate({ lines: [{ ticketTypeId: ADULT, slotId: slot.id, quantity: plan.quantity }] }),
        stopping,
      ).catch((error: unknown) => {
        if (isAnswered(error)) {
          noteRefusal("order.create", error);
          return null; // refused with a typed error (e.g. sold out): nothing held
        }
        throw error;
      });
      if (!order) {
        return;
      }
      tally.ordersCreated += 1;
      if (plan.isAbandoned) {
        tally.abandonedCarts += 1;
        return;
      }
      const code = scenarioCode(plan.scenario, {
        serial: plan.serial,
        ...(plan.parameter !== undefined ? { parameter: plan.parameter } : {}),
      });
      let paymentId: string | undefined;
      for (;;) {
        try {
          paymentId = (await api.payment.start.mutate({ orderId: order.id, paymentCode: code })).id;
          break;
        } catch (error) {
          if (isAnswered(error)) {
            noteRefusal("payment.start", error); // e.g. the order expired while the server was down: nothing was sent
            return;
          }
          // The server died mid-call: a kiosk asks what became of the order before paying again.
          const existing = await whenUp(() => api.payment.forOrder.query({ orderId: order.id }), stopping);
          if (existing) {
            paymentId = existing.id;
            break;
          }
        }
      }
      tally.paymentsStarted += 1;
      if (FAULT_SCENARIOS.has(plan.scenario)) scenarioFaults[plan.scenario] = (scenarioFaults[plan.scenario] ?? 0) + 1;
      if (plan.isRefunded) await refundWhenPaid(paymentId);
      if (plan.isVisitorCancel) {
        await sleep(1_000);
        const id = paymentId;
        await whenUp(() => api.payment.cancel.mutate({ paymentId: id }), stopping).then(
          () => void (tally.visitorCancels += 1),
          () => undefined,
        );
      }
    }

    let next = 0;
    let done = 0;
    await Promise.all(
      Array.from({ length: options.concurrency ?? 6 }, async () => {
        while (next < plans.length) {
          const plan = plans[next++]!;
          await purchase(plan);
          done += 1;
          if (done % 25 === 0) say(`${done}/${plans.length} purchases made`);
        }
      }),
    );
    isPurchasing = false;
    say(
      `all ${plans.length} purchases made; waiting for the kills (${running.kills}/${options.minKills}) and for every payment to settle`,
    );
    await killer;

    const settleDeadline = Date.now() + (options.settleTimeoutMs ?? 240_000);
    for (;;) {
      const left = await countActive(database.db);
      if (left.payments === 0 && left.overdueHolds === 0) break;
      if (Date.now() > settleDeadline) {
        say(`still unsettled after the timeout: ${left.payments} payments, ${left.overdueHolds} overdue holds`);
        break;
      }
      await sleep(500);
    }
    // Late notification copies still scheduled reach the settled server, then it stops.
    await proxy.close({ shouldFlush: true });
    isStopping = true;
    await running.kill("SIGTERM");

    // The check: the gateway's records against ours, then reconciliation one day later (the
    // settlement file of a day exists once the day is over).
    const trades = await gatewayTrades(sandbox.url);
    const ledger = await readLedger(database.db);
    const checkedAt = new Date();
    sandboxOffsetMs = DAY_MS;
    let sftpEnv: Record<string, string> = {};
    if (sftp && sftpKey) {
      const keyFile = join(workDir, "keys", "antom-sftp");
      writeFileSync(keyFile, sftpKey.private, { mode: 0o600 });
      sftpEnv = {
        ALIPAY_ANTOM_SFTP_HOST: sftp.host,
        ALIPAY_ANTOM_SFTP_PORT: String(sftp.port),
        ALIPAY_ANTOM_SFTP_USER: "drill",
        ALIPAY_ANTOM_SFTP_KEY_FILE: keyFile,
        ALIPAY_ANTOM_SFTP_HOST_KEY_SHA256: sftp.hostKeySha256,
      };
    }
    const env = parseEnv(
      {
        ALIPAY_PROTOCOL: options.protocol,
        ALIPAY_GATEWAY_URL: isAntom ? sandbox.url : sandbox.gatewayUrl,
        ...sftpEnv,
      },
      { repoRoot },
    );
    const direct = createAlipayClient(alipayClientConfig(env));
    const reconciliation: Reconciliation = await reconcileDays({
      db: database.db,
      alipay: direct,
      clock: { now: () => new Date(Date.now() + DAY_MS) },
      days: settlementDaysOf(trades, checkedAt.getTime()),
    });
    const report = checkMoneyInvariants({
      ledger,
      trades,
      now: checkedAt,
      holdGraceMs: options.holdGraceMs ?? 15_000,
      reconciliation,
    });

    const paymentStates: Record<string, number> = {};
    for (const p of ledger.payments) paymentStates[p.state] = (paymentStates[p.state] ?? 0) + 1;
    return {
      purchases: options.purchases,
      ...tally,
      kills: running.kills,
      restarts: running.starts - 1,
      proxyFaults: Object.fromEntries(FAULT_KINDS.map((k) => [k, proxy.counts[k]])) as Record<FaultKind, number>,
      scenarioFaults,
      gatewayCalls: proxy.seen.gateway,
      notifications: proxy.seen.notifications,
      paymentStates,
      report,
      reconciliation,
      refusals,
      wallTimeMs: Date.now() - startedAt,
      logFile,
    };
  } finally {
    await server?.kill("SIGKILL").catch(() => undefined);
    await proxy.close().catch(() => undefined);
    await sftp?.close();
    await sandbox.close();
    await database.drop();
    await new Promise<void>((resolve) => log.end(() => resolve()));
    rmSync(join(workDir, "keys"), { recursive: true, force: true });
  }
}
