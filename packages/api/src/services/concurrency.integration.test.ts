import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADULT,
  code,
  countingGateway,
  createAlipay,
  createHarness,
  KIOSK,
  PG_URL,
  SLOT_14,
  type Harness,
} from "./__tests__/harness.ts";
import { createMoneyServices } from "./index.ts";
import { memoryTicketKeys } from "./ticket-keys.ts";

describe.skipIf(!PG_URL)("many instances on one PostgreSQL", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness("postgresql");
  });
  afterAll(async () => {
    await h?.close();
  });

  it("sells exactly 100 of 100 places to 300 concurrent orders", async () => {
    await h.db.db.slot.update({ where: { id: SLOT_14 }, data: { capacity: 100, held: 0, sold: 0 } });
    const results = await Promise.allSettled(
      Array.from({ length: 300 }, () =>
        h.services.orders.create({ actor: KIOSK, lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 1 }] }),
      ),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(100);
    expect(lost.every((r) => (r.reason as { code?: string }).code === "CONFLICT")).toBe(true);
    const slot = await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } });
    expect(slot.held + slot.sold).toBe(100);
    expect(
      await h.db.db.capacityHold.aggregate({ where: { slotId: SLOT_14, state: "active" }, _sum: { quantity: true } }),
    ).toMatchObject({ _sum: { quantity: 100 } });
    // Paying all 100 at once converts every hold, still exactly 100.
    const orders = won.map((r) => (r as PromiseFulfilledResult<{ id: string }>).value);
    const paid = await Promise.all(
      orders.map((o) => h.services.payments.start({ orderId: o.id, paymentCode: code("success"), actor: KIOSK })),
    );
    expect(paid.every((p) => p.state === "PAID")).toBe(true);
    const after = await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } });
    expect(after).toMatchObject({ sold: 100, held: 0 });
    expect(await h.db.db.ticket.count({ where: { slotId: SLOT_14 } })).toBe(100);
  });

  it("never lets two workers send the same query or cancel", async () => {
    await h.db.db.slot.update({ where: { id: SLOT_14 }, data: { capacity: 1000 } });
    const calls: { op: string; id: string; at: number; instance: string }[] = [];
    const instances = ["worker-a", "worker-b", "worker-c"].map((instanceId) => {
      const counting = countingGateway(createAlipay({ gatewayUrl: h.sandbox.gatewayUrl, clock: h.clock }));
      const record = <T>(op: string, id: string, p: Promise<T>): Promise<T> => {
        calls.push({ op, id, at: h.clock.now().getTime(), instance: instanceId });
        return p;
      };
      const g = counting.gateway;
      return createMoneyServices({
        db: h.db.db,
        provider: "postgresql",
        clock: h.clock,
        instanceId,
        ticketKeys: memoryTicketKeys(h.ticketKeyPems),
        alipay: {
          ...g,
          query: (r, o) => record("query", r.partnerTransId, g.query(r, o)),
          cancel: (r, o) => record("cancel", r.partnerTransId, g.cancel(r, o)),
          pay: (r, o) => record("pay", r.partnerTransId, g.pay(r, o)),
        },
      });
    });
    const started = [];
    for (let i = 0; i < 30; i++) {
      const s = instances[i % 3]!;
      const order = await s.orders.create({
        actor: KIOSK,
        lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 1 }],
      });
      const scenario =
        i % 3 === 0
          ? code("pin_wait_confirm", { parameter: 20 })
          : i % 3 === 1
            ? code("pin_wait_never")
            : code("unknown_not_created");
      started.push(await s.payments.start({ orderId: order.id, paymentCode: scenario, actor: KIOSK }));
    }
    for (let step = 0; step < 120; step++) {
      await h.advance(1_000);
      await Promise.all(instances.map((s) => s.worker.tick()));
    }
    const states = await h.db.db.payment.findMany({ where: { id: { in: started.map((p) => p.id) } } });
    expect(states.filter((p) => p.state === "PAID")).toHaveLength(10);
    expect(states.filter((p) => p.state === "CANCELLED")).toHaveLength(20);
    const byTrade = new Map<string, typeof calls>();
    for (const c of calls) byTrade.set(c.id, [...(byTrade.get(c.id) ?? []), c]);
    let queries = 0;
    for (const [, list] of byTrade) {
      const q = list.filter((c) => c.op === "query").map((c) => c.at);
      queries += q.length;
      // One query per due time: never two at the same instant, never closer than the interval.
      for (let i = 1; i < q.length; i++) expect(q[i]! - q[i - 1]!).toBeGreaterThanOrEqual(3_000);
      expect(list.filter((c) => c.op === "cancel").length).toBeLessThanOrEqual(1);
    }
    expect(queries).toBeGreaterThan(100);
    expect(new Set(calls.filter((c) => c.op === "query").map((c) => c.instance)).size).toBeGreaterThan(1);
    expect(calls.filter((c) => c.op === "cancel")).toHaveLength(20);
    const payEvents = await h.db.db.paymentEvent.count({
      where: { paymentId: { in: started.map((p) => p.id) }, type: { in: ["query_result", "query_error"] } },
    });
    expect(payEvents).toBe(queries);
  });
});
