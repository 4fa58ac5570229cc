/**
 * Issue 18: a terminal's API key rotated in place. The console (tRPC over HTTP, admin) makes
 * a second key (shown once); during the overlap both keys work on the partner API over HTTP;
 * the old one stops at its expiry or when revoked (401). Every step is audited, without keys.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providersFor } from "../__tests__/platform-harness.ts";
import { PG_URL } from "../services/__tests__/harness.ts";
import { ATTRACTION, startPartnerFixture, type PartnerFixture } from "./__tests__/partner-fixture.ts";

interface Rotated {
  key: string;
  terminal: { id: string; keyPrefix: string; previousKeyPrefix: string | null; previousKeyExpiresAt: Date | null };
}

for (const provider of providersFor(PG_URL)) {
  describe(`terminal key rotation on ${provider}`, () => {
    let f: PartnerFixture;
    let terminalId: string;
    let firstKey: string;
    /** The terminal's newest key, as each test leaves it. */
    let currentKey: string;
    beforeAll(async () => {
      f = await startPartnerFixture(provider);
      const made = await f.h.services.money.partner.terminals.create({
        attractionId: ATTRACTION,
        storeId: "ROTATE",
        terminalCode: "T1",
        name: "Rotating till",
      });
      terminalId = made.terminal.id;
      firstKey = made.key;
    });
    afterAll(async () => {
      await f?.close();
    });

    const list = (key: string) => f.call("GET", "/payments?date=2026-03-01", { key });

    async function auditOf(action: string) {
      return f.h.services.db.auditLog.findMany({ where: { action, targetId: terminalId } });
    }

    it("keeps both keys working during the overlap, then refuses the revoked one", async () => {
      const refused = await f.staff("viewer", "terminal.rotateKey", { terminalId, overlapHours: 24 });
      expect(refused.error).toBe("FORBIDDEN");
      const rotated = await f.staff<Rotated>("admin", "terminal.rotateKey", { terminalId, overlapHours: 24 });
      expect(rotated.error).toBeNull();
      const secondKey = rotated.data.key;
      expect(secondKey).toMatch(/^ktm_[0-9a-f]{8}_/);
      expect(secondKey).not.toBe(firstKey);
      expect(rotated.data.terminal.previousKeyPrefix).toBe(firstKey.slice(4, 12));
      expect(new Date(rotated.data.terminal.previousKeyExpiresAt!).getTime()).toBe(
        f.h.clock.now().getTime() + 24 * 3_600_000,
      );
      expect((await list(firstKey)).status).toBe(200);
      expect((await list(secondKey)).status).toBe(200);
      // The list never shows a key; a second rotation during the overlap is refused.
      const listed = await f.staff("viewer", "terminal.list", undefined, "query");
      expect(JSON.stringify(listed.data)).not.toContain(secondKey);
      const again = await f.staff("admin", "terminal.rotateKey", { terminalId, overlapHours: 24 });
      expect(again.error).toBe("CONFLICT");

      const revoked = await f.staff("admin", "terminal.revokePreviousKey", { terminalId, reason: "moved to new key" });
      expect(revoked.error).toBeNull();
      const gone = await list(firstKey);
      expect(gone.status).toBe(401);
      expect((gone.body as unknown as { error: { code: string } }).error.code).toBe("unauthorized");
      expect((await list(secondKey)).status).toBe(200);

      const [rotation] = await auditOf("terminal.key_rotated");
      expect(rotation).toBeDefined();
      expect(rotation!.details).not.toContain(secondKey.slice(13));
      expect(JSON.parse(rotation!.details)).toMatchObject({
        keyPrefix: secondKey.slice(4, 12),
        previousKeyPrefix: firstKey.slice(4, 12),
      });
      expect(await auditOf("terminal.previous_key_revoked")).toHaveLength(1);
      currentKey = secondKey;
    });

    it("stops the previous key at the end of the overlap", async () => {
      const rotated = await f.staff<Rotated>("admin", "terminal.rotateKey", { terminalId, overlapHours: 1 });
      expect(rotated.error).toBeNull();
      expect((await list(currentKey)).status).toBe(200);
      expect((await list(rotated.data.key)).status).toBe(200);
      f.h.clock.advance(3_600_000 - 1_000);
      expect((await list(currentKey)).status).toBe(200);
      f.h.clock.advance(2_000);
      expect((await list(currentKey)).status).toBe(401);
      expect((await list(rotated.data.key)).status).toBe(200);
      // The overlap is over: rotating again is allowed.
      const next = await f.staff<Rotated>("admin", "terminal.rotateKey", { terminalId, overlapHours: 1 });
      expect(next.error).toBeNull();
      currentKey = next.data.key;
    });

    it("refuses an expired previous key with 401", async () => {
      const made = await f.h.services.money.partner.terminals.create({
        attractionId: ATTRACTION,
        storeId: "ROTATE",
        terminalCode: "T2",
        name: "Rotating till 2",
      });
      const rotated = await f.h.services.money.partner.terminals.rotateKey(made.terminal.id, { overlapMs: 600_000 });
      expect((await list(made.key)).status).toBe(200);
      expect((await list(rotated.key)).status).toBe(200);
      f.h.clock.advance(600_001);
      expect((await list(made.key)).status).toBe(401);
      expect((await list(rotated.key)).status).toBe(200);
      // Bad input: a typed error, nothing changed.
      const bad = await f.staff("admin", "terminal.rotateKey", { terminalId: made.terminal.id, overlapHours: 0 });
      expect(bad.error).toBe("BAD_REQUEST");
      const missing = await f.staff("admin", "terminal.rotateKey", { terminalId: "trm_nope", overlapHours: 1 });
      expect(missing.error).toBe("NOT_FOUND");
    });
  });
}
