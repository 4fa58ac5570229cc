/**
 * IdempotencyService on both providers, through the database itself: a claim, a replay, a key
 * reused for another request, a claim released by a failure, one left by a crash, and the
 * stored answer's lifetime as Prisma reads it; and `runInTransaction`, whose answer is written
 * in the work's own transaction (a real batch here: an AuditLog row stands for the work).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbProvider } from "@kiosk/db";
import { createTestDatabase, type TestDatabase } from "@kiosk/db/testing";
import { FakeClock } from "../clock.ts";
import { KioskError } from "../errors.ts";
import { rejection } from "./__tests__/rejection.ts";
import { silentLogger } from "../log.ts";
import { IDEMPOTENCY_IN_PROGRESS_LEASE_MS, IDEMPOTENCY_TTL_HOURS, IdempotencyService } from "./idempotency-service.ts";
import { BatchMiss, insertSql, runBatch, type BatchStatement } from "./raw-sql.ts";

const PG_URL = process.env.TEST_DATABASE_URL;
const providers: { provider: DbProvider; skip: boolean }[] = [
  { provider: "sqlite", skip: false },
  { provider: "postgresql", skip: !PG_URL },
];

for (const { provider, skip } of providers) {
  describe.skipIf(skip)(`idempotency keys on ${provider}`, () => {
    let t: TestDatabase;
    const clock = new FakeClock("2026-03-01T02:00:00.000Z");
    let service: IdempotencyService;
    beforeAll(async () => {
      t = await createTestDatabase(provider, PG_URL);
      service = new IdempotencyService({ db: t.db, clock, log: silentLogger });
    });
    afterAll(async () => {
      await t?.drop();
    });

    const scope = "api_client:apc_1:booking.create";
    const stored = (key: string) => t.db.idempotencyRecord.findUnique({ where: { scope_key: { scope, key } } });

    it("runs once, stores the answer for a day and answers a replay from it", async () => {
      let runs = 0;
      const call = () =>
        service.run({
          scope,
          key: "key-0001",
          request: { lines: [{ slotId: "s1", quantity: 2 }], at: new Date("2026-03-01T00:00:00Z") },
          execute: async () => {
            runs += 1;
            return { orderId: "ord_1", total: 2400, at: clock.now() };
          },
        });
      const first = await call();
      const row = await stored("key-0001");
      expect(row).toMatchObject({ state: "completed" });
      expect(row!.createdAt).toEqual(clock.now());
      expect(row!.expiresAt).toEqual(new Date(clock.now().getTime() + IDEMPOTENCY_TTL_HOURS * 3_600_000));
      clock.advance(60_000);
      const replay = await call();
      expect(runs).toBe(1);
      expect(replay).toEqual(first);
      expect(replay.at).toBeInstanceOf(Date);
    });

    it("refuses the key for another request, and while the first still runs", async () => {
      await service.run({ scope, key: "key-0002", request: { a: 1 }, execute: async () => "done" });
      const other = await rejection(
        service.run({ scope, key: "key-0002", request: { a: 2 }, execute: async () => "again" }),
      );
      expect(other.code).toBe("CONFLICT");
      expect(other.message).toMatch(/different request/);

      let release!: () => void;
      const first = service.run({
        scope,
        key: "key-0003",
        request: { a: 1 },
        execute: () => new Promise<string>((r) => (release = () => r("first"))),
      });
      // The claim is written before execute runs.
      for (let i = 0; i < 200 && (await stored("key-0003")) === null; i++) await new Promise((r) => setImmediate(r));
      const during = await rejection(
        service.run({ scope, key: "key-0003", request: { a: 1 }, execute: async () => "x" }),
      );
      expect(during.code).toBe("CONFLICT");
      expect(during.details).toMatchObject({ isInProgress: true });
      release();
      expect(await first).toBe("first");
      expect(await service.run({ scope, key: "key-0003", request: { a: 1 }, execute: async () => "x" })).toBe("first");
    });

    it("drops the claim when the handler fails, so a retry runs again", async () => {
      const failed = service.run({
        scope,
        key: "key-0004",
        request: {},
        execute: async () => {
          throw new KioskError("CONFLICT", "sold out");
        },
      });
      await expect(failed).rejects.toThrow("sold out");
      expect(await stored("key-0004")).toBeNull();
      expect(await service.run({ scope, key: "key-0004", request: {}, execute: async () => 7 })).toBe(7);
    });

    it("takes over a claim a crashed request left once its lease ends", async () => {
      const crashedAt = clock.now();
      await t.db.idempotencyRecord.create({
        data: {
          id: "idm_crashed",
          scope,
          key: "key-0005",
          requestHash: "whatever",
          state: "in_progress",
          createdAt: crashedAt,
          expiresAt: new Date(crashedAt.getTime() + IDEMPOTENCY_IN_PROGRESS_LEASE_MS),
        },
      });
      const early = await rejection(service.run({ scope, key: "key-0005", request: {}, execute: async () => 1 }));
      expect(early.code).toBe("CONFLICT");
      clock.advance(IDEMPOTENCY_IN_PROGRESS_LEASE_MS + 1);
      expect(await service.run({ scope, key: "key-0005", request: {}, execute: async () => 2 })).toBe(2);
      expect((await stored("key-0005"))!.id).not.toBe("idm_crashed");
    });

    it("purges answers once their day is over, not before", async () => {
      await service.run({ scope, key: "key-0006", request: {}, execute: async () => "kept a day" });
      clock.advance(IDEMPOTENCY_TTL_HOURS * 3_600_000 - 1_000);
      await service.purgeExpired();
      expect(await stored("key-0006")).not.toBeNull();
      clock.advance(2_000);
      expect(await service.purgeExpired()).toBeGreaterThanOrEqual(1);
      expect(await stored("key-0006")).toBeNull();
      // An expired key runs again.
      expect(await service.run({ scope, key: "key-0006", request: {}, execute: async () => "new day" })).toBe(
        "new day",
      );
    });

    describe("runInTransaction", () => {
      const txScope = "api_client:apc_1:booking.confirm";
      /** The work: one AuditLog row per run (its target names the run) and the answer, in one batch. */
      const work =
        (target: string, extra: BatchStatement[] = []) =>
        async (record: (answer: unknown) => BatchStatement) => {
          const answer = { target, at: clock.now() };
          await runBatch(t.db, [
            {
              sql: insertSql("AuditLog", [
                {
                  actorType: "api_client",
                  actorId: "apc_1",
                  action: "test.work",
                  targetType: "test",
                  targetId: target,
                  details: "{}",
                  createdAt: clock.now(),
                },
              ]),
            },
            ...extra,
            record(answer),
          ]);
          return answer;
        };
      const worked = (target: string) => t.db.auditLog.count({ where: { action: "test.work", targetId: target } });
      const txStored = (key: string) =>
        t.db.idempotencyRecord.findUnique({ where: { scope_key: { scope: txScope, key } } });

      it("writes the answer with the work, and a replay gets it without working again", async () => {
        const run = () =>
          service.runInTransaction({ scope: txScope, key: "tx-0001", request: { o: 1 }, execute: work("w1") });
        const first = await run();
        expect(await worked("w1")).toBe(1);
        expect(await txStored("tx-0001")).toMatchObject({ state: "completed" });
        expect((await txStored("tx-0001"))!.expiresAt).toEqual(
          new Date(clock.now().getTime() + IDEMPOTENCY_TTL_HOURS * 3_600_000),
        );
        clock.advance(1_000);
        const replay = await run();
        expect(replay).toEqual(first);
        expect(replay.at).toBeInstanceOf(Date);
        expect(await worked("w1")).toBe(1);
      });

      it("leaves neither work nor answer when the transaction fails, and throws the handler's own error", async () => {
        const miss: BatchStatement = {
          sql: insertSql("AuditLog", [
            {
              actorType: "api_client",
              actorId: "apc_1",
              action: "test.other",
              targetType: "test",
              targetId: "never",
              details: "{}",
              createdAt: clock.now(),
            },
          ]),
          expect: 2,
        };
        const failed = service.runInTransaction({
          scope: txScope,
          key: "tx-0002",
          request: {},
          execute: work("w2", [miss]),
        });
        await expect(failed).rejects.toBeInstanceOf(BatchMiss);
        expect(await worked("w2")).toBe(0);
        expect(await txStored("tx-0002")).toBeNull();
        await service.runInTransaction({ scope: txScope, key: "tx-0002", request: {}, execute: work("w2") });
        expect(await worked("w2")).toBe(1);
      });

      it("answers two concurrent requests with one key from one piece of work", async () => {
        const answers = await Promise.all(
          ["w3a", "w3b"].map((target) =>
            service.runInTransaction({ scope: txScope, key: "tx-0003", request: {}, execute: work(target) }),
          ),
        );
        expect((await worked("w3a")) + (await worked("w3b"))).toBe(1);
        expect(answers[0]).toEqual(answers[1]);
      });

      it("refuses the key for another request, and runs again once the answer has expired", async () => {
        await service.runInTransaction({ scope: txScope, key: "tx-0004", request: { a: 1 }, execute: work("w4") });
        const other = await rejection(
          service.runInTransaction({ scope: txScope, key: "tx-0004", request: { a: 2 }, execute: work("w4x") }),
        );
        expect(other.code).toBe("CONFLICT");
        expect(other.message).toMatch(/different request/);
        expect(await worked("w4x")).toBe(0);
        clock.advance(IDEMPOTENCY_TTL_HOURS * 3_600_000 + 1);
        await service.runInTransaction({ scope: txScope, key: "tx-0004", request: { a: 2 }, execute: work("w4y") });
        expect(await worked("w4y")).toBe(1);
      });
    });
  });
}
