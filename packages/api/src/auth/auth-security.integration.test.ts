/**
 * Issue 15, items 1 and 2, attacked as over the network: every call goes over real HTTP
 * (node:http, the headless server's adapter) to the production handlers, on SQLite and
 * (with TEST_DATABASE_URL) PostgreSQL. Time is the harness's FakeClock; nothing sleeps.
 */
import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  createHarness,
  DEMO_KIOSK_ID,
  providersFor,
  type Harness,
} from "../__tests__/platform-harness.ts";
import { callTrpc, cookiePair, serveApi } from "../__tests__/serve-http.ts";
import { DEVICE_COOKIE, SESSION_COOKIE } from "./tokens.ts";

const PG_URL = process.env.TEST_DATABASE_URL;

for (const provider of providersFor(PG_URL)) {
  describe(`client addresses and password checks over HTTP on ${provider}`, () => {
    const opened: Array<{ h: Harness; server: Server }> = [];
    async function start(opts: Parameters<typeof createHarness>[1] = {}, env: Record<string, string> = {}) {
      const h = await createHarness(provider, { pgUrl: PG_URL, ...opts });
      const { server, baseUrl } = await serveApi(h, env);
      opened.push({ h, server });
      return { h, baseUrl };
    }
    afterAll(async () => {
      for (const o of opened) {
        o.server.close();
        await o.h.close();
      }
    });

    const login = (baseUrl: string, input: { email: string; password: string }, headers: Record<string, string> = {}) =>
      callTrpc<{ expiresAt: Date }>(baseUrl, "auth.login", input, { headers });

    describe("item 1: X-Forwarded-For is honoured only from trusted proxies", () => {
      it("does not let invented X-Forwarded-For addresses escape the pairing limit (no trusted proxy configured)", async () => {
        const { baseUrl } = await start();
        const codes: Array<string | null> = [];
        for (let i = 0; i < 6; i++) {
          const r = await callTrpc(
            baseUrl,
            "auth.pairKiosk",
            { code: "ZZZZ-ZZZZ" },
            { headers: { "x-forwarded-for": `203.0.113.${i + 1}`, "x-real-ip": `198.51.100.${i + 1}` } },
          );
          codes.push(r.error);
        }
        // Five tries per client address, then one every two minutes: the sixth is refused.
        expect(codes).toEqual([
          "UNAUTHORIZED",
          "UNAUTHORIZED",
          "UNAUTHORIZED",
          "UNAUTHORIZED",
          "UNAUTHORIZED",
          "TOO_MANY_REQUESTS",
        ]);
      });

      it("does not let invented addresses spray logins over many e-mails", async () => {
        const { baseUrl } = await start();
        const codes: Array<string | null> = [];
        for (let i = 0; i < 11; i++)
          codes.push(
            (
              await login(
                baseUrl,
                { email: `nobody${i}@example.com`, password: "guess" },
                { "x-forwarded-for": `203.0.113.${i + 1}` },
              )
            ).error,
          );
        expect(codes.slice(0, 10).every((c) => c === "UNAUTHORIZED")).toBe(true);
        expect(codes[10]).toBe("TOO_MANY_REQUESTS");
      });

      it("takes the client address from a trusted proxy's X-Forwarded-For: the address left of the trusted hops", async () => {
        const { h, baseUrl } = await start({}, { TRUSTED_PROXIES: "127.0.0.0/8, ::1/128" });
        // nginx sets X-Forwarded-For $remote_addr; a proxy that appends keeps what the client invented on the left.
        await login(
          baseUrl,
          { email: "nobody@example.com", password: "guess" },
          { "x-forwarded-for": "10.66.0.1, 203.0.113.9" },
        );
        const failed = await h.services.audit.query({ action: "auth.login_failed" });
        expect(failed.entries[0]?.details.ip).toBe("203.0.113.9");
        // Each real client has its own pairing bucket behind the proxy.
        for (let i = 0; i < 5; i++)
          expect(
            (
              await callTrpc(
                baseUrl,
                "auth.pairKiosk",
                { code: "ZZZZ-ZZZZ" },
                { headers: { "x-forwarded-for": "203.0.113.20" } },
              )
            ).error,
          ).toBe("UNAUTHORIZED");
        expect(
          (
            await callTrpc(
              baseUrl,
              "auth.pairKiosk",
              { code: "ZZZZ-ZZZZ" },
              { headers: { "x-forwarded-for": "203.0.113.20" } },
            )
          ).error,
        ).toBe("TOO_MANY_REQUESTS");
        expect(
          (
            await callTrpc(
              baseUrl,
              "auth.pairKiosk",
              { code: "ZZZZ-ZZZZ" },
              { headers: { "x-forwarded-for": "203.0.113.21" } },
            )
          ).error,
        ).toBe("UNAUTHORIZED");
      });
    });

    describe("item 2: password hashing that does not stall the server", () => {
      it("answers /healthz while eight logins hash (the event loop is not blocked)", async () => {
        // Same cost as the old scryptSync (N=2^14), so the comparison is fair; production uses N=2^17.
        const { baseUrl } = await start({
          overrides: { passwordParams: { N: 2 ** 14, r: 8, p: 1 } },
          seedPasswordParams: { N: 2 ** 14, r: 8, p: 1 },
        });
        let loginsDone = 0;
        const logins = Array.from({ length: 8 }, () =>
          login(baseUrl, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }).then((r) => {
            loginsDone += 1;
            return r;
          }),
        );
        const healthzDoneAfterLogins: number[] = [];
        for (let i = 0; i < 10; i++) {
          const res = await fetch(`${baseUrl}/healthz`);
          expect(res.status).toBe(200);
          healthzDoneAfterLogins.push(loginsDone);
        }
        const results = await Promise.all(logins);
        expect(results.map((r) => r.error)).toEqual(Array(8).fill(null));
        // Ten health checks one after another all came back before the last login finished.
        expect(healthzDoneAfterLogins[9]).toBeLessThan(8);
      });

      it("refuses logins beyond the hashing queue with a typed TOO_MANY_REQUESTS", async () => {
        const { baseUrl } = await start(
          { overrides: { passwordParams: { N: 2 ** 14, r: 8, p: 1 }, passwordQueueLimit: 2 } },
          { TRUSTED_PROXIES: "127.0.0.0/8" },
        );
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            login(
              baseUrl,
              { email: `nobody${i}@example.com`, password: "guess" },
              { "x-forwarded-for": `203.0.113.${i + 1}` },
            ),
          ),
        );
        const codes = results.map((r) => r.error);
        expect(codes).toContain("TOO_MANY_REQUESTS");
        expect(codes).toContain("UNAUTHORIZED");
        expect(results.find((r) => r.error === "TOO_MANY_REQUESTS")?.details).toMatchObject({
          reason: "password_queue_full",
        });
      });

      it("verifies a hash made with older parameters and rehashes it on a successful login", async () => {
        const { h, baseUrl } = await start({ seedPasswordParams: { N: 2 ** 10, r: 8, p: 1 } });
        const before = await h.services.db.staffUser.findUniqueOrThrow({ where: { email: ADMIN_EMAIL } });
        expect(before.passwordHash.startsWith("scrypt$1024$8$1$")).toBe(true);
        expect((await login(baseUrl, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).error).toBeNull();
        const after = await h.services.db.staffUser.findUniqueOrThrow({ where: { email: ADMIN_EMAIL } });
        expect(after.passwordHash.startsWith("scrypt$4096$8$1$")).toBe(true);
        expect((await login(baseUrl, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).error).toBeNull();
      });
    });

    describe("item 2: guesses cannot keep a staff member out", () => {
      it("lets the admin in from a known device, or after the delay, while invented addresses guess; the console shows an alert", async () => {
        const { h, baseUrl } = await start({}, { TRUSTED_PROXIES: "127.0.0.0/8" });
        const first = await login(
          baseUrl,
          { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
          { "x-forwarded-for": "192.0.2.10" },
        );
        expect(first.error).toBeNull();
        const device = cookiePair(first.setCookies, DEVICE_COOKIE);
        expect(device).not.toBeNull();

        const guesses: Array<string | null> = [];
        for (let i = 0; i < 10; i++)
          guesses.push(
            (
              await login(
                baseUrl,
                { email: ADMIN_EMAIL, password: `guess-${i}` },
                { "x-forwarded-for": `203.0.113.${i + 1}` },
              )
            ).error,
          );
        expect(guesses.slice(0, 5)).toEqual(Array(5).fill("UNAUTHORIZED"));
        expect(guesses.slice(5)).toEqual(Array(5).fill("TOO_MANY_REQUESTS"));

        // The right password from an unknown browser waits out the delay ...
        const early = await login(
          baseUrl,
          { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
          { "x-forwarded-for": "192.0.2.11" },
        );
        expect(early.error).toBe("TOO_MANY_REQUESTS");
        const retryAfterSec = Number(early.details?.retryAfterSec);
        expect(retryAfterSec).toBeGreaterThan(0);
        // ... but from the admin's own browser it passes at once.
        const known = await login(
          baseUrl,
          { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
          { "x-forwarded-for": "192.0.2.10", cookie: device! },
        );
        expect(known.error).toBeNull();

        // The attacker keeps guessing as soon as each delay ends; the admin's browser still gets in.
        for (let round = 0; round < 3; round++) {
          h.clock.advance(16 * 60_000);
          expect(
            (
              await login(
                baseUrl,
                { email: ADMIN_EMAIL, password: `again-${round}` },
                { "x-forwarded-for": `203.0.113.${50 + round}` },
              )
            ).error,
          ).toBe("UNAUTHORIZED");
          expect(
            (
              await login(
                baseUrl,
                { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
                { "x-forwarded-for": "192.0.2.10", cookie: device! },
              )
            ).error,
          ).toBeNull();
        }
        // A wrong password from the known browser does not pass either.
        expect(
          (
            await login(
              baseUrl,
              { email: ADMIN_EMAIL, password: "wrong" },
              { "x-forwarded-for": "192.0.2.10", cookie: device! },
            )
          ).error,
        ).toBe("UNAUTHORIZED");

        // The right password from a new browser passes once the delay is over.
        h.clock.advance(16 * 60_000);
        const later = await login(
          baseUrl,
          { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
          { "x-forwarded-for": "192.0.2.12" },
        );
        expect(later.error).toBeNull();
        const session = cookiePair(later.setCookies, SESSION_COOKIE)!;

        const alerts = await callTrpc<Array<{ email: string; failedLogins: number }>>(
          baseUrl,
          "staff.loginAlerts",
          undefined,
          { type: "query", headers: { cookie: session } },
        );
        expect(alerts.error).toBeNull();
        expect(alerts.data.map((a) => a.email)).toContain(ADMIN_EMAIL);
      });
    });

    describe("item 2: password change, absolute session lifetime, revocation", () => {
      it("lets staff change their password: the old one stops working and other sessions end", async () => {
        const { h, baseUrl } = await start();
        const cashier = await h.staffSession("cashier");
        const other = `${SESSION_COOKIE}=${cashier.token}`;
        const signIn = await login(baseUrl, { email: cashier.email, password: "password-cashier-0123456789" });
        const mine = cookiePair(signIn.setCookies, SESSION_COOKIE)!;
        expect(
          (
            await callTrpc(
              baseUrl,
              "auth.changePassword",
              { currentPassword: "not it", newPassword: "a brand new passphrase" },
              { headers: { cookie: mine } },
            )
          ).error,
        ).toBe("UNAUTHORIZED");
        expect(
          (
            await callTrpc(
              baseUrl,
              "auth.changePassword",
              { currentPassword: "password-cashier-0123456789", newPassword: "short" },
              { headers: { cookie: mine } },
            )
          ).error,
        ).toBe("BAD_REQUEST");
        const changed = await callTrpc(
          baseUrl,
          "auth.changePassword",
          { currentPassword: "password-cashier-0123456789", newPassword: "a brand new passphrase" },
          { headers: { cookie: mine } },
        );
        expect(changed.error).toBeNull();
        expect(
          (await callTrpc(baseUrl, "auth.me", undefined, { type: "query", headers: { cookie: mine } })).error,
        ).toBeNull();
        expect(
          (await callTrpc(baseUrl, "auth.me", undefined, { type: "query", headers: { cookie: other } })).error,
        ).toBe("UNAUTHORIZED");
        expect((await login(baseUrl, { email: cashier.email, password: "password-cashier-0123456789" })).error).toBe(
          "UNAUTHORIZED",
        );
        expect((await login(baseUrl, { email: cashier.email, password: "a brand new passphrase" })).error).toBeNull();
      });

      it("ends a session at its absolute lifetime even while it is in use", async () => {
        const { h, baseUrl } = await start({ overrides: { sessionMaxHours: 12 } });
        const cookie = cookiePair(
          (await login(baseUrl, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).setCookies,
          SESSION_COOKIE,
        )!;
        const answers: Array<string | null> = [];
        // Used every 20 minutes (sliding TTL 60 min) for 13 hours.
        for (let minute = 20; minute <= 13 * 60; minute += 20) {
          h.clock.advance(20 * 60_000);
          answers.push((await callTrpc(baseUrl, "auth.me", undefined, { type: "query", headers: { cookie } })).error);
        }
        const firstRefused = answers.indexOf("UNAUTHORIZED");
        expect(firstRefused).toBe((12 * 60) / 20 - 1);
        expect(answers.slice(0, firstRefused).every((a) => a === null)).toBe(true);
      });

      it("revokes a kiosk's device credential from the console", async () => {
        const { h, baseUrl } = await start();
        const credential = await h.pairDemoKiosk();
        const kiosk = { authorization: `Bearer ${credential}` };
        expect(
          (await callTrpc(baseUrl, "fleet.status", undefined, { type: "query", headers: kiosk })).error,
        ).toBeNull();
        const admin = cookiePair(
          (await login(baseUrl, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })).setCookies,
          SESSION_COOKIE,
        )!;
        const revoked = await callTrpc(
          baseUrl,
          "staff.revokeKioskCredential",
          { kioskId: DEMO_KIOSK_ID, reason: "tablet stolen" },
          { headers: { cookie: admin } },
        );
        expect(revoked.error).toBeNull();
        expect((await callTrpc(baseUrl, "fleet.status", undefined, { type: "query", headers: kiosk })).error).toBe(
          "UNAUTHORIZED",
        );
        const audit = await h.services.audit.query({ action: "kiosk.revoke_credential" });
        expect(audit.entries[0]?.reason).toBe("tablet stolen");
      });
    });
  });
}
