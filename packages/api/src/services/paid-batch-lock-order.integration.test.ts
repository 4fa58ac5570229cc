/**
 * The instant purchase's PAID batch (payment-store.ts `writePaidTransition`) and the general
 * transition (`writeTransition`: the payment row, then the order in `effectsInTx`) must take
 * the two rows in the same order. When the batch took the order first, a notification and the
 * pay answer of one payment deadlocked: `proof:load` logged ≈ 12 deadlocks a run, each a
 * one-second wait (PostgreSQL's deadlock_timeout) before a victim was retried.
 *
 * Here a session holds the payment row as the general path does after its first statement;
 * the batch must then wait without holding the order, so the session's next step (the order)
 * does not wait on the batch.
 */
import { afterEach, describe, expect, it } from "vitest";
import { code, createHarness, PG_URL, type Harness } from "./__tests__/harness.ts";
import { createPaymentStore } from "./payment-store.ts";

describe.skipIf(!PG_URL)("the PAID batch's lock order on PostgreSQL", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("waits for the payment row before it touches the order", async () => {
    h = await createHarness("postgresql", { protocol: "openapi" });
    const { paymentId, orderId } = await h.buy({ code: code("pin_wait_never") });
    const store = createPaymentStore(h.db.db);
    const row = await store.byId(paymentId);
    const order = await h.db.db.order.findUniqueOrThrow({ where: { id: orderId } });
    expect(order.state).toBe("pending");

    const db = h.db.db;
    // The general path's transaction, stopped after its first statement (the payment row).
    let holding!: (pid: number) => void;
    let finish!: () => void;
    const held = new Promise<number>((r) => (holding = r));
    const finished = new Promise<void>((r) => (finish = r));
    const general = db.$transaction(
      async (tx) => {
        await tx.$queryRaw`SELECT 1 FROM "Payment" WHERE "id" = ${paymentId} FOR UPDATE`;
        holding((await tx.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`)[0]!.pid);
        await finished;
      },
      { timeout: 20_000 },
    );
    const generalPid = await held;

    const now = new Date();
    const batch = store.writePaidTransition(
      row,
      { version: row.version + 1 },
      {
        type: "lock_order_probe",
        fromState: row.state,
        toState: row.state,
        actorType: "system",
        actorId: null,
        summary: {},
      },
      now,
      [],
      [],
    );
    // Until the batch is blocked on a row lock (nothing else runs in this test's database).
    for (;;) {
      const [{ n }] = await db.$queryRaw<[{ n: number }]>`
        SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE NOT l.granted AND a.datname = current_database() AND l.pid <> ${generalPid}`;
      if (n > 0) break;
    }

    // The general path's next statement is the order: it must not find the batch holding it.
    const probe = await db.$transaction(async (tx) =>
      tx.$queryRaw`SELECT 1 FROM "Order" WHERE "id" = ${orderId} FOR UPDATE NOWAIT`
        .then(() => "free")
        .catch((e: unknown) => (e instanceof Error ? e.message : String(e))),
    );
    finish();
    await general;
    expect(await batch).toBe(true);
    expect(probe).toBe("free");
    expect((await h.db.db.order.findUniqueOrThrow({ where: { id: orderId } })).state).toBe("paid");
  }, 30_000);
});
