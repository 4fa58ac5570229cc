/**
 * Device bridge tokens over real HTTP (tRPC fetch handler on node:http): each kiosk and counter
 * has its own token, stored hashed, handed only to that device's authenticated page, and
 * rotated by an admin.
 */
import type { Server } from "node:http";
import { hashToken } from "@kiosk/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, DEMO_KIOSK_ID, providersFor, type Harness } from "./__tests__/platform-harness.ts";
import { serveTrpc } from "./__tests__/serve-http.ts";

const DEMO_COUNTER_ID = "counter_window_1";

for (const provider of providersFor(process.env.TEST_DATABASE_URL)) {
  describe(`device bridge tokens (${provider})`, () => {
    let h: Harness;
    let server: Server;
    let baseUrl: string;
    beforeAll(async () => {
      h = await createHarness(provider, { pgUrl: process.env.TEST_DATABASE_URL });
      ({ server, baseUrl } = await serveTrpc(h));
    });
    afterAll(async () => {
      await new Promise((resolve) => server?.close(resolve));
      await h?.close();
    });

    async function mutate(
      path: string,
      input: unknown,
      headers: Record<string, string> = {},
    ): Promise<{ status: number; data: unknown }> {
      const r = await fetch(`${baseUrl}/api/trpc/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(input === undefined ? {} : { json: input }),
      });
      const body = (await r.json()) as { result?: { data?: { json?: unknown } } };
      return { status: r.status, data: body.result?.data?.json };
    }
    const cookieOf = (token: string) => ({ cookie: `kiosk_session=${token}` });
    let pairings = 0;
    /** Issues a fresh pairing code for the demo kiosk and pairs it: its new device credential. */
    async function pair(): Promise<string> {
      const { code } = await h.services.fleet.issuePairingCode(DEMO_KIOSK_ID, { type: "system", id: null });
      return (await h.caller({ ip: `10.9.${++pairings}.1` }).auth.pairKiosk({ code })).credential;
    }

    it("a paired kiosk gets its own token, only with its credential; the database holds only its hash", async () => {
      expect((await mutate("fleet.bridgeToken", undefined)).status).toBe(401);
      const credential = await pair();
      const first = await mutate("fleet.bridgeToken", undefined, { authorization: `Bearer ${credential}` });
      expect(first.status).toBe(200);
      const token = (first.data as { token: string }).token;
      expect(token).toMatch(/^kbt_[A-Za-z0-9_-]{40,}$/);
      const row = await h.services.db.kiosk.findUniqueOrThrow({ where: { id: DEMO_KIOSK_ID } });
      expect(row.bridgeTokenHash).toBe(hashToken(token));
      expect(JSON.stringify(row)).not.toContain(token.slice(4));
      // Stable across calls (the bridge's config holds it) and across re-pairing.
      expect((await mutate("fleet.bridgeToken", undefined, { authorization: `Bearer ${credential}` })).data).toEqual({
        token,
      });
      const again = await pair();
      expect((await mutate("fleet.bridgeToken", undefined, { authorization: `Bearer ${again}` })).data).toEqual({
        token,
      });
    });

    it("an admin rotates a kiosk's token: shown once, the kiosk gets the new one, the audit log keeps only a fingerprint", async () => {
      const credential = await pair();
      const before = (
        (await mutate("fleet.bridgeToken", undefined, { authorization: `Bearer ${credential}` })).data as {
          token: string;
        }
      ).token;
      const supervisor = await h.staffSession("supervisor");
      expect(
        (await mutate("fleet.rotateBridgeToken", { device: "kiosk", id: DEMO_KIOSK_ID }, cookieOf(supervisor.token)))
          .status,
      ).toBe(403);
      const admin = await h.staffSession("admin");
      const rotated = await mutate(
        "fleet.rotateBridgeToken",
        { device: "kiosk", id: DEMO_KIOSK_ID },
        cookieOf(admin.token),
      );
      expect(rotated.status).toBe(200);
      const issued = rotated.data as { token: string; fingerprint: string };
      expect(issued.token).not.toBe(before);
      expect(issued.fingerprint).toBe(hashToken(issued.token).slice(0, 12));
      expect((await mutate("fleet.bridgeToken", undefined, { authorization: `Bearer ${credential}` })).data).toEqual({
        token: issued.token,
      });
      const audit = await h.services.db.auditLog.findMany({ where: { action: "kiosk.bridge_token_issued" } });
      expect(audit.length).toBeGreaterThan(0);
      expect(JSON.stringify(audit)).not.toContain(issued.token);
      expect(JSON.stringify(audit)).toContain(issued.fingerprint);
    });

    it("a counter's token goes only to a cashier with a shift open at that counter", async () => {
      const admin = await h.staffSession("admin");
      const issued = (
        await mutate("fleet.rotateBridgeToken", { device: "counter", id: DEMO_COUNTER_ID }, cookieOf(admin.token))
      ).data as { token: string };
      const cashier = await h.staffSession("cashier");
      expect((await mutate("counter.bridgeToken", undefined, cookieOf(cashier.token))).data).toEqual({ token: null });
      expect((await mutate("counter.openShift", { counterId: DEMO_COUNTER_ID }, cookieOf(cashier.token))).status).toBe(
        200,
      );
      expect((await mutate("counter.bridgeToken", undefined, cookieOf(cashier.token))).data).toEqual({
        token: issued.token,
      });
      expect((await mutate("counter.bridgeToken", undefined)).status).toBe(401);
    });
  });
}
