/**
 * `sale.completed` is written in the transaction that records the payment PAID (or the
 * booking confirmed), through the production sink (app-services.ts) and events service:
 * the event row exists exactly when the sale does, once, and a failed PAID transaction
 * leaves neither.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import type { DbProvider } from "@kiosk/db";
import type { ScenarioId } from "@kiosk/alipay-sandbox";
import { silentLogger } from "../log.ts";
import { moneyEventSink } from "../app-services.ts";
import { ADULT, CHILD, code, createHarness, KIOSK, PG_URL, SLOT_14, type Harness } from "./__tests__/harness.ts";
import { createPlatformServices } from "./platform.ts";

const providers: { provider: DbProvider; skip: boolean }[] = [
  { provider: "sqlite", skip: false },
  { provider: "postgresql", skip: !PG_URL },
];

const SCENARIOS: { id: ScenarioId; parameter?: number }[] = [
  { id: "success" },
  { id: "pin_wait_confirm", parameter: 10 },
  { id: "unknown_paid" },
  { id: "system_error", parameter: 1 },
  { id: "dropped_connection" },
  { id: "insufficient_balance" },
  { id: "pin_wait_never" },
];

const ACTION = "event:sale.completed";

for (const { provider, skip } of providers) {
  describe.skipIf(skip)(`sale.completed in the PAID transaction on ${provider}`, () => {
    let h: Harness;
    /** Set to make the sink's next in-transaction write fail after writing its row. */
    let failNextSaleWrite = false;
    /** Set to drop what is published after a commit (as a crash right after it would). */
    let isAfterCommitLost = false;
    beforeAll(async () => {
      h = await createHarness(provider, {
        eventSink: (db, clock) => {
          const sink = moneyEventSink(createPlatformServices({ db, clock, log: silentLogger, sessionTtlMinutes: 60 }));
          return {
            publish: (topic, payload) => {
              if (!isAfterCommitLost) sink.publish(topic, payload);
            },
            publishInTx: async (tx, event, options) => {
              await sink.publishInTx!(tx, event, options);
              if (failNextSaleWrite) {
                failNextSaleWrite = false;
                throw new Error("injected failure after the sale event row was written");
              }
            },
          };
        },
      });
    });
    afterAll(async () => {
      await h?.close();
    });

    const saleRows = (orderId: string) =>
      h.db.db.auditLog.findMany({ where: { action: ACTION, targetType: "order", targetId: orderId } });

    for (const s of SCENARIOS) {
      it(`after a "${s.id}" purchase the event row exists exactly when the payment is PAID`, async () => {
        const { orderId, paymentId } = await h.buy({
          code: code(s.id, s.parameter !== undefined ? { parameter: s.parameter } : {}),
        });
        const state = await h.settle(paymentId);
        const rows = await saleRows(orderId);
        if (state === "PAID") {
          expect(rows).toHaveLength(1);
          const details = JSON.parse(rows[0]!.details) as {
            attractionId: string;
            data: { paymentId: string; ticketIds: string[]; channel: string; amountMinor: number };
          };
          const tickets = await h.db.db.ticket.findMany({ where: { orderId }, orderBy: { id: "asc" } });
          expect(details.attractionId).toBe("attr_skyline");
          expect(details.data).toMatchObject({ paymentId, channel: "kiosk", amountMinor: 2 * 3200 });
          expect(details.data.ticketIds).toEqual(tickets.map((t) => t.id));
          // Every fact as stored, whether the instant purchase wrote the event from what it
          // knew or a later PAID read the order back (issue 16).
          const order = await h.db.db.order.findUniqueOrThrow({ where: { id: orderId } });
          const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
          expect(details.data).toEqual({
            orderId,
            paymentId,
            channel: order.channel,
            kioskId: order.kioskId,
            apiClientId: order.apiClientId,
            externalRef: order.externalRef,
            amountMinor: payment.amountMinor,
            currency: payment.currency,
            ticketIds: tickets.map((t) => t.id),
            paidAt: payment.paidAt!.toISOString(),
          });
          expect(rows[0]).toMatchObject({ actorType: "system", targetType: "order", targetId: orderId });
          // The kiosk's last sale: in the PAID commit when the payment knew its kiosk (the
          // instant purchase), else written after it (a PIN wait settled by the worker).
          await expect
            .poll(async () =>
              (await h.db.db.kiosk.findUniqueOrThrow({ where: { id: KIOSK.id! } })).lastSaleAt?.getTime(),
            )
            .toBe(payment.paidAt!.getTime());
        } else {
          expect(rows).toHaveLength(0);
        }
      });
    }

    it("a PAID transaction that fails leaves no event, no tickets and no PAID; the retry writes one event", async () => {
      failNextSaleWrite = true;
      const order = await h.services.orders.create({
        actor: KIOSK,
        lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 2 }],
      });
      const started = await h.services.payments
        .start({ orderId: order.id, paymentCode: code("success"), actor: KIOSK })
        .then(
          (p) => p,
          () => null,
        );
      expect(started?.state).not.toBe("PAID");
      expect(failNextSaleWrite).toBe(false); // the failure was hit
      const payment = await h.db.db.payment.findFirstOrThrow({ where: { orderId: order.id } });
      expect(payment.state).not.toBe("PAID");
      expect(await saleRows(order.id)).toHaveLength(0);
      expect(await h.db.db.ticket.count({ where: { orderId: order.id } })).toBe(0);

      expect(await h.settle(payment.id)).toBe("PAID");
      expect(await saleRows(order.id)).toHaveLength(1);
      expect(await h.db.db.ticket.count({ where: { orderId: order.id } })).toBe(2);
    });

    it("an instant purchase's kiosk last sale is in its PAID commit, on the batch and on the general path", async () => {
      const lastSale = async () => (await h.db.db.kiosk.findUniqueOrThrow({ where: { id: KIOSK.id! } })).lastSaleAt;
      // Nothing published after the commits reaches the fleet: only the commit can have written it.
      isAfterCommitLost = true;
      onTestFinished(() => {
        isAfterCommitLost = false;
      });
      h.clock.advance(1_000);
      const bought = await h.buy({ code: code("success") });
      expect(bought.state).toBe("PAID");
      const paid = await h.db.db.payment.findUniqueOrThrow({ where: { id: bought.paymentId } });
      expect(await lastSale()).toEqual(paid.paidAt);

      // The general path (the batch missed: a hold released meanwhile) writes it in its transaction.
      h.clock.advance(1_000);
      const order = await h.services.orders.create({
        actor: KIOSK,
        lines: [{ ticketTypeId: ADULT, slotId: SLOT_14, quantity: 1 }],
      });
      await h.db.db.capacityHold.updateMany({ where: { orderId: order.id }, data: { state: "released" } });
      const started = await h.services.payments.start({
        orderId: order.id,
        paymentCode: code("success"),
        actor: KIOSK,
      });
      expect(started.state).toBe("PAID");
      const second = await h.db.db.payment.findUniqueOrThrow({ where: { id: started.id } });
      expect(second.paidAt!.getTime()).toBeGreaterThan(paid.paidAt!.getTime());
      expect(await lastSale()).toEqual(second.paidAt);
    });

    // A booking confirm writes its event in one batch when all is as expected, and through the
    // transaction when not (here a hold no longer active): the same facts either way (issue 16).
    for (const path of ["one batch", "the transaction (a hold was released meanwhile)"] as const) {
      it(`a booking confirmed through ${path} has one event with every fact as stored`, async () => {
        const client = { type: "api_client" as const, id: `cli_sale_${path.length}`, attractionId: "attr_skyline" };
        await h.db.db.apiClient.upsert({
          where: { id: client.id },
          create: {
            id: client.id,
            attractionId: client.attractionId,
            name: client.id,
            keyPrefix: `kak_${client.id}`,
            keyHash: "x",
            scopes: "bookings:write",
          },
          update: {},
        });
        const order = await h.services.orders.create({
          actor: client,
          externalRef: "ext-sale-1",
          lines: [
            { ticketTypeId: ADULT, slotId: SLOT_14, quantity: 2 },
            { ticketTypeId: CHILD, slotId: SLOT_14, quantity: 1 },
          ],
        });
        const before = await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } });
        if (path !== "one batch") {
          // Released by hand (as a sweep would an expired one): the batch's hold check misses.
          await h.db.db.capacityHold.updateMany({ where: { orderId: order.id }, data: { state: "released" } });
          await h.db.db.slot.update({ where: { id: SLOT_14 }, data: { held: { decrement: 3 } } });
        }
        const confirmed = await h.services.bookings.confirm({
          orderId: order.id,
          externalPaymentRef: "psp-77",
          actor: client,
        });
        const rows = await saleRows(order.id);
        expect(rows).toHaveLength(1);
        const stored = await h.db.db.order.findUniqueOrThrow({ where: { id: order.id } });
        const tickets = await h.db.db.ticket.findMany({ where: { orderId: order.id }, orderBy: { id: "asc" } });
        expect(tickets.map((t) => t.id)).toEqual(confirmed.tickets.map((t) => t.id).sort());
        expect(JSON.parse(rows[0]!.details)).toEqual({
          attractionId: "attr_skyline",
          data: {
            orderId: order.id,
            paymentId: null,
            channel: stored.channel,
            kioskId: stored.kioskId,
            apiClientId: client.id,
            externalRef: "ext-sale-1",
            amountMinor: stored.totalMinor,
            currency: stored.currency,
            ticketIds: tickets.map((t) => t.id),
            paidAt: confirmed.paidAt.toISOString(),
            externalPaymentRef: "psp-77",
          },
        });
        expect(stored.state).toBe("paid");
        const after = await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } });
        expect(after.sold - before.sold).toBe(3);
        expect(after.held - before.held).toBe(-3);
        expect((await h.db.db.capacityHold.findMany({ where: { orderId: order.id } })).map((x) => x.state)).toEqual(
          path === "one batch" ? ["converted"] : ["released"],
        );
        expect(await h.db.db.auditLog.count({ where: { action: "booking.confirmed", targetId: order.id } })).toBe(1);
      });
    }

    it("no PAID payment is ever without its sale event", async () => {
      const paid = await h.db.db.payment.findMany({ where: { state: "PAID" }, select: { orderId: true } });
      expect(paid.length).toBeGreaterThan(0);
      for (const p of paid) expect(await saleRows(p.orderId)).toHaveLength(1);
    });
  });
}
