import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createHarness,
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  ATTRACTION,
  DEMO_KIOSK_ID,
  DEMO_PAIRING_CODE,
  OTHER_ATTRACTION,
  providersFor,
  type Harness,
} from "../../__tests__/platform-harness.ts";
import { SESSION_COOKIE } from "../../auth/tokens.ts";
import { createContextInner } from "../context.ts";
import {
  apiClientProcedure,
  createCallerFactory,
  IdempotencyKeySchema,
  idempotent,
  router,
  sellingKioskProcedure,
} from "../init.ts";
import { appRouter } from "../root.ts";
import { metricValue } from "../../metrics.ts";

const PG_URL = process.env.TEST_DATABASE_URL;
const PROVIDERS = providersFor(PG_URL);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TRPCError) return e.code;
    throw e;
  }
  return "OK";
}

const HEARTBEAT = {
  isBridgeConnected: true,
  appVersion: "1.2.3",
  bridgeVersion: "0.9.0",
  devices: {
    scanner: { kind: "virtual" as const, connected: true, armed: false, droppedScans: 0 },
    printer: {
      kind: "virtual" as const,
      connected: true,
      online: true,
      paper: "near_end" as const,
      coverOpen: false,
      error: false,
      queuedJobs: 0,
    },
  },
};

describe.each(PROVIDERS)("platform routers on %s", (provider) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(provider, { pgUrl: PG_URL });
  });
  afterAll(async () => {
    await h?.close();
  });

  describe("staff sign-in", () => {
    it("signs in with the right password and sets an httpOnly SameSite=Lax session cookie", async () => {
      const { caller, cookies } = h.callerWithCookies({ ip: "192.0.2.10" });
      const r = await caller.auth.login({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      expect(r.staff).toMatchObject({ email: ADMIN_EMAIL, role: "admin" });
      const cookie = cookies.find((c) => c.startsWith(`${SESSION_COOKIE}=kst_`));
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Lax/);
      expect(cookie).toMatch(/Max-Age=3600/);
      const token = decodeURIComponent(cookie!.split(";")[0]!.slice(SESSION_COOKIE.length + 1));
      const me = await h.caller({ sessionToken: token }).auth.me();
      expect(me.staff.email).toBe(ADMIN_EMAIL);
      const row = await h.services.db.staffSession.findFirst({
        where: { userId: r.staff.id },
        orderBy: { createdAt: "desc" },
      });
      expect(row?.tokenHash).not.toContain(token);
    });

    it("refuses a wrong password and an unknown e-mail with the same UNAUTHORIZED, and audits both", async () => {
      const before = await h.services.db.auditLog.count({ where: { action: "auth.login_failed" } });
      expect(
        await codeOf(h.caller({ ip: "192.0.2.11" }).auth.login({ email: ADMIN_EMAIL, password: "wrong password" })),
      ).toBe("UNAUTHORIZED");
      expect(
        await codeOf(h.caller({ ip: "192.0.2.11" }).auth.login({ email: "nobody@example.com", password: "x" })),
      ).toBe("UNAUTHORIZED");
      expect(await h.services.db.auditLog.count({ where: { action: "auth.login_failed" } })).toBe(before + 2);
    });

    it("expires a session after its TTL, and renews it (sliding) when used past half its life", async () => {
      const token = await h.login(ADMIN_EMAIL, ADMIN_PASSWORD, "192.0.2.12");
      h.clock.advance(20 * 60_000);
      expect((await h.caller({ sessionToken: token }).auth.me()).staff.email).toBe(ADMIN_EMAIL);
      // 40 min in: past half of the 60 min TTL, so this call renews to 60 min from now.
      h.clock.advance(20 * 60_000);
      const { caller, cookies } = h.callerWithCookies({ sessionToken: token });
      const me = await caller.auth.me();
      expect(me.expiresAt.getTime()).toBe(h.clock.now().getTime() + 60 * 60_000);
      expect(cookies.some((c) => c.startsWith(`${SESSION_COOKIE}=`) && c.includes("Max-Age=3600"))).toBe(true);
      h.clock.advance(59 * 60_000);
      expect((await h.caller({ sessionToken: token }).auth.me()).staff.email).toBe(ADMIN_EMAIL);
      h.clock.advance(61 * 60_000);
      const expired = h.callerWithCookies({ sessionToken: token });
      expect(await codeOf(expired.caller.auth.me())).toBe("UNAUTHORIZED");
      expect(expired.cookies.some((c) => c.startsWith(`${SESSION_COOKIE}=;`) && c.includes("Max-Age=0"))).toBe(true);
    });

    it("signs out: the token stops working and the cookie is cleared", async () => {
      const token = await h.login(ADMIN_EMAIL, ADMIN_PASSWORD, "192.0.2.13");
      const { caller, cookies } = h.callerWithCookies({ sessionToken: token });
      await caller.auth.logout();
      expect(cookies.some((c) => c.includes("Max-Age=0"))).toBe(true);
      expect(await codeOf(h.caller({ sessionToken: token }).auth.me())).toBe("UNAUTHORIZED");
    });

    it("ends every session of a deactivated user, and refuses their sign-in", async () => {
      const admin = await h.staffSession("admin");
      const cashier = await h.staffSession("cashier");
      await h
        .caller({ sessionToken: admin.token })
        .staff.deactivateUser({ userId: cashier.id, reason: "left the company" });
      expect(await codeOf(h.caller({ sessionToken: cashier.token }).auth.me())).toBe("UNAUTHORIZED");
      const entry = await h.services.db.auditLog.findFirst({
        where: { action: "staff.deactivate", targetId: cashier.id },
      });
      expect(entry).toMatchObject({ actorType: "staff", actorId: admin.id, reason: "left the company" });
    });

    it("rejects calls without a session", async () => {
      expect(await codeOf(h.caller().auth.me())).toBe("UNAUTHORIZED");
      expect(await codeOf(h.caller({ sessionToken: "kst_forged" }).fleet.list())).toBe("UNAUTHORIZED");
    });
  });

  describe("roles", () => {
    /** Every mutation a staff member could call, from the whole app router (money path included). */
    const allStaffMutations = Object.entries(
      appRouter._def.procedures as unknown as Record<
        string,
        { _def: { type: string; meta?: { auth?: string; minRole?: string } } }
      >,
    ).filter(([, p]) => p._def.type === "mutation" && p._def.meta?.auth === "staff");
    // The one staff mutation a viewer may make: changing their own password.
    const VIEWER_MUTATIONS = ["auth.changePassword"];
    const staffMutations = allStaffMutations.filter(([path]) => !VIEWER_MUTATIONS.includes(path));

    it("allows a viewer no staff mutation but changing their own password", () => {
      expect(
        allStaffMutations.filter(([, p]) => (p._def.meta?.minRole ?? "viewer") === "viewer").map(([path]) => path),
      ).toEqual(VIEWER_MUTATIONS);
    });

    it("finds the staff mutations to check", () => {
      expect(staffMutations.map(([path]) => path)).toEqual(
        expect.arrayContaining([
          "fleet.register",
          "fleet.issuePairingCode",
          "fleet.setInService",
          "staff.createUser",
          "staff.deactivateUser",
          "staff.createApiKey",
          "staff.revokeApiKey",
        ]),
      );
    });

    it("refuses a viewer every staff mutation with FORBIDDEN, before reading the input, and changes nothing", async () => {
      const viewer = await h.staffSession("viewer");
      const ctx = createContextInner({ services: h.services, auth: { sessionToken: viewer.token } });
      const auditBefore = await h.services.db.auditLog.count();
      const kiosksBefore = await h.services.db.kiosk.count();
      for (const [path] of staffMutations) {
        const result = await codeOf(
          appRouter.createCaller(ctx)[path.split(".")[0] as "fleet"][path.split(".")[1] as "register"]({} as never),
        );
        expect({ path, result }).toEqual({ path, result: "FORBIDDEN" });
      }
      expect(await h.services.db.kiosk.count()).toBe(kiosksBefore);
      // Only the viewer's own sign-in was audited.
      expect(await h.services.db.auditLog.count()).toBe(auditBefore);
    });

    it("lets a viewer read the fleet but not the audit log", async () => {
      const viewer = await h.staffSession("viewer");
      expect(Array.isArray(await h.caller({ sessionToken: viewer.token }).fleet.list())).toBe(true);
      expect(await codeOf(h.caller({ sessionToken: viewer.token }).staff.auditLog())).toBe("FORBIDDEN");
    });

    it("orders roles viewer < cashier < supervisor < admin", async () => {
      const cashier = await h.staffSession("cashier");
      const supervisor = await h.staffSession("supervisor");
      expect(
        await codeOf(h.caller({ sessionToken: cashier.token }).fleet.register({ attractionId: ATTRACTION, name: "x" })),
      ).toBe("FORBIDDEN");
      expect(
        await codeOf(
          h.caller({ sessionToken: supervisor.token }).fleet.register({ attractionId: ATTRACTION, name: "Gate kiosk" }),
        ),
      ).toBe("OK");
      expect(
        await codeOf(
          h
            .caller({ sessionToken: supervisor.token })
            .staff.createUser({ email: "a@b.cd", name: "n", password: "0123456789abc", role: "viewer" }),
        ),
      ).toBe("FORBIDDEN");
    });
  });

  describe("kiosk pairing and fleet", () => {
    let admin: { token: string; id: string };
    let credential: string;
    beforeAll(async () => {
      admin = await h.staffSession("admin");
      credential = await h.pairDemoKiosk();
    });

    it("pairs once: the seeded code gives a kdc_ credential, and a second use fails", async () => {
      expect(credential).toMatch(/^kdc_/);
      expect(await codeOf(h.caller({ ip: "198.51.100.1" }).auth.pairKiosk({ code: DEMO_PAIRING_CODE }))).toBe(
        "UNAUTHORIZED",
      );
      const status = await h.caller({ kioskCredential: credential }).fleet.status();
      expect(status).toMatchObject({ kioskId: DEMO_KIOSK_ID, attractionId: ATTRACTION, isInService: true });
    });

    it("registers a kiosk, issues a code shown once, pairs it (dashes and case ignored); re-pairing revokes the old credential", async () => {
      const staff = h.caller({ sessionToken: admin.token });
      const { id } = await staff.fleet.register({ attractionId: ATTRACTION, name: "Exit kiosk", location: "Level 2" });
      const first = await staff.fleet.issuePairingCode({ kioskId: id });
      expect(first.code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
      const paired = await h
        .caller({ ip: "198.51.100.2" })
        .auth.pairKiosk({ code: first.code.toLowerCase().replace("-", " ") });
      expect(paired.kiosk.id).toBe(id);
      const second = await staff.fleet.issuePairingCode({ kioskId: id });
      const repaired = await h.caller({ ip: "198.51.100.2" }).auth.pairKiosk({ code: second.code });
      expect(await codeOf(h.caller({ kioskCredential: paired.credential }).fleet.status())).toBe("UNAUTHORIZED");
      expect((await h.caller({ kioskCredential: repaired.credential }).fleet.status()).kioskId).toBe(id);
      const row = await h.services.db.kiosk.findUnique({ where: { id } });
      expect(row?.credentialHash).not.toContain(repaired.credential);
      expect(row?.pairingCodeHash).toBeNull();
    });

    it("refuses an expired pairing code", async () => {
      const staff = h.caller({ sessionToken: admin.token });
      const { id } = await staff.fleet.register({ attractionId: ATTRACTION, name: "Slow kiosk" });
      const { code } = await staff.fleet.issuePairingCode({ kioskId: id });
      h.clock.advance(31 * 60_000);
      expect(await codeOf(h.caller({ ip: "198.51.100.3" }).auth.pairKiosk({ code }))).toBe("UNAUTHORIZED");
    });

    it("records heartbeats: the fleet shows the kiosk online with its device status, then offline after the window", async () => {
      const kiosk = h.caller({ kioskCredential: credential });
      const beat = await kiosk.fleet.heartbeat(HEARTBEAT);
      expect(beat.isInService).toBe(true);
      const fleet = await h.caller({ sessionToken: admin.token }).fleet.list({ attractionId: ATTRACTION });
      const k = fleet.find((x) => x.id === DEMO_KIOSK_ID)!;
      expect(k).toMatchObject({
        isOnline: true,
        isPaired: true,
        appVersion: "1.2.3",
        bridgeVersion: "0.9.0",
        alerts: ["paper_near_end"],
      });
      expect(k.deviceStatus?.devices?.printer.paper).toBe("near_end");
      expect(await metricValue(h.services.metrics.kioskHeartbeatsTotal, { kiosk: DEMO_KIOSK_ID })).toBeGreaterThan(0);
      h.clock.advance(61_000);
      const later = await h.caller({ sessionToken: admin.token }).fleet.list({ attractionId: ATTRACTION });
      expect(later.find((x) => x.id === DEMO_KIOSK_ID)).toMatchObject({ isOnline: false, alerts: ["offline"] });
    });

    it("takes a kiosk out of service with a reason: it still heartbeats and reads, cannot sell, and comes back", async () => {
      const cashier = await h.staffSession("cashier");
      const staff = h.caller({ sessionToken: cashier.token });
      const out = await staff.fleet.setInService({
        kioskId: DEMO_KIOSK_ID,
        isInService: false,
        reason: "printer jammed",
      });
      expect(out).toMatchObject({ isInService: false, outOfServiceReason: "printer jammed" });
      const kiosk = h.caller({ kioskCredential: credential });
      expect((await kiosk.fleet.heartbeat(HEARTBEAT)).isInService).toBe(false);
      expect(await kiosk.fleet.status()).toMatchObject({ isInService: false, outOfServiceReason: "printer jammed" });

      const sellRouter = router({ sell: sellingKioskProcedure.mutation(({ ctx }) => ctx.kiosk.id) });
      const sell = () =>
        createCallerFactory(sellRouter)(
          createContextInner({ services: h.services, auth: { kioskCredential: credential } }),
        ).sell();
      expect(await codeOf(sell())).toBe("PRECONDITION_FAILED");

      await staff.fleet.setInService({ kioskId: DEMO_KIOSK_ID, isInService: true, reason: "paper replaced" });
      expect(await sell()).toBe(DEMO_KIOSK_ID);
      const audit = await h
        .caller({ sessionToken: admin.token })
        .staff.auditLog({ targetId: DEMO_KIOSK_ID, action: "kiosk." });
      expect(audit.entries.map((e) => [e.action, e.reason, e.actorId])).toEqual(
        expect.arrayContaining([
          ["kiosk.take_out_of_service", "printer jammed", cashier.id],
          ["kiosk.return_to_service", "paper replaced", cashier.id],
        ]),
      );
    });

    it("streams the fleet to staff: a snapshot, then a fresh one after a heartbeat", async () => {
      const stream = await h.caller({ sessionToken: admin.token }).fleet.live({ attractionId: ATTRACTION });
      const it = stream[Symbol.asyncIterator]();
      const first = await it.next();
      expect((first.value as { id: string }[]).some((k) => k.id === DEMO_KIOSK_ID)).toBe(true);
      const next = it.next();
      await h.caller({ kioskCredential: credential }).fleet.heartbeat({ ...HEARTBEAT, appVersion: "1.2.4" });
      const second = await next;
      expect(
        (second.value as { id: string; appVersion: string }[]).find((k) => k.id === DEMO_KIOSK_ID)?.appVersion,
      ).toBe("1.2.4");
      await it.return?.(undefined);
    });

    it("refuses kiosk calls without a valid credential", async () => {
      expect(await codeOf(h.caller().fleet.status())).toBe("UNAUTHORIZED");
      expect(await codeOf(h.caller({ kioskCredential: "kdc_forged" }).fleet.heartbeat(HEARTBEAT))).toBe("UNAUTHORIZED");
    });
  });

  describe("malformed input", () => {
    it("answers BAD_REQUEST with zod's flattened errors and changes nothing", async () => {
      const admin = await h.staffSession("admin");
      const kiosks = await h.services.db.kiosk.count();
      const users = await h.services.db.staffUser.count();
      const audits = await h.services.db.auditLog.count();
      const staff = h.caller({ sessionToken: admin.token });
      const bad: Array<() => Promise<unknown>> = [
        () => staff.fleet.register({ attractionId: ATTRACTION, name: "" }),
        () => staff.fleet.register({ attractionId: ATTRACTION, name: "ok", extra: 1 } as never),
        () => staff.staff.createUser({ email: "not-an-email", name: "n", password: "0123456789abc", role: "viewer" }),
        () => staff.staff.createUser({ email: "x@y.zz", name: "n", password: "short", role: "viewer" }),
        () => staff.staff.createUser({ email: "x@y.zz", name: "n", password: "0123456789abc", role: "owner" as never }),
        () => staff.fleet.setInService({ kioskId: DEMO_KIOSK_ID, isInService: false, reason: "" }),
        () => staff.staff.createApiKey({ attractionId: ATTRACTION, name: "n", scopes: ["everything" as never] }),
        () => h.caller().auth.login({ email: 42, password: "x" } as never),
      ];
      for (const call of bad) expect(await codeOf(call())).toBe("BAD_REQUEST");
      try {
        await staff.staff.createUser({ email: "bad", name: "n", password: "0123456789abc", role: "viewer" });
      } catch (e) {
        expect((e as TRPCError).cause).toBeInstanceOf(z.ZodError);
      }
      expect(await h.services.db.kiosk.count()).toBe(kiosks);
      expect(await h.services.db.staffUser.count()).toBe(users);
      expect(await h.services.db.auditLog.count()).toBe(audits);
    });

    it("maps service errors: unknown kiosk → NOT_FOUND, duplicate e-mail → CONFLICT", async () => {
      const admin = await h.staffSession("admin");
      const staff = h.caller({ sessionToken: admin.token });
      expect(await codeOf(staff.fleet.issuePairingCode({ kioskId: "kio_nope" }))).toBe("NOT_FOUND");
      expect(
        await codeOf(
          staff.staff.createUser({ email: ADMIN_EMAIL, name: "dup", password: "0123456789abc", role: "viewer" }),
        ),
      ).toBe("CONFLICT");
    });
  });

  describe("API keys and events", () => {
    it("checks API key scopes and revocation", async () => {
      const reader = await h.apiKey(["events:read"]);
      const other = await h.apiKey(["catalog:read"]);
      expect(await codeOf(h.caller({ apiKey: reader.key }).events.list({ afterId: "0" }))).toBe("OK");
      expect(await codeOf(h.caller({ apiKey: other.key }).events.list({ afterId: "0" }))).toBe("FORBIDDEN");
      expect(await codeOf(h.caller().events.list({ afterId: "0" }))).toBe("UNAUTHORIZED");
      expect(await codeOf(h.caller({ apiKey: reader.key.slice(0, -2) + "xx" }).events.list({ afterId: "0" }))).toBe(
        "UNAUTHORIZED",
      );
      const admin = await h.staffSession("admin");
      await h.caller({ sessionToken: admin.token }).staff.revokeApiKey({ apiClientId: reader.id, reason: "rotated" });
      expect(await codeOf(h.caller({ apiKey: reader.key }).events.list({ afterId: "0" }))).toBe("UNAUTHORIZED");
      const listed = await h.caller({ sessionToken: admin.token }).staff.listApiClients();
      expect(listed.find((c) => c.id === reader.id)).toMatchObject({ isActive: false, scopes: ["events:read"] });
      expect(JSON.stringify(listed)).not.toContain(reader.key);
    });

    it("delivers the attraction's sale and redemption events by polling and by subscription, resumable by cursor", async () => {
      const { key } = await h.apiKey(["events:read"]);
      const start = await h.services.events.latestCursor();
      const publish = (type: "sale.completed" | "ticket.redeemed", attractionId: string, id: string) =>
        h.services.events.publish({
          type,
          attractionId,
          subject: { type: type === "sale.completed" ? "order" : "ticket", id },
          actor: { type: "system", id: null },
          data: { id },
        });
      await publish("sale.completed", ATTRACTION, "ord_1");
      await publish("sale.completed", OTHER_ATTRACTION, "ord_other");
      await publish("ticket.redeemed", ATTRACTION, "tkt_1");
      const page = await h.caller({ apiKey: key }).events.list({ afterId: start });
      expect(page.events.map((e) => [e.type, e.subject.id])).toEqual([
        ["sale.completed", "ord_1"],
        ["ticket.redeemed", "tkt_1"],
      ]);
      const onlyRedeemed = await h.caller({ apiKey: key }).events.list({ afterId: start, types: ["ticket.redeemed"] });
      expect(onlyRedeemed.events).toHaveLength(1);

      // Subscription resuming after the first event, then a live one.
      const stream = await h.caller({ apiKey: key }).events.subscribe({ lastEventId: page.events[0]!.id });
      const it = stream[Symbol.asyncIterator]();
      const replayed = await it.next();
      // Server-side callers see tracked() envelopes: [id, event, symbol].
      const [replayedId, replayedEvent] = replayed.value as unknown as [string, { subject: { id: string } }];
      expect(replayedId).toBe(page.events[1]!.id);
      expect(replayedEvent.subject.id).toBe("tkt_1");
      const live = it.next();
      await publish("sale.completed", ATTRACTION, "ord_2");
      const [, got] = (await live).value as unknown as [string, { subject: { id: string } }];
      expect(got.subject.id).toBe("ord_2");
      await it.return?.(undefined);
      // Event rows stay out of the staff audit view.
      const admin = await h.staffSession("admin");
      const audit = await h.caller({ sessionToken: admin.token }).staff.auditLog({ limit: 200 });
      expect(audit.entries.some((e) => e.action.startsWith("event:"))).toBe(false);
    });
  });

  describe("idempotent mutations", () => {
    let runs = 0;
    const testRouter = router({
      create: apiClientProcedure("bookings:write")
        .input(
          z.strictObject({
            idempotencyKey: IdempotencyKeySchema,
            quantity: z.number().int().positive(),
            isFailing: z.boolean().optional(),
          }),
        )
        .mutation(
          idempotent(async ({ ctx, input }) => {
            runs++;
            if (input.isFailing) throw new Error("boom");
            return {
              bookingId: `bk_${runs}`,
              quantity: input.quantity,
              clientId: ctx.apiClient.id,
              createdAt: new Date(Date.UTC(2026, 2, 1)),
            };
          }),
        ),
    });
    const call = (key: string) =>
      createCallerFactory(testRouter)(createContextInner({ services: h.services, auth: { apiKey: key } }));

    it("returns the first answer for a replay, CONFLICT for the same key with another request, and scopes keys per client", async () => {
      const a = await h.apiKey(["bookings:write"]);
      const b = await h.apiKey(["bookings:write"]);
      const first = await call(a.key).create({ idempotencyKey: "order-0001", quantity: 2 });
      const replay = await call(a.key).create({ quantity: 2, idempotencyKey: "order-0001" });
      expect(replay).toEqual(first);
      expect(replay.createdAt).toBeInstanceOf(Date);
      expect(runs).toBe(1);
      expect(await codeOf(call(a.key).create({ idempotencyKey: "order-0001", quantity: 3 }))).toBe("CONFLICT");
      const other = await call(b.key).create({ idempotencyKey: "order-0001", quantity: 2 });
      expect(other.clientId).toBe(b.id);
      expect(runs).toBe(2);
    });

    it("lets a failed first attempt be retried with the same key", async () => {
      const a = await h.apiKey(["bookings:write"]);
      expect(await codeOf(call(a.key).create({ idempotencyKey: "order-0002", quantity: 1, isFailing: true }))).toBe(
        "INTERNAL_SERVER_ERROR",
      );
      const before = runs;
      expect(await codeOf(call(a.key).create({ idempotencyKey: "order-0002", quantity: 1, isFailing: true }))).toBe(
        "INTERNAL_SERVER_ERROR",
      );
      expect(runs).toBe(before + 1);
    });

    it("runs the handler once when the same request races itself", async () => {
      const a = await h.apiKey(["bookings:write"]);
      const before = runs;
      const results = await Promise.allSettled(
        [1, 2, 3, 4].map(() => call(a.key).create({ idempotencyKey: "order-race-1", quantity: 1 })),
      );
      expect(runs).toBe(before + 1);
      const ok = results.filter((r) => r.status === "fulfilled");
      expect(ok.length).toBeGreaterThanOrEqual(1);
      for (const r of results) if (r.status === "rejected") expect((r.reason as TRPCError).code).toBe("CONFLICT");
    });

    it("rejects a malformed idempotency key", async () => {
      const a = await h.apiKey(["bookings:write"]);
      expect(await codeOf(call(a.key).create({ idempotencyKey: "short", quantity: 1 }))).toBe("BAD_REQUEST");
    });
  });
});

