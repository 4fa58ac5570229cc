import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maskPaymentCode } from "@kiosk/alipay-core/money";
import type { DbProvider } from "@kiosk/db";
import type { ScenarioId } from "@kiosk/alipay-sandbox";
import {
  ADULT,
  code,
  createHarness,
  KIOSK,
  OTHER_KIOSK,
  PG_URL,
  SLOT_14,
  STAFF,
  type Harness,
} from "./__tests__/harness.ts";
import { verifyTicketCode } from "./ticket-code.ts";

const providers: { provider: DbProvider; skip: boolean }[] = [
  { provider: "sqlite", skip: false },
  { provider: "postgresql", skip: !PG_URL },
];

const SCENARIOS: { id: ScenarioId; parameter?: number; state: string; tickets: number }[] = [
  { id: "success", state: "PAID", tickets: 2 },
  { id: "insufficient_balance", state: "FAILED", tickets: 0 },
  { id: "expired_code", state: "FAILED", tickets: 0 },
  { id: "pin_wait_confirm", parameter: 10, state: "PAID", tickets: 2 },
  { id: "pin_wait_never", state: "CANCELLED", tickets: 0 },
  { id: "pin_wait_reject", parameter: 10, state: "FAILED", tickets: 0 },
  { id: "unknown_paid", state: "PAID", tickets: 2 },
  { id: "unknown_not_created", state: "CANCELLED", tickets: 0 },
  { id: "system_error", parameter: 1, state: "PAID", tickets: 2 },
  { id: "slow_response", parameter: 1, state: "PAID", tickets: 2 },
  { id: "dropped_connection", state: "PAID", tickets: 2 },
  { id: "dropped_before_processing", state: "CANCELLED", tickets: 0 },
  { id: "bad_signature", state: "PAID", tickets: 2 },
];

