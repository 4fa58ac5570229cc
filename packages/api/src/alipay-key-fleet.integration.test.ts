/**
 * Issue 19, item 2: the Alipay key switch is a row every instance reads. Two instances (two key
 * rings and two service sets, as two servers build them) on one database: a switch through one
 * instance makes the other sign with the next key within the refresh time, and is audited once
 * even when both instances switch at the same moment. Real HTTP to the sandbox, which accepts
 * only the next key's signatures. SQLite, and PostgreSQL with TEST_DATABASE_URL. FakeClock.
 */
import { AlipayGatewayError, generateRsaKeyPair } from "@kiosk/alipay-core";
import { startSandbox, type RunningSandbox } from "@kiosk/alipay-sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "./env.ts";
import { createHarness, providersFor, type Harness } from "./__tests__/platform-harness.ts";
import { alipayKeyFingerprint, DEFAULT_KEY_REFRESH_MS, type AlipayKeyRing } from "./alipay-key-ring.ts";
import { silentLogger } from "./log.ts";
import { createAlipayKeyRingFromEnv } from "./app-services.ts";
import { createContextInner, type AppServices } from "./trpc/context.ts";
import { createCaller } from "./trpc/root.ts";

const PG_URL = process.env.TEST_DATABASE_URL;
const PARTNER_ID = "2088000000007777";
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe.each(providersFor(PG_URL))("the Alipay key switch across a fleet on %s", (provider) => {
  let h: Harness;
  let sandbox: RunningSandbox;
  const current = generateRsaKeyPair();
  const next = generateRsaKeyPair();
  const gateway = generateRsaKeyPair();

  function instance(): { ring: AlipayKeyRing; services: AppServices } {
    const env = parseEnv({
      NODE_ENV: "test",
      ALIPAY_GATEWAY_URL: sandbox.gatewayUrl,
      ALIPAY_PARTNER_ID: PARTNER_ID,
      ALIPAY_PRIVATE_KEY: current.privateKeyPem,
      ALIPAY_NEXT_PRIVATE_KEY: next.privateKeyPem,
      ALIPAY_PUBLIC_KEY: gateway.publicKeyBase64,
    });
    const ring = createAlipayKeyRingFromEnv(env, {
      log: silentLogger,
      metrics: h.services.metrics,
      shared: { db: h.services.db, clock: h.clock },
    });
    return { ring, services: { ...h.services, alipayKeys: ring } };
  }
  const caller = (services: AppServices, token: string) =>
    createCaller(createContextInner({ services, auth: { sessionToken: token } }));
  const illegalSign = (e: unknown) => e instanceof AlipayGatewayError && e.gatewayCode === "ILLEGAL_SIGN";

  beforeAll(async () => {
    h = await createHarness(provider, { pgUrl: PG_URL });
    sandbox = await startSandbox({
      port: 0,
      tickIntervalMs: 0,
      logger: quiet,
      partners: [{ partnerId: PARTNER_ID, rsaPublicKey: next.publicKeyBase64 }],
      gatewayPrivateKey: gateway.privateKeyPem,
    });
  });
  afterAll(async () => {
    await sandbox?.close();
    await h?.close();
  });

  it("a switch on one instance reaches the other within the refresh time, audited once", async () => {
    const a = instance();
    const b = instance();
    const admin = await h.staffSession("admin");
    const probe = { partnerTransId: "FLEETKEY0001", currency: "USD" };
    await expect(b.ring.gateway.query(probe)).rejects.toSatisfy(illegalSign);

    const r = await caller(a.services, admin.token).alipayKeys.switchToNext({ reason: "fleet rotation" });
    expect(r).toMatchObject({ switched: true, status: { active: "next" } });
    expect(await a.ring.gateway.query(probe)).toMatchObject({ status: "not_found" });

    // B re-reads the row once its copy is DEFAULT_KEY_REFRESH_MS old, before its next call.
    h.clock.advance(DEFAULT_KEY_REFRESH_MS);
    expect(await b.ring.gateway.query(probe)).toMatchObject({ status: "not_found" });
    expect(await caller(b.services, admin.token).alipayKeys.status()).toMatchObject({
      active: "next",
      activeFingerprint: alipayKeyFingerprint(next.privateKeyPem),
      switchedAt: r.status.switchedAt,
    });
    // Switching again from B changes nothing and writes no second audit entry.
    expect(await caller(b.services, admin.token).alipayKeys.switchToNext({ reason: "again" })).toMatchObject({
      switched: false,
    });
    expect(await h.services.db.auditLog.count({ where: { action: "alipay.key_switched" } })).toBe(1);
    // A new instance (a restarted server) signs with the switched key from its first call.
    const c = instance();
    expect(await c.ring.gateway.query(probe)).toMatchObject({ status: "not_found" });
  });

  it("two instances switching at the same moment: exactly one switch and one audit entry", async () => {
    await h.services.db.fleetSetting.deleteMany({});
    await h.services.db.auditLog.deleteMany({ where: { action: "alipay.key_switched" } });
    const a = instance();
    const b = instance();
    const admin = await h.staffSession("admin");
    const results = await Promise.all(
      [a, b, a, b].map((x) => caller(x.services, admin.token).alipayKeys.switchToNext({ reason: "both at once" })),
    );
    expect(results.filter((x) => x.switched)).toHaveLength(1);
    expect(results.every((x) => x.status.active === "next")).toBe(true);
    expect(await h.services.db.auditLog.count({ where: { action: "alipay.key_switched" } })).toBe(1);
  });
});