describe("rate limits", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness("sqlite");
  });
  afterAll(async () => {
    await h?.close();
  });

  it("limits pairing attempts per IP", async () => {
    const c = h.caller({ ip: "203.0.113.7" });
    for (let i = 0; i < 5; i++) expect(await codeOf(c.auth.pairKiosk({ code: `WRONG-00${i}` }))).toBe("UNAUTHORIZED");
    expect(await codeOf(c.auth.pairKiosk({ code: DEMO_PAIRING_CODE }))).toBe("TOO_MANY_REQUESTS");
    expect(await codeOf(h.caller({ ip: "203.0.113.8" }).auth.pairKiosk({ code: "WRONG-999" }))).toBe("UNAUTHORIZED");
    h.clock.advance(600_000); // the next 10-minute window
    expect(await codeOf(c.auth.pairKiosk({ code: DEMO_PAIRING_CODE }))).toBe("OK");
  });

  it("slows staff sign-in per account across IPs (the login back-off; a known device passes it, see auth-security.integration.test.ts)", async () => {
    for (let i = 0; i < 5; i++)
      expect(
        await codeOf(h.caller({ ip: `203.0.113.${20 + i}` }).auth.login({ email: ADMIN_EMAIL, password: "guess" })),
      ).toBe("UNAUTHORIZED");
    expect(
      await codeOf(h.caller({ ip: "203.0.113.99" }).auth.login({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD })),
    ).toBe("TOO_MANY_REQUESTS");
    expect(await metricValue(h.services.metrics.rateLimitedTotal, { path: "auth.login" })).toBe(1);
  });

  it("limits booking API calls per client", async () => {
    const { key } = await h.apiKey(["events:read"]);
    const c = h.caller({ apiKey: key });
    const codes: string[] = [];
    for (let i = 0; i < 62; i++) codes.push(await codeOf(c.events.list({ afterId: "0", limit: 1 })));
    expect(codes.slice(0, 60).every((x) => x === "OK")).toBe(true);
    expect(codes.at(-1)).toBe("TOO_MANY_REQUESTS");
  });
});
