/**
 * Issue 19, item 5: the backup and restore drill (docs/operations.md, "Back up and restore").
 * SQLite is backed up with better-sqlite3's online `.backup()` while purchases run; the backup
 * is restored into a new database, and the restored ledger reconciles with the gateway: every
 * payment made after the backup is found by reconciliation ("missing_here"), none is lost, and
 * everything the backup holds matches. Real HTTP to the sandbox; FakeClock.
 */
import { copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backupSqlite, createDb } from "@kiosk/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAlipay, createHarness, DAY, STAFF, type Harness } from "./__tests__/harness.ts";
import { createMoneyServices } from "./index.ts";
import { memoryTicketKeys } from "./ticket-keys.ts";

describe("backup while selling, restore, reconcile (sqlite)", () => {
  let h: Harness;
  const backupPath = join(tmpdir(), `kiosk-backup-${process.pid}-${Date.now()}.db`);
  const restoredPath = join(tmpdir(), `kiosk-restored-${process.pid}-${Date.now()}.db`);
  beforeAll(async () => {
    h = await createHarness("sqlite");
  });
  afterAll(async () => {
    await h?.close();
  });

  it("finds every payment made after the backup by reconciliation; nothing is lost", async () => {
    const paidBefore: string[] = [];
    for (let i = 0; i < 3; i++) {
      const b = await h.buy({ quantity: 1 });
      expect(await h.settle(b.paymentId)).toBe("PAID");
      paidBefore.push(b.paymentId);
    }
    // The backup runs while more purchases are being made (online: no lock held across it).
    const during = Promise.all([h.buy({ quantity: 1 }), h.buy({ quantity: 1 })]);
    expect(await backupSqlite(h.db.url, backupPath)).toBeGreaterThan(0);
    for (const b of await during) expect(await h.settle(b.paymentId)).toBe("PAID");
    const after: string[] = [];
    for (let i = 0; i < 2; i++) {
      const b = await h.buy({ quantity: 1 });
      expect(await h.settle(b.paymentId)).toBe("PAID");
      after.push(b.paymentId);
    }

    // Restore into a new database (as an operator would: copy the backup into place).
    copyFileSync(backupPath, restoredPath);
    const restored = createDb({ url: `file:${restoredPath}` });
    try {
      const money = createMoneyServices({
        db: restored.db,
        provider: "sqlite",
        clock: h.clock,
        alipay: createAlipay({ gatewayUrl: h.sandbox.gatewayUrl, clock: h.clock }),
        ticketKeys: memoryTicketKeys(h.ticketKeyPems),
      });
      const allPaid = await h.db.db.payment.findMany({ where: { state: "PAID" }, select: { partnerTransId: true } });
      const stateThere = new Map(
        (await restored.db.payment.findMany({ select: { partnerTransId: true, state: true } })).map((p) => [
          p.partnerTransId,
          p.state,
        ]),
      );
      // What the backup holds: at least the three paid before it; the later ones are not there.
      for (const id of paidBefore)
        expect(await restored.db.payment.findUnique({ where: { id } })).toMatchObject({ state: "PAID" });
      for (const id of after) expect(await restored.db.payment.findUnique({ where: { id } })).toBeNull();
      const paidIds = allPaid.map((p) => p.partnerTransId);
      // Paid now, and not in the backup at all.
      const lost = paidIds.filter((t) => !stateThere.has(t));
      // Paid now, and in the backup still on its way (the copy was taken between the payment's
      // row and its PAID commit): the restored worker finishes it; reconciliation names it.
      const inFlight = paidIds.filter((t) => stateThere.has(t) && stateThere.get(t) !== "PAID");
      expect(lost.length).toBeGreaterThanOrEqual(after.length);

      h.clock.set("2026-03-02T02:00:00.000Z");
      const run = await money.reconciliation.run({ day: DAY, trigger: "manual", actor: STAFF });
      const diffs = await restored.db.reconciliationDifference.findMany({ where: { runId: run.id } });
      const missingHere = diffs.filter((d) => d.kind === "missing_here").map((d) => d.partnerTransId);
      const mismatched = diffs.filter((d) => d.kind === "status_mismatch").map((d) => d.partnerTransId);
      // Every payment the restored ledger lacks is found by reconciliation, every one it holds
      // unfinished is named, and nothing else differs.
      expect(new Set(missingHere)).toEqual(new Set(lost));
      expect(new Set(mismatched)).toEqual(new Set(inFlight));
      expect(diffs.filter((d) => d.kind !== "missing_here" && d.kind !== "status_mismatch")).toEqual([]);
    } finally {
      await restored.close();
    }
  }, 120_000);
});
