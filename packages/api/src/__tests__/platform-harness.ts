/**
 * Test harness for the platform layer: a fresh migrated database (SQLite, or
 * PostgreSQL when TEST_DATABASE_URL is set), the demo seed, platform + money
 * services on one FakeClock, and helpers to call the app router as staff, kiosk,
 * API client or anonymous — with `createCaller(createContextInner(…))`, no HTTP.
 */
import { generateKeyPairSync } from "node:crypto";
import { DEMO_ATTRACTIONS, seed, type DbProvider, type StaffRole, type ApiScope, type ScryptParams } from "@kiosk/db";
import { createTestDatabase, type TestDatabase } from "@kiosk/db/testing";
import { FakeClock } from "../clock.ts";
import { silentLogger } from "../log.ts";
import { moneyEventSink } from "../app-services.ts";
import { moneyMetrics } from "../metrics.ts";
import { SESSION_COOKIE } from "../auth/tokens.ts";
import type { AlipayGateway } from "../services/gateway.ts";
import { createMoneyServices } from "../services/index.ts";
import { createPlatformServices, type PlatformDeps } from "../services/platform.ts";
import { memoryTicketKeys } from "../services/ticket-keys.ts";
import { createContextInner, type AppServices, type RequestAuth } from "../trpc/context.ts";
import { createCaller } from "../trpc/root.ts";

/** The providers to run database tests on: SQLite always, PostgreSQL when a server URL is given. */
export function providersFor(pgUrl: string | undefined): DbProvider[] {
  return pgUrl ? ["sqlite", "postgresql"] : ["sqlite"];
}

export const START = "2026-03-01T02:00:00.000Z";
export const ADMIN_EMAIL = "admin@example.com";
export const ADMIN_PASSWORD = "correct horse battery staple";
export const DEMO_PAIRING_CODE = "A1B2C3D4";
export const DEMO_KIOSK_ID = "kiosk_lobby_1";
export const ATTRACTION = "attr_skyline";
export const OTHER_ATTRACTION = "attr_museum";
/** Cheap scrypt for tests (4 MiB); production uses PASSWORD_HASH_PARAMS (OWASP, N=2^17). */
export const TEST_PASSWORD_PARAMS: ScryptParams = { N: 2 ** 12, r: 8, p: 1 };

/** A gateway that must not be reached by platform tests. */
export const unreachableGateway: AlipayGateway = {
  protocol: "mapi",
  pay: () => Promise.reject(new Error("gateway not available in platform tests")),
  signPay: () => {
    throw new Error("gateway not available in platform tests");
  },
  sendPay: () => Promise.reject(new Error("gateway not available in platform tests")),
  query: () => Promise.reject(new Error("gateway not available in platform tests")),
  cancel: () => Promise.reject(new Error("gateway not available in platform tests")),
  refund: () => Promise.reject(new Error("gateway not available in platform tests")),
  refundQuery: () => Promise.reject(new Error("gateway not available in platform tests")),
  downloadSettlement: () => Promise.reject(new Error("gateway not available in platform tests")),
  verifyNotification: () => {
    throw new Error("gateway not available in platform tests");
  },
};

export interface Harness {
  tdb: TestDatabase;
  clock: FakeClock;
  services: AppServices;
  caller(auth?: Partial<RequestAuth>): ReturnType<typeof createCaller>;
  /** Calls and also returns the Set-Cookie headers the call wrote. */
  callerWithCookies(auth?: Partial<RequestAuth>): { caller: ReturnType<typeof createCaller>; cookies: string[] };
  /** Signs in and returns the session token from the Set-Cookie header. */
  login(email: string, password: string, ip?: string): Promise<string>;
  /** Creates a staff account with `role` and returns a signed-in session token. */
  staffSession(role: StaffRole): Promise<{ token: string; id: string; email: string }>;
  /** Pairs the demo kiosk (or `code`) and returns its device credential. */
  pairDemoKiosk(): Promise<string>;
  apiKey(scopes: ApiScope[], attractionId?: string): Promise<{ key: string; id: string }>;
  close(): Promise<void>;
}

