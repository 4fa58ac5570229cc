/**
 * Issue 19, item 1: rate limits are the same whichever instance answers. Two service
 * instances (two platform service sets, as two servers would build) on one PostgreSQL database
 * share one budget; on SQLite (one process) the memory store limits as before and stays bounded.
 * Time is a FakeClock; nothing sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashToken } from "@kiosk/db";
import { createTestDatabase, type TestDatabase } from "@kiosk/db/testing";
import { FakeClock } from "../clock.ts";
import { silentLogger } from "../log.ts";
import { createPlatformServices, type PlatformServices } from "./platform.ts";
import { bucketConsume, RateLimiter } from "./rate-limit.ts";

const PG_URL = process.env.TEST_DATABASE_URL;

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe.skipIf(!PG_URL)("rate limits shared by a fleet on postgresql", () => {
  let tdb: TestDatabase;
  let a: PlatformServices;
  let b: PlatformServices;
  const clock = new FakeClock("2026-03-01T00:00:00.000Z");
  beforeAll(async () => {
    tdb = await createTestDatabase("postgresql", PG_URL);
    const make = (): PlatformServices =>
      createPlatformServices({
        db: tdb.db,
        clock,
        log: silentLogger,
        sessionTtlMinutes: 60,
        rateLimitStore: "database",
      });
    a = make();
    b = make();
  });
  afterAll(async () => {
    await tdb?.drop();
  });

  it("two instances on one database allow the policy's budget once, not once each", async () => {
    const codes: string[] = [];
    // 60 booking calls per window: alternate instances, like a round-robin proxy.
    for (let i = 0; i < 70; i++)
      codes.push(await outcome((i % 2 === 0 ? a : b).rateLimiter.consume("bookingApi", "apic_shared")));
    expect(codes.filter((c) => c === "OK")).toHaveLength(60);
    expect(codes.slice(60)).toEqual(Array(10).fill("TOO_MANY_REQUESTS"));
    // Another client has its own budget; the next window starts afresh on both instances.
    expect(await outcome(a.rateLimiter.consume("bookingApi", "apic_other"))).toBe("OK");
    clock.advance(6_000);
    expect(await outcome(b.rateLimiter.consume("bookingApi", "apic_shared"))).toBe("OK");
  });

  it("counts concurrent requests from both instances exactly", async () => {
    const all = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        outcome((i % 2 === 0 ? a : b).rateLimiter.consume("kioskPairing", "ip:198.51.100.9")),
      ),
    );
    expect(all.filter((c) => c === "OK")).toHaveLength(5);
  });

  it("one statement per request: an expired bucket not yet pruned starts again", async () => {
    await tdb.db.rateLimitBucket.create({
      data: { key: "bookingApi:stale", points: 1_000, expire: new Date(Date.now() - 1_000) },
    });
    expect(await bucketConsume(tdb.db, "bookingApi:stale", 1, 60)).toBe(1);
    expect(await bucketConsume(tdb.db, "bookingApi:stale", 2, 60)).toBe(3);
    const row = await tdb.db.rateLimitBucket.findUniqueOrThrow({ where: { key: "bookingApi:stale" } });
    expect(row.expire!.getTime()).toBeGreaterThan(Date.now());
  });

  it("a kiosk's lookup and its bucket in one statement count exactly, on both instances, into consume's bucket", async () => {
    const credential = "kdc_fleet_counted_credential_0123456789";
    await tdb.db.attraction.upsert({
      where: { id: "attr_counted" },
      create: {
        id: "attr_counted",
        slug: "counted",
        name: "Counted",
        currency: "SGD",
        timezone: "Asia/Singapore",
        ticketKeyId: "k1",
        ticketPublicKey: "unused",
      },
      update: {},
    });
    await tdb.db.kiosk.create({
      data: {
        id: "kiosk_counted",
        attractionId: "attr_counted",
        name: "Counted",
        credentialHash: hashToken(credential),
      },
    });
    clock.advance(12_000); // a fresh kioskDevice window (240 per 12 s)
    const counted = (svc: PlatformServices) =>
      outcome(svc.auth.authenticateKioskCounted(credential, svc.rateLimiter.sharedBucket("kioskDevice")!));
    // The key is consume's: 40 through consume, then the rest of the 240 through the combined statement.
    for (let i = 0; i < 40; i++)
      expect(await outcome(a.rateLimiter.consume("kioskDevice", "kiosk_counted"))).toBe("OK");
    const all = await Promise.all(Array.from({ length: 220 }, (_, i) => counted(i % 2 === 0 ? a : b)));
    expect(all.filter((c) => c === "OK")).toHaveLength(200);
    expect(all.filter((c) => c === "TOO_MANY_REQUESTS")).toHaveLength(20);
    // An unknown credential is nobody's: no bucket is touched, and the answer is "not a kiosk".
    const before = await tdb.db.rateLimitBucket.count();
    expect(await a.auth.authenticateKioskCounted("kdc_unknown", a.rateLimiter.sharedBucket("kioskDevice")!)).toBeNull();
    expect(await tdb.db.rateLimitBucket.count()).toBe(before);
    // The identity is the stored kiosk.
    clock.advance(12_000);
    expect(await a.auth.authenticateKioskCounted(credential, a.rateLimiter.sharedBucket("kioskDevice")!)).toEqual({
      id: "kiosk_counted",
      attractionId: "attr_counted",
      name: "Counted",
      isInService: true,
    });
  });

  it("an API key's lookup and its bucket in one statement count exactly, on both instances, into consume's bucket", async () => {
    const { key, client } = await a.auth.apiKeys.create(
      { attractionId: "attr_counted", name: "Counted booking system", scopes: ["bookings:write"] },
      { type: "system", id: null },
    );
    clock.advance(60_000); // a fresh bookingApi window (60 per 6 s)
    const counted = (svc: PlatformServices, k = key) =>
      outcome(svc.auth.apiKeys.authenticateCounted(k, svc.rateLimiter.sharedBucket("bookingApi")!));
    for (let i = 0; i < 10; i++) expect(await outcome(a.rateLimiter.consume("bookingApi", client.id))).toBe("OK");
    const all = await Promise.all(Array.from({ length: 60 }, (_, i) => counted(i % 2 === 0 ? a : b)));
    expect(all.filter((c) => c === "OK")).toHaveLength(50);
    expect(all.filter((c) => c === "TOO_MANY_REQUESTS")).toHaveLength(10);
    // A key of the right shape but the wrong secret, or of no client, charges nothing and is nobody.
    clock.advance(60_000);
    const points = async () =>
      (await tdb.db.rateLimitBucket.findMany({ where: { key: { contains: client.id } } })).map((r) => r.points);
    const before = await points();
    const forged = key.slice(0, -4) + (key.endsWith("AAAA") ? "BBBB" : "AAAA");
    expect(await a.auth.apiKeys.authenticateCounted(forged, a.rateLimiter.sharedBucket("bookingApi")!)).toBeNull();
    expect(
      await a.auth.apiKeys.authenticateCounted(
        "kak_00000000_" + "x".repeat(43),
        a.rateLimiter.sharedBucket("bookingApi")!,
      ),
    ).toBeNull();
    expect(await points()).toEqual(before);
    // The identity is the stored client; a revoked key is nobody.
    expect(await a.auth.apiKeys.authenticateCounted(key, a.rateLimiter.sharedBucket("bookingApi")!)).toEqual(
      await a.auth.apiKeys.authenticate(key),
    );
    await a.auth.apiKeys.revoke({ apiClientId: client.id, reason: "test" }, { type: "system", id: null });
    expect(await a.auth.apiKeys.authenticateCounted(key, a.rateLimiter.sharedBucket("bookingApi")!)).toBeNull();
  });

  it("prunes expired rows, so the table is bounded", async () => {
    await tdb.db.rateLimitBucket.create({
      data: { key: "bookingApi:old", points: 3, expire: new Date(Date.now() - 1_000) },
    });
    expect(await a.maintenance.tick()).toMatchObject({ rateLimitBucketsPruned: 1 });
    expect(await tdb.db.rateLimitBucket.count({ where: { key: "bookingApi:old" } })).toBe(0);
  });
});

describe("rate limits in memory (SQLite: one process)", () => {
  it("keeps at most maxBuckets keys however many an attacker invents, and the newest keep their count", async () => {
    const clock = new FakeClock("2026-03-01T00:00:00.000Z");
    const limiter = new RateLimiter({ clock, maxBuckets: 100 });
    for (let i = 0; i < 1_000; i++) await limiter.consume("kioskPairing", `ip:198.18.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBeLessThanOrEqual(100);
    for (let i = 0; i < 4; i++) await limiter.consume("kioskPairing", "ip:198.18.3.231");
    await expect(limiter.consume("kioskPairing", "ip:198.18.3.231")).rejects.toThrow(/Too many requests/);
    clock.advance(3_600_000);
    await limiter.prune();
    expect(limiter.size).toBe(0);
  });
});