for (const { provider, skip } of providers) {
  describe.skipIf(skip)(`money path on ${provider}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(provider);
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
        const tickets = await h.db.db.ticket.findMany({ where: { orderId } });
        expect(tickets).toHaveLength(s.tickets);
        const order = await h.db.db.order.findUniqueOrThrow({ where: { id: orderId } });
        const slot = await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } });
        if (s.state === "PAID") {
          expect(order.state).toBe("paid");
          expect(slot.sold - slotBefore.sold).toBe(2);
          expect(slot.held).toBe(slotBefore.held);
        } else {
          expect(order.state).toBe(s.state === "FAILED" ? "failed" : "cancelled");
          expect(slot.sold).toBe(slotBefore.sold);
          expect(slot.held).toBe(slotBefore.held);
        }
        const events = await h.db.db.paymentEvent.findMany({ where: { paymentId }, orderBy: { seq: "asc" } });
        expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
        expect(events.at(-1)?.toState).toBe(s.state);
        const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
        // The whole code must never be stored. (Its middle digits alone are not checked: the
        // sandbox derives the simulated buyer id from them, and buyer ids may be recorded.)
        for (const e of events) expect(e.summary).not.toContain(paymentCode);
        expect(payment.paymentCodeMasked).toBe(maskPaymentCode(paymentCode));
        expect(payment.leaseOwner).toBeNull();
      });
    }

    it("prices on the server, signs tickets verifiable offline, and redeems each once", async () => {
      const order = await h.services.orders.create({
        actor: KIOSK,
        lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 3 }],
      });
      expect(order.totalMinor).toBe(3 * 3200);
      expect(order.currency).toBe("SGD");
      const payment = await h.services.payments.start({
        orderId: order.id,
        paymentCode: code("success"),
        actor: KIOSK,
      });
      expect(payment.state).toBe("PAID");
      expect(payment.tickets).toHaveLength(3);
      const attraction = await h.db.db.attraction.findUniqueOrThrow({ where: { id: "attr_skyline" } });
      const ticket = payment.tickets[0]!;
      const offline = verifyTicketCode(
        ticket.code,
        { [attraction.ticketKeyId]: attraction.ticketPublicKey },
        h.clock.now().getTime() + 4 * 3600_000,
      );
      expect(offline.ok).toBe(true);
      // Tamper with the signature's first character (six data bits): its last characters can carry
      // bits base64url decoders ignore, so rewriting them sometimes left the signature unchanged.
      const [version, body, signature] = ticket.code.split(".") as [string, string, string];
      const tampered = `${version}.${body}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`;
      expect(verifyTicketCode(tampered, { [attraction.ticketKeyId]: attraction.ticketPublicKey })).toMatchObject({
        ok: false,
        reason: "bad_signature",
      });
      const [first, second] = await Promise.all([
        h.services.tickets.redeem({ code: ticket.code, gate: "north", actor: STAFF }),
        h.services.tickets.redeem({ code: ticket.code, gate: "south", actor: STAFF }),
      ]);
      const results = [first, second];
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const loser = results.find((r) => !r.ok);
      expect(loser && !loser.ok && loser.reason).toBe("already_used");
      expect(loser && !loser.ok && loser.message).toMatch(/already used at 2026-03-01T/);
      expect(await h.db.db.redemption.count({ where: { ticketId: ticket.id } })).toBe(1);
      await h.services.tickets.markPrinted(payment.tickets[1]!.id, KIOSK);
      const failed = await h.services.tickets.markPrintFailed(payment.tickets[2]!.id, KIOSK, "paper out");
      expect(failed.state).toBe("valid");
      expect(failed.printFailedAt).not.toBeNull();
    });

    it("keeps kiosks to their own orders and refuses bad input without changing anything", async () => {
      const order = await h.services.orders.create({
        actor: KIOSK,
        lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 1 }],
      });
      await expect(h.services.orders.get(order.id, OTHER_KIOSK)).rejects.toMatchObject({ code: "NOT_FOUND" });
      await expect(
        h.services.payments.start({ orderId: order.id, paymentCode: code("success"), actor: OTHER_KIOSK }),
      ).rejects.toMatchObject({ code: "NOT_FOUND" });
      const paymentsBefore = await h.db.db.payment.count();
      await expect(
        h.services.payments.start({ orderId: order.id, paymentCode: "12345", actor: KIOSK }),
      ).rejects.toMatchObject({ code: "BAD_REQUEST" });
      expect(await h.db.db.payment.count()).toBe(paymentsBefore);
      const slot = await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } });
      await expect(
        h.services.orders.create({ actor: KIOSK, lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 0 }] }),
      ).rejects.toMatchObject({ code: "BAD_REQUEST" });
      await expect(
        h.services.orders.create({
          actor: KIOSK,
          lines: [{ ticketTypeId: "tt_museum_general", slotId: SLOT_14, quantity: 1 }],
        }),
      ).rejects.toMatchObject({ code: "BAD_REQUEST" });
      await expect(
        h.services.orders.create({ actor: KIOSK, lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 1.5 }] }),
      ).rejects.toMatchObject({ code: "BAD_REQUEST" });
      await expect(
        h.services.orders.create({
          actor: KIOSK,
          attractionId: "attr_museum",
          lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 1 }],
        }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
      expect((await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } })).held).toBe(slot.held);
    });

    it("refuses a second payment for one order, even when two start at once", async () => {
      const order = await h.services.orders.create({
        actor: KIOSK,
        lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 1 }],
      });
      const results = await Promise.allSettled([
        h.services.payments.start({ orderId: order.id, paymentCode: code("success"), actor: KIOSK }),
        h.services.payments.start({ orderId: order.id, paymentCode: code("success"), actor: KIOSK }),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect(await h.db.db.payment.count({ where: { orderId: order.id } })).toBe(1);
      expect(await h.db.db.ticket.count({ where: { orderId: order.id } })).toBe(1);
    });

    it("cancels on the visitor's request while the buyer is entering a PIN", async () => {
      const { paymentId, orderId } = await h.buy({ code: code("pin_wait_never") });
      const cancelled = await h.services.payments.cancel(paymentId, KIOSK);
      expect(cancelled.state).toBe("CANCELLED");
      expect((await h.db.db.order.findUniqueOrThrow({ where: { id: orderId } })).state).toBe("cancelled");
      await expect(h.services.payments.cancel(paymentId, KIOSK)).rejects.toMatchObject({ code: "CONFLICT" });
    });

    it("follows a payment until it settles", async () => {
      const { paymentId } = await h.buy({ code: code("pin_wait_confirm", { parameter: 5 }) });
      const seen: string[] = [];
      const follower = (async () => {
        for await (const p of h.services.payments.follow(paymentId, KIOSK, { pollMs: 50 })) seen.push(p.state);
      })();
      await h.settle(paymentId);
      await follower;
      expect(seen[0]).toBe("POLLING");
      expect(seen.at(-1)).toBe("PAID");
    });

    it("applies a verified notification once and ignores duplicates and forgeries", async () => {
      const { paymentId } = await h.buy({ code: code("pin_wait_confirm", { parameter: 2 }) });
      await h.advance(2_500); // the buyer confirms in the sandbox, which notifies
      const note = h.notifications.find(
        (n) =>
          n["trade_status"] === "TRADE_SUCCESS" &&
          n["partner_trans_id"] === (h.perTrade.size > 0 ? n["partner_trans_id"] : ""),
      );
      const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
      const mine = h.notifications.filter(
        (n) => n["partner_trans_id"] === payment.partnerTransId && n["trade_status"] === "TRADE_SUCCESS",
      );
      expect(note ?? mine[0]).toBeDefined();
      const params = mine[0]!;
      const forged = { ...params, trans_amount: "0.01", total_fee: "0.01" };
      expect(await h.services.notify.handle(forged)).toMatchObject({ ack: false, result: "bad_signature" });
      expect(await h.services.notify.handle(params)).toMatchObject({ ack: true, result: "applied", state: "PAID" });
      expect(await h.services.notify.handle(params)).toMatchObject({ ack: true, result: "duplicate", state: "PAID" });
      expect(await h.db.db.ticket.count({ where: { orderId: payment.orderId } })).toBe(2);
    });

    it("refunds partially and fully, refuses over-refunds, voids tickets on the full refund", async () => {
      const { paymentId, orderId } = await h.buy({ quantity: 2 });
      const tickets = await h.db.db.ticket.findMany({ where: { orderId } });
      await expect(
        h.services.refunds.request({ paymentId, amountMinor: 6401, reason: "too much", actor: STAFF }),
      ).rejects.toMatchObject({ code: "BAD_REQUEST" });
      await expect(
        h.services.refunds.request({ paymentId, amountMinor: 100, reason: "kiosk", actor: KIOSK }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
      const partial = await h.services.refunds.request({
        paymentId,
        amountMinor: 3200,
        reason: "one visitor left",
        ticketIds: [tickets[0]!.id],
        actor: STAFF,
      });
      expect(partial.refund.state).toBe("succeeded");
      expect(partial.paymentState).toBe("PARTIALLY_REFUNDED");
      expect((await h.db.db.ticket.findUniqueOrThrow({ where: { id: tickets[0]!.id } })).state).toBe("void");
      await expect(
        h.services.refunds.request({ paymentId, amountMinor: 3201, reason: "too much", actor: STAFF }),
      ).rejects.toMatchObject({ code: "BAD_REQUEST" });
      const rest = await h.services.refunds.request({ paymentId, reason: "closing early", actor: STAFF });
      expect(rest.refund.amountMinor).toBe(3200);
      expect(rest.paymentState).toBe("REFUNDED");
      const order = await h.db.db.order.findUniqueOrThrow({ where: { id: orderId } });
      expect(order).toMatchObject({ state: "refunded", refundedMinor: 6400 });
      expect(await h.db.db.ticket.count({ where: { orderId, state: "void" } })).toBe(2);
      await expect(
        h.services.refunds.request({ paymentId, amountMinor: 1, reason: "again", actor: STAFF }),
      ).rejects.toMatchObject({ code: "CONFLICT" });
      const redeem = await h.services.tickets.redeem({ code: tickets[1]!.code, actor: STAFF });
      expect(redeem).toMatchObject({ ok: false, reason: "void" });
    });

    it("expires the holds of unpaid orders and gives the places back", async () => {
      const before = await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } });
      const order = await h.services.orders.create({
        actor: KIOSK,
        lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 4 }],
      });
      expect((await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } })).held).toBe(before.held + 4);
      await h.advance(5 * 60_000 + 1);
      const report = await h.services.worker.tick();
      expect(report.expiredOrders).toBeGreaterThanOrEqual(1);
      expect((await h.db.db.order.findUniqueOrThrow({ where: { id: order.id } })).state).toBe("expired");
      // Every unpaid order of this file has run out by now, so nothing is held any more.
      expect((await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } })).held).toBe(0);
      expect(await h.db.db.capacityHold.count({ where: { state: "active" } })).toBe(0);
      await expect(
        h.services.payments.start({ orderId: order.id, paymentCode: code("success"), actor: KIOSK }),
      ).rejects.toMatchObject({ code: "CONFLICT" });
    });

    it("reconciles a day against the gateway's file and files the differences", async () => {
      // Everything above happened on 2026-03-01 (Beijing day); move to the next day's morning.
      h.clock.set("2026-03-02T02:00:00.000Z");
      const paid = await h.db.db.payment.findFirstOrThrow({ where: { state: "PAID" } });
      await h.db.db.payment.update({ where: { id: paid.id }, data: { amountMinor: paid.amountMinor + 1 } });
      const run = await h.services.reconciliation.run({ day: "2026-03-01", trigger: "manual", actor: STAFF });
      expect(run.state).toBe("completed");
      expect(run.matchedCount).toBeGreaterThan(5);
      expect(run.differences.map((d) => d.kind)).toEqual(["amount_mismatch"]);
      expect(run.differences[0]?.partnerTransId).toBe(paid.partnerTransId);
      await h.db.db.payment.update({ where: { id: paid.id }, data: { amountMinor: paid.amountMinor } });
    });
  });
}