let counter = 0;

/** `pgUrl`: the test file's TEST_DATABASE_URL (needed for "postgresql"). */
/** `withTicketKeys`: give each demo attraction an Ed25519 ticket key, so paid or confirmed orders get tickets. */
/** `alipay`: the money services' gateway, or a factory given the harness clock (default: one that refuses every call). */
/** `seedPasswordParams`: scrypt parameters of the seeded admin's hash (default: the harness's password parameters). */
export async function createHarness(
  provider: DbProvider,
  opts: {
    pgUrl?: string;
    overrides?: Partial<PlatformDeps>;
    withTicketKeys?: boolean;
    alipay?: AlipayGateway | ((clock: FakeClock) => AlipayGateway);
    seedPasswordParams?: ScryptParams;
  } = {},
): Promise<Harness> {
  const tdb = await createTestDatabase(provider, opts.pgUrl);
  const overrides = { passwordParams: TEST_PASSWORD_PARAMS, ...opts.overrides };
  const clock = new FakeClock(START);
  const ticketKeys: Record<string, string> = {};
  if (opts.withTicketKeys)
    for (const a of DEMO_ATTRACTIONS)
      ticketKeys[a.id] = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  await seed(tdb.db, {
    now: clock.now(),
    days: 1,
    adminEmail: ADMIN_EMAIL,
    adminPassword: ADMIN_PASSWORD,
    kioskPairingCode: DEMO_PAIRING_CODE,
    passwordParams: opts.seedPasswordParams ?? overrides.passwordParams,
    ...(opts.withTicketKeys ? { ticketKeys } : {}),
  });
  const platform = createPlatformServices({
    db: tdb.db,
    clock,
    log: silentLogger,
    sessionTtlMinutes: 60,
    eventsPollIntervalMs: 25,
    rateLimitStore: provider === "postgresql" ? "database" : "memory",
    ...overrides,
  });
  const money = createMoneyServices({
    db: tdb.db,
    clock,
    alipay: typeof opts.alipay === "function" ? opts.alipay(clock) : (opts.alipay ?? unreachableGateway),
    ticketKeys: memoryTicketKeys(ticketKeys),
    events: moneyEventSink(platform),
    metrics: moneyMetrics(platform.metrics),
  });
  const services: AppServices = { ...platform, money };
  const callerWithCookies = (auth: Partial<RequestAuth> = {}) => {
    const ctx = createContextInner({ services, auth });
    return { caller: createCaller(ctx), cookies: ctx.cookies.written };
  };
  const caller = (auth: Partial<RequestAuth> = {}) => callerWithCookies(auth).caller;
  const login = async (email: string, password: string, ip = "10.0.0.1") => {
    const { caller: c, cookies } = callerWithCookies({ ip });
    await c.auth.login({ email, password });
    const header = cookies.find((h) => h.startsWith(`${SESSION_COOKIE}=`));
    if (!header) throw new Error("login set no session cookie");
    return decodeURIComponent(header.slice(SESSION_COOKIE.length + 1).split(";")[0]!);
  };
  const adminActor = { type: "staff" as const, id: "staff_admin" };
  return {
    tdb,
    clock,
    services,
    caller,
    callerWithCookies,
    login,
    async staffSession(role) {
      const email = `${role}.${++counter}.${Date.now()}@example.com`;
      const password = `password-${role}-0123456789`;
      const u = await services.auth.createStaffUser({ email, name: role, password, role }, adminActor);
      return { token: await login(email, password, `10.1.${counter % 250}.1`), id: u.id, email };
    },
    async pairDemoKiosk() {
      const r = await caller({ ip: `10.2.${++counter % 250}.1` }).auth.pairKiosk({ code: DEMO_PAIRING_CODE });
      return r.credential;
    },
    async apiKey(scopes, attractionId = ATTRACTION) {
      const r = await services.auth.apiKeys.create({ attractionId, name: `client ${++counter}`, scopes }, adminActor);
      return { key: r.key, id: r.client.id };
    },
    close: () => tdb.drop(),
  };
}
