/**
 * The scenario matrix over OpenAPI (alipay.trade.*, RSA2): the sandbox answers both protocols
 * on /gateway.do, and the money path must end each purchase the same way as over MAPI.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  code,
  countingGateway,
  createAlipay,
  createHarness,
  DAY,
  KIOSK,
  SLOT_14,
  STAFF,
  type Harness,
} from "./__tests__/harness.ts";
import { providers, SCENARIOS } from "./__tests__/protocol-matrix.ts";
import { createMoneyServices } from "./index.ts";
import { memoryTicketKeys } from "./ticket-keys.ts";

for (const { provider, skip } of providers) {
  describe.skipIf(skip)(`money path over OpenAPI on ${provider}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(provider, { protocol: "openapi" });
    });
    afterAll(async () => {
      await h?.close();
    });

    for (const s of SCENARIOS) {
      it(`ends a "${s.id}" purchase in ${s.state} with ${s.tickets} tickets and the right capacity`, async () => {
        const slotBefore = await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } });
        const paymentCode = code(s.id, s.parameter !== undefined ? { parameter: s.parameter } : {});
        const { orderId, paymentId } = await h.buy({ code: paymentCode });
        const state = await h.settle(paymentId);
        expect(state).toBe(s.state);
        const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
        expect(payment.provider).toBe("openapi");
        expect(await h.db.db.ticket.count({ where: { orderId } })).toBe(s.tickets);
        const order = await h.db.db.order.findUniqueOrThrow({ where: { id: orderId } });
        const slot = await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } });
        if (s.state === "PAID") {
          expect(order.state).toBe("paid");
          expect(slot.sold - slotBefore.sold).toBe(2);
          expect(payment.alipayTransId).toBeTruthy();
        } else {
          expect(order.state).toBe(s.state === "FAILED" ? "failed" : "cancelled");
          expect(slot.sold).toBe(slotBefore.sold);
        }
        expect(slot.held).toBe(slotBefore.held);
        // The sandbox agrees: one trade at most, charged only when we say PAID.
        const trades = [...h.sandbox.store.trades.values()].filter((t) => t.outTradeNo === payment.partnerTransId);
        expect(trades.length).toBeLessThanOrEqual(1);
        if (s.state === "PAID") expect(trades.map((t) => t.status)).toEqual(["TRADE_SUCCESS"]);
        else expect(trades.every((t) => t.status !== "TRADE_SUCCESS")).toBe(true);
        const events = await h.db.db.paymentEvent.findMany({ where: { paymentId }, orderBy: { seq: "asc" } });
        expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
        expect(events.at(-1)?.toState).toBe(s.state);
        for (const e of events) expect(e.summary).not.toContain(paymentCode);
        expect(payment.leaseOwner).toBeNull();
      });
    }

    it("cancels on the visitor's request while the buyer is entering a PIN", async () => {
      const { paymentId, orderId } = await h.buy({ code: code("pin_wait_never") });
      const cancelled = await h.services.payments.cancel(paymentId, KIOSK);
      expect(cancelled.state).toBe("CANCELLED");
      expect((await h.db.db.order.findUniqueOrThrow({ where: { id: orderId } })).state).toBe("cancelled");
    });

    it("resends an unknown pay with the same out_trade_no while it holds the code, then cancels", async () => {
      // unknown_not_created answers every pay 20000 isp.unknow-error and never creates a trade.
      const { paymentId } = await h.buy({ code: code("unknown_not_created") });
      const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
      expect(await h.settle(paymentId)).toBe("CANCELLED");
      expect(h.perTrade.get(payment.partnerTransId)).toMatchObject({
        pay: 1 + h.services.payments.policy.maxPayRetries,
        cancel: 1,
      });
      expect(
        [...h.sandbox.store.trades.values()]
          .filter((t) => t.outTradeNo === payment.partnerTransId)
          .every((t) => t.status !== "TRADE_SUCCESS"),
      ).toBe(true);
      expect(await h.db.db.payment.count({ where: { orderId: payment.orderId } })).toBe(1);
    });

    it("applies a verified OpenAPI notification once and refuses a forged one", async () => {
      const { paymentId } = await h.buy({ code: code("pin_wait_confirm", { parameter: 2 }) });
      await h.advance(2_500);
      const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
      const mine = h.notifications.filter(
        (n) => n["out_trade_no"] === payment.partnerTransId && n["trade_status"] === "TRADE_SUCCESS",
      );
      expect(mine.length).toBeGreaterThanOrEqual(1);
      const params = mine[0]!;
      expect(await h.services.notify.handle({ ...params, total_amount: "0.01" })).toMatchObject({
        ack: false,
        result: "bad_signature",
      });
      expect(await h.services.notify.handle(params)).toMatchObject({ ack: true, result: "applied", state: "PAID" });
      expect(await h.services.notify.handle(params)).toMatchObject({ ack: true, result: "duplicate", state: "PAID" });
      expect(await h.db.db.ticket.count({ where: { orderId: payment.orderId } })).toBe(2);
    });

    it("reconciles a day from the OpenAPI bill archive: clean, then a planted difference", async () => {
      // A partial refund puts a refund row into the bill as well.
      const { paymentId } = await h.buy({ code: code("success") });
      expect(await h.settle(paymentId)).toBe("PAID");
      const partial = await h.services.refunds.request({
        paymentId,
        amountMinor: 100,
        reason: "one ticket less",
        actor: STAFF,
      });
      expect(partial.refund.state).toBe("succeeded");
      // A yen purchase too: the bill has no currency column, its "1800" must not be read as 1800.00.
      await h.db.db.kiosk.create({ data: { id: "kiosk_museum", attractionId: "attr_museum", name: "Museum kiosk" } });
      const museum = { type: "kiosk", id: "kiosk_museum", attractionId: "attr_museum" } as const;
      const yenOrder = await h.services.orders.create({
        actor: museum,
        lines: [{ ticketTypeId: "tt_museum_general", slotId: `slot_museum_${DAY}_day`, quantity: 1 }],
      });
      const yen = await h.services.payments.start({
        orderId: yenOrder.id,
        paymentCode: code("success"),
        actor: museum,
      });
      expect(await h.settle(yen.id)).toBe("PAID");
      expect((await h.db.db.payment.findUniqueOrThrow({ where: { id: yen.id } })).currency).toBe("JPY");
      // Everything above happened on 2026-03-01 (Beijing day); move to the next day's morning.
      h.clock.set("2026-03-02T02:00:00.000Z");
      const paidCount = await h.db.db.payment.count({ where: { paidAt: { not: null } } });
      const clean = await h.services.reconciliation.run({ day: "2026-03-01", trigger: "manual", actor: STAFF });
      expect(clean.error ?? null).toBeNull();
      expect(clean.state).toBe("completed");
      expect(clean.differences).toEqual([]);
      expect(clean.matchedCount).toBeGreaterThanOrEqual(paidCount + 1);

      const paid = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
      await h.db.db.payment.update({ where: { id: paid.id }, data: { amountMinor: paid.amountMinor + 1 } });
      try {
        const run = await h.services.reconciliation.run({ day: "2026-03-01", trigger: "manual", actor: STAFF });
        expect(run.state).toBe("completed");
        expect(
          run.differences.map((d) => [d.kind, d.partnerTransId, d.ledgerAmountMinor, d.gatewayAmountMinor]),
        ).toEqual([["amount_mismatch", paid.partnerTransId, paid.amountMinor + 1, paid.amountMinor]]);
      } finally {
        await h.db.db.payment.update({ where: { id: paid.id }, data: { amountMinor: paid.amountMinor } });
      }
    });
  });
}

describe("pay resend after SYSTEM_ERROR (MAPI, where SYSTEM_ERROR is unprocessed)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness("sqlite");
  });
  afterAll(async () => {
    await h?.close();
  });

  it("resends with the same partner_trans_id from the process that holds the code", async () => {
    h.sandbox.setFaults({ systemErrorNext: 1 });
    const paymentCode = code("success");
    const { paymentId, state } = await h.buy({ code: paymentCode });
    expect(state).toBe("POLLING");
    const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
    expect(await h.settle(paymentId)).toBe("PAID");
    expect(h.perTrade.get(payment.partnerTransId)).toMatchObject({ pay: 2 });
    const trades = [...h.sandbox.store.trades.values()].filter((t) => t.outTradeNo === payment.partnerTransId);
    expect(trades.map((t) => t.status)).toEqual(["TRADE_SUCCESS"]);
    expect(await h.db.db.ticket.count({ where: { orderId: payment.orderId } })).toBe(2);
    const events = await h.db.db.paymentEvent.findMany({ where: { paymentId }, orderBy: { seq: "asc" } });
    expect(events.map((e) => e.type)).toEqual(["created", "pay_error", "query_result", "pay_result"]);
    for (const e of events) expect(e.summary).not.toContain(paymentCode);
  });

  it("only queries from a process that cannot open the stored request (no key), then cancels", async () => {
    const counting = countingGateway(createAlipay({ gatewayUrl: h.sandbox.gatewayUrl, clock: h.clock }));
    const other = createMoneyServices({
      db: h.db.db,
      provider: "sqlite",
      clock: h.clock,
      alipay: counting.gateway,
      ticketKeys: memoryTicketKeys(h.ticketKeyPems),
      instanceId: "other-process",
    });
    h.sandbox.setFaults({ systemErrorNext: 1 });
    const { paymentId } = await h.buy({ code: code("success") });
    const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
    let state = payment.state;
    for (let step = 0; step < 200 && (state === "POLLING" || state === "CANCELLING"); step++) {
      await h.advance(1_000);
      await other.worker.tick();
      state = (await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } })).state;
    }
    expect(state).toBe("CANCELLED");
    expect(h.perTrade.get(payment.partnerTransId)).toMatchObject({ pay: 1 });
    expect(counting.counts.pay).toBe(0);
    expect(counting.counts.query).toBeGreaterThan(5);
    expect(counting.counts.cancel).toBe(1);
    await other.worker.stop();
  });
});
