/**
 * Counter sale and the till through the app router (createCaller, no HTTP): a cashier sells
 * with the kiosk's own procedures against the real sandbox gateway over HTTP, role checks,
 * and a shift close whose totals are checked against the sandbox's own trade records.
 */
import { startSandbox, type RunningSandbox } from "@kiosk/alipay-sandbox";
import { DEMO_COUNTER_ID } from "@kiosk/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness as createPlatformHarness, providersFor, type Harness } from "../__tests__/platform-harness.ts";
import { ADULT, code, createAlipay, PG_URL, SLOT_14 } from "./__tests__/harness.ts";
import { KioskError } from "../errors.ts";

type Caller = ReturnType<Harness["caller"]>;

async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause;
    if (cause instanceof KioskError) return cause.code;
    return (e as { code?: string }).code ?? "UNKNOWN";
  }
  throw new Error("expected the call to fail");
}

for (const provider of providersFor(PG_URL)) {
  describe(`counter sale and till on ${provider}`, () => {
    let h: Harness;
    let sandbox: RunningSandbox;
    let cashier: { token: string; id: string };
    let cashier2: { token: string; id: string };
    let viewer: { token: string; id: string };
    let supervisor: { token: string; id: string };
    const as = (who: { token: string }): Caller => h.caller({ sessionToken: who.token });

    beforeAll(async () => {
      let now = (): number => Date.parse("2026-03-01T02:00:00.000Z");
      sandbox = await startSandbox({ port: 0, clock: { now: () => now() }, tickIntervalMs: 0 });
      h = await createPlatformHarness(provider, {
        pgUrl: PG_URL,
        withTicketKeys: true,
        alipay: (clock) => createAlipay({ gatewayUrl: sandbox.gatewayUrl, clock }),
      });
      now = () => h.clock.now().getTime();
      cashier = await h.staffSession("cashier");
      cashier2 = await h.staffSession("cashier");
      viewer = await h.staffSession("viewer");
      supervisor = await h.staffSession("supervisor");
    });
    afterAll(async () => {
      await h?.services.money.worker.stop();
      await h?.close();
      await sandbox?.close();
    });

    /** Moves time and drives the sandbox and the worker until the payment settles. */
    async function settle(paymentId: string): Promise<string> {
      for (let i = 0; i < 120; i++) {
        const p = await h.services.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
        if (!["SENDING", "POLLING", "CANCELLING", "REFUNDING"].includes(p.state)) return p.state;
        h.clock.advance(1_000);
        await sandbox.tick();
        await h.services.money.worker.tick();
      }
      return (await h.services.db.payment.findUniqueOrThrow({ where: { id: paymentId } })).state;
    }

    async function sell(who: { token: string }, paymentCode: string, quantity = 1) {
      const order = await as(who).order.create({ lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity }] });
      const payment = await as(who).payment.start({ orderId: order.id, paymentCode });
      return { order, payment };
    }

    it("refuses a viewer every selling and till call", async () => {
      expect(await errorCode(as(viewer).counter.openShift({ counterId: DEMO_COUNTER_ID }))).toBe("FORBIDDEN");
      expect(
        await errorCode(as(viewer).order.create({ lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 1 }] })),
      ).toBe("FORBIDDEN");
      expect(await errorCode(as(viewer).payment.start({ orderId: "ord_x", paymentCode: code("success") }))).toBe(
        "FORBIDDEN",
      );
      expect(await errorCode(as(viewer).counter.myShift())).toBe("FORBIDDEN");
      expect(await h.services.db.shift.count({ where: { staffUserId: viewer.id } })).toBe(0);
    });

    it("refuses a sale before a shift is open, and a second open shift", async () => {
      expect(
        await errorCode(as(cashier).order.create({ lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 1 }] })),
      ).toBe("PRECONDITION_FAILED");
      const shift = await as(cashier).counter.openShift({ counterId: DEMO_COUNTER_ID });
      expect(shift.state).toBe("open");
      expect(await errorCode(as(cashier).counter.openShift({ counterId: DEMO_COUNTER_ID }))).toBe("CONFLICT");
      expect(await h.services.db.shift.count({ where: { staffUserId: cashier.id } })).toBe(1);
    });

    it("sells at the counter through the kiosk's order and payment procedures, recorded against the cashier and the shift", async () => {
      const { order, payment } = await sell(cashier, code("success"), 2);
      expect(payment.state).toBe("PAID");
      expect(payment.tickets).toHaveLength(2);
      const row = await h.services.db.order.findUniqueOrThrow({ where: { id: order.id }, include: { shift: true } });
      expect(row.channel).toBe("counter");
      expect(row.staffUserId).toBe(cashier.id);
      expect(row.shift?.counterId).toBe(DEMO_COUNTER_ID);
      const followed = await as(cashier).payment.status({ paymentId: payment.id });
      expect(followed.state).toBe("PAID");
      expect((await as(cashier).ticket.markPrinted({ ticketId: payment.tickets[0]!.id })).printedAt).not.toBeNull();
    });

    it("does not let another cashier take the payment for this cashier's order", async () => {
      await as(cashier2).counter.openShift({ counterId: DEMO_COUNTER_ID });
      const order = await as(cashier).order.create({ lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 1 }] });
      expect(await errorCode(as(cashier2).payment.start({ orderId: order.id, paymentCode: code("success") }))).toBe(
        "FORBIDDEN",
      );
      expect(await h.services.db.payment.count({ where: { orderId: order.id } })).toBe(0);
    });

    it("closes a shift only once its payments settled, with sales, refunds and cancellations matching the gateway's records", async () => {
      const pin = await sell(cashier, code("pin_wait_confirm", { parameter: 5 }));
      expect(pin.payment.state).toBe("POLLING");
      const shiftId = (await as(cashier).counter.myShift())!.id;
      expect(await errorCode(as(cashier).counter.closeShift({ shiftId }))).toBe("CONFLICT");
      expect(await settle(pin.payment.id)).toBe("PAID");

      const declined = await sell(cashier, code("insufficient_balance"));
      expect(declined.payment.state).toBe("FAILED");
      const never = await sell(cashier, code("pin_wait_never"));
      await as(cashier).payment.cancel({ paymentId: never.payment.id });
      expect(await settle(never.payment.id)).toBe("CANCELLED");
      const refunded = await sell(cashier, code("success"), 3);
      const refundMinor = refunded.payment.amountMinor / 3;
      await h.services.money.refunds.request({
        paymentId: refunded.payment.id,
        amountMinor: refundMinor,
        reason: "one visitor left",
        actor: { type: "staff", id: supervisor.id, role: "supervisor" },
      });
      expect(await settle(refunded.payment.id)).toBe("PARTIALLY_REFUNDED");

      const closed = await as(cashier).counter.closeShift({ shiftId, note: "end of morning" });
      expect(closed.state).toBe("closed");

      // The sandbox's own records for this shift's trades.
      const trades = closed.payments.map((p) =>
        [...sandbox.store.trades.values()].find((t) => t.outTradeNo === p.partnerTransId),
      );
      const paidTrades = trades.filter((t) => t?.status === "TRADE_SUCCESS" || (t?.refundedMinor ?? 0) > 0);
      const sandboxNet = paidTrades.reduce((s, t) => s + (t!.amountMinor - t!.refundedMinor), 0);
      const sandboxSales = paidTrades.reduce((s, t) => s + t!.amountMinor, 0);
      expect(closed.totals.salesCount).toBe(3);
      expect(closed.totals.salesTotalMinor).toBe(sandboxSales);
      expect(closed.totals.refundsCount).toBe(1);
      expect(closed.totals.refundsTotalMinor).toBe(refundMinor);
      expect(closed.totals.cancellationsCount).toBe(1);
      expect(closed.totals.failedCount).toBe(1);
      expect(closed.totals.netTotalMinor).toBe(sandboxNet);
      expect(closed.gatewayNetMinor).toBe(sandboxNet);
      expect(closed.differences).toEqual([]);

      const audit = await h.services.audit.query({ action: "shift.", targetId: shiftId });
      expect(audit.entries.map((e) => e.action).sort()).toEqual(["shift.closed", "shift.opened"]);
    });

    it("keeps a closed shift as it was: no second close, no payment for its unpaid order, totals unchanged", async () => {
      const shift = await as(cashier).counter.openShift({ counterId: DEMO_COUNTER_ID });
      const order = await as(cashier).order.create({ lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 1 }] });
      const closed = await as(cashier).counter.closeShift({ shiftId: shift.id });
      expect(closed.totals.salesCount).toBe(0);
      expect((await h.services.db.order.findUniqueOrThrow({ where: { id: order.id } })).state).toBe("cancelled");
      expect(await errorCode(as(cashier).counter.closeShift({ shiftId: shift.id }))).toBe("CONFLICT");
      expect(await errorCode(as(cashier).payment.start({ orderId: order.id, paymentCode: code("success") }))).toBe(
        "CONFLICT",
      );
      expect(await h.services.db.payment.count({ where: { orderId: order.id } })).toBe(0);
      const again = await as(supervisor).counter.shift({ shiftId: shift.id });
      expect(again.closedAt).toEqual(closed.closedAt);
      expect(again.totals).toEqual(closed.totals);
    });

    it("lists a difference when the ledger and the gateway disagree on a trade", async () => {
      const shift = await as(cashier).counter.openShift({ counterId: DEMO_COUNTER_ID });
      const { payment } = await sell(cashier, code("success"));
      // A ledger that lost track of the charge: the gateway still has it.
      await h.services.db.payment.update({
        where: { id: payment.id },
        data: { amountMinor: payment.amountMinor + 100 },
      });
      const closed = await as(cashier).counter.closeShift({ shiftId: shift.id });
      expect(closed.differences).toEqual([
        expect.objectContaining({
          kind: "amount_mismatch",
          paymentId: payment.id,
          ledgerAmountMinor: payment.amountMinor + 100,
          gatewayAmountMinor: payment.amountMinor,
        }),
      ]);
      expect(closed.gatewayNetMinor).toBe(payment.amountMinor);
    });

    it("shows a cashier only their own shifts and a supervisor everyone's", async () => {
      const own = await as(cashier).counter.shifts();
      expect(own.every((s) => s.staffUserId === cashier.id)).toBe(true);
      const mine = await as(cashier2).counter.myShift();
      expect(await errorCode(as(cashier).counter.shift({ shiftId: mine!.id }))).toBe("NOT_FOUND");
      const all = await as(supervisor).counter.shifts();
      expect(new Set(all.map((s) => s.staffUserId))).toEqual(new Set([cashier.id, cashier2.id]));
    });
  });
}
