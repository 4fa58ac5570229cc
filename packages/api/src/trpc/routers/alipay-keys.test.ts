import { AlipayGatewayError, generateRsaKeyPair } from "@kiosk/alipay-core";
import { startSandbox, type RunningSandbox } from "@kiosk/alipay-sandbox";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../../env.ts";
import { createHarness, providersFor, type Harness } from "../../__tests__/platform-harness.ts";
import { alipayKeyFingerprint, AlipayKeyRing } from "../../alipay-key-ring.ts";
import { silentLogger } from "../../log.ts";
import { createAlipayKeyRingFromEnv } from "../../app-services.ts";
import { createContextInner, type AppServices } from "../context.ts";
import { createCaller } from "../root.ts";

const PARTNER_ID = "2088000000005555";
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TRPCError) return e.code;
    throw e;
  }
  return "OK";
}

const body = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");

describe.each(providersFor(undefined))("alipayKeys router on %s", (provider) => {
  let h: Harness;
  let sandbox: RunningSandbox;
  const current = generateRsaKeyPair();
  const next = generateRsaKeyPair();
  const gateway = generateRsaKeyPair();

  function ringFor(vars: Record<string, string>): AlipayKeyRing {
    const env = parseEnv({
      NODE_ENV: "test",
      ALIPAY_GATEWAY_URL: sandbox.gatewayUrl,
      ALIPAY_PARTNER_ID: PARTNER_ID,
      ALIPAY_PRIVATE_KEY: current.privateKeyPem,
      ALIPAY_PUBLIC_KEY: gateway.publicKeyBase64,
      ...vars,
    });
    return createAlipayKeyRingFromEnv(env, { log: silentLogger, metrics: h.services.metrics });
  }

  function callerWith(services: AppServices, token: string) {
    return createCaller(createContextInner({ services, auth: { sessionToken: token } }));
  }

  beforeAll(async () => {
    h = await createHarness(provider);
    // Alipay already has the NEXT public key (uploaded in the merchant portal), so until the
    // switch the current key's signatures are refused: the switch must take effect at once.
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

  it("admins set an attraction's Alipay merchant fields (audited); bad ids and other roles change nothing", async () => {
    const admin = await h.staffSession("admin");
    const caller = callerWith(h.services, admin.token);
    const before = await caller.alipayKeys.merchantFields();
    expect(before.find((a) => a.id === "attr_skyline")).toMatchObject({
      secondaryMerchantId: "SKYLINE_DECK",
      storeId: "SKY-MAIN",
    });
    expect(
      await caller.alipayKeys.setMerchantFields({
        attractionId: "attr_museum",
        secondaryMerchantId: null,
        storeId: null,
      }),
    ).toMatchObject({ secondaryMerchantId: null, storeId: null });
    const set = await caller.alipayKeys.setMerchantFields({
      attractionId: "attr_skyline",
      secondaryMerchantId: "SKY_2088",
      storeId: "SKY-GATE-1",
    });
    expect(set).toMatchObject({ id: "attr_skyline", secondaryMerchantId: "SKY_2088", storeId: "SKY-GATE-1" });
    expect(
      await h.services.db.attraction.findUniqueOrThrow({
        where: { id: "attr_skyline" },
        select: { secondaryMerchantId: true, storeId: true },
      }),
    ).toEqual({ secondaryMerchantId: "SKY_2088", storeId: "SKY-GATE-1" });
    const audit = await h.services.db.auditLog.findMany({
      where: { action: "alipay.merchant_fields_set", actorId: admin.id, targetId: "attr_skyline" },
    });
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.details)).toEqual({
      secondaryMerchantId: "SKY_2088",
      storeId: "SKY-GATE-1",
      before: { secondaryMerchantId: "SKYLINE_DECK", storeId: "SKY-MAIN" },
    });

    expect(
      await codeOf(
        caller.alipayKeys.setMerchantFields({
          attractionId: "attr_skyline",
          secondaryMerchantId: "bad id!",
          storeId: null,
        }),
      ),
    ).toBe("BAD_REQUEST");
    expect(
      await codeOf(
        caller.alipayKeys.setMerchantFields({ attractionId: "attr_nowhere", secondaryMerchantId: null, storeId: null }),
      ),
    ).toBe("NOT_FOUND");
    const viewer = await h.staffSession("viewer");
    expect(
      await codeOf(
        callerWith(h.services, viewer.token).alipayKeys.setMerchantFields({
          attractionId: "attr_skyline",
          secondaryMerchantId: null,
          storeId: null,
        }),
      ),
    ).toBe("FORBIDDEN");
    expect(
      await h.services.db.attraction.findUniqueOrThrow({
        where: { id: "attr_skyline" },
        select: { secondaryMerchantId: true, storeId: true },
      }),
    ).toEqual({ secondaryMerchantId: "SKY_2088", storeId: "SKY-GATE-1" });

    // The configuration check names the attraction still without them (a warning, not a failure).
    const check = await caller.alipayKeys.check({ slot: "current" });
    const step = check.steps.find((st) => st.name === "merchant_fields");
    expect(step?.status).toBe("warn");
    expect(step?.detail).not.toContain("Skyline");
    const museum = before.find((a) => a.id === "attr_museum");
    expect(step?.detail).toContain(`${museum?.name}: secondary_merchant_id, store_id`);
  });

  it("admins set the wallets an attraction's scan screen lists (audited); unknown wallets and other roles change nothing", async () => {
    const admin = await h.staffSession("admin");
    const caller = callerWith(h.services, admin.token);
    expect((await caller.alipayKeys.merchantFields()).find((a) => a.id === "attr_skyline")?.acceptedWallets).toBe(null);
    const set = await caller.alipayKeys.setAcceptedWallets({
      attractionId: "attr_skyline",
      wallets: ["GCASH", "DANA"],
    });
    expect(set).toMatchObject({ id: "attr_skyline", acceptedWallets: ["GCASH", "DANA"] });
    expect((await caller.catalog.get({ attractionId: "attr_skyline" })).attraction.acceptedWallets).toEqual([
      "GCASH",
      "DANA",
    ]);
    const audit = await h.services.db.auditLog.findMany({
      where: { action: "alipay.accepted_wallets_set", actorId: admin.id, targetId: "attr_skyline" },
    });
    expect(audit.map((a) => JSON.parse(a.details) as unknown)).toEqual([{ wallets: ["GCASH", "DANA"], before: null }]);
    expect(
      await codeOf(caller.alipayKeys.setAcceptedWallets({ attractionId: "attr_skyline", wallets: ["PAYPAL"] })),
    ).toBe("BAD_REQUEST");
    const viewer = await h.staffSession("viewer");
    expect(
      await codeOf(
        callerWith(h.services, viewer.token).alipayKeys.setAcceptedWallets({
          attractionId: "attr_skyline",
          wallets: null,
        }),
      ),
    ).toBe("FORBIDDEN");
    expect((await h.services.db.attraction.findUniqueOrThrow({ where: { id: "attr_skyline" } })).acceptedWallets).toBe(
      JSON.stringify(["GCASH", "DANA"]),
    );
    // null: back to the protocol's default (MAPI here: Alipay only).
    await caller.alipayKeys.setAcceptedWallets({ attractionId: "attr_skyline", wallets: null });
    expect((await caller.catalog.get({ attractionId: "attr_skyline" })).attraction.acceptedWallets).toEqual([
      "ALIPAY_CN",
    ]);
  });

  it("status shows which key signs, by fingerprint only", async () => {
    const ring = ringFor({ ALIPAY_NEXT_PRIVATE_KEY: next.privateKeyPem });
    const admin = await h.staffSession("admin");
    const status = await callerWith({ ...h.services, alipayKeys: ring }, admin.token).alipayKeys.status();
    expect(status).toEqual({
      signType: "RSA2",
      active: "current",
      activeFingerprint: alipayKeyFingerprint(current.privateKeyPem),
      currentFingerprint: alipayKeyFingerprint(current.privateKeyPem),
      nextFingerprint: alipayKeyFingerprint(next.privateKeyPem),
      canSwitch: true,
      switchedAt: null,
    });
    expect(status.currentFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const text = JSON.stringify(status);
    expect(text).not.toContain("BEGIN");
    for (const pem of [current.privateKeyPem, next.privateKeyPem])
      expect(text).not.toContain(body(pem).slice(100, 140));
  });

  it("switchToNext signs every later request with the next key, audits who and which keys, and is idempotent", async () => {
    const ring = ringFor({ ALIPAY_NEXT_PRIVATE_KEY: next.privateKeyPem });
    const admin = await h.staffSession("admin");
    const caller = callerWith({ ...h.services, alipayKeys: ring }, admin.token);
    const probe = { partnerTransId: "KEYSWITCH0001", currency: "USD" };
    await expect(ring.gateway.query(probe)).rejects.toSatisfy(
      (e: unknown) => e instanceof AlipayGatewayError && e.gatewayCode === "ILLEGAL_SIGN",
    );

    const r = await caller.alipayKeys.switchToNext({ reason: "annual key rotation" });
    expect(r.switched).toBe(true);
    expect(r.status).toMatchObject({
      active: "next",
      activeFingerprint: alipayKeyFingerprint(next.privateKeyPem),
      canSwitch: false,
      switchedAt: h.clock.now(),
    });
    expect(await ring.gateway.query(probe)).toMatchObject({ status: "not_found" });

    const entries = await h.services.db.auditLog.findMany({
      where: { action: "alipay.key_switched", actorId: admin.id },
    });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actorType: "staff",
      targetType: "alipay_key",
      targetId: alipayKeyFingerprint(next.privateKeyPem),
      reason: "annual key rotation",
    });
    expect(JSON.parse(entries[0]!.details)).toEqual({
      by: admin.email,
      fromFingerprint: alipayKeyFingerprint(current.privateKeyPem),
      toFingerprint: alipayKeyFingerprint(next.privateKeyPem),
      signType: "RSA2",
    });
    expect(entries[0]!.details).not.toContain(body(next.privateKeyPem).slice(100, 140));

    const again = await caller.alipayKeys.switchToNext({ reason: "second click" });
    expect(again.switched).toBe(false);
    expect(await h.services.db.auditLog.count({ where: { action: "alipay.key_switched", actorId: admin.id } })).toBe(1);
  });

  it("is for admins only", async () => {
    const ring = ringFor({ ALIPAY_NEXT_PRIVATE_KEY: next.privateKeyPem });
    const supervisor = await h.staffSession("supervisor");
    const caller = callerWith({ ...h.services, alipayKeys: ring }, supervisor.token);
    expect(await codeOf(caller.alipayKeys.status())).toBe("FORBIDDEN");
    expect(await codeOf(caller.alipayKeys.switchToNext({ reason: "not allowed" }))).toBe("FORBIDDEN");
    expect(
      await codeOf(
        createCaller(createContextInner({ services: { ...h.services, alipayKeys: ring } })).alipayKeys.status(),
      ),
    ).toBe("UNAUTHORIZED");
    expect(ring.status().active).toBe("current");
  });

  it("refuses the switch without a next key, and without a key ring", async () => {
    const admin = await h.staffSession("admin");
    const ring = ringFor({});
    expect(ring.status()).toMatchObject({ nextFingerprint: null, canSwitch: false });
    expect(
      await codeOf(
        callerWith({ ...h.services, alipayKeys: ring }, admin.token).alipayKeys.switchToNext({ reason: "no next key" }),
      ),
    ).toBe("PRECONDITION_FAILED");
    expect(await codeOf(callerWith(h.services, admin.token).alipayKeys.status())).toBe("PRECONDITION_FAILED");
  });

  it("env: the next key may be bare base64 (read as PKCS#8); MD5 has no next key", () => {
    expect(() =>
      parseEnv({ NODE_ENV: "test", ALIPAY_SIGN_TYPE: "MD5", ALIPAY_NEXT_PRIVATE_KEY: next.privateKeyPem }),
    ).toThrow(/ALIPAY_NEXT_PRIVATE_KEY: key rotation is for RSA\/RSA2/);
    const env = parseEnv({ NODE_ENV: "test", ALIPAY_NEXT_PRIVATE_KEY: body(next.privateKeyPem) });
    expect(alipayKeyFingerprint(env.alipay.nextPrivateKeyPem!)).toBe(alipayKeyFingerprint(next.privateKeyPem));
    expect(parseEnv({ NODE_ENV: "test" }).alipay.nextPrivateKeyPem).toBeNull();
  });
});
