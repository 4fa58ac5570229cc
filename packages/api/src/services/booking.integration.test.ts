import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbProvider } from "@kiosk/db";
import { silentLogger } from "../log.ts";
import { KioskError } from "../errors.ts";
import { rejection } from "./__tests__/rejection.ts";
import { ADULT, CHILD, createHarness, PG_URL, SLOT_14, type Harness } from "./__tests__/harness.ts";
import { BOOKING_CONFIRMED_ACTION, type ConfirmedBooking } from "./booking-service.ts";
import { IdempotencyService } from "./idempotency-service.ts";
import { verifyTicketCode } from "./ticket-code.ts";

const providers: { provider: DbProvider; skip: boolean }[] = [
  { provider: "sqlite", skip: false },
  { provider: "postgresql", skip: !PG_URL },
];

const CLIENT = { type: "api_client", id: "apc_booker", attractionId: "attr_skyline" } as const;
const OTHER_CLIENT = { type: "api_client", id: "apc_other", attractionId: "attr_skyline" } as const;

for (const { provider, skip } of providers) {
  describe.skipIf(skip)(`booking confirm on ${provider}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(provider);
      for (const c of [CLIENT, OTHER_CLIENT]) {
        await h.db.db.apiClient.create({
          data: {
            id: c.id,
            attractionId: c.attractionId,
            name: c.id,
            keyPrefix: `kak_${c.id}`,
            keyHash: "x",
            scopes: "bookings:write bookings:read tickets:read",
          },
        });
      }
    });
    afterAll(async () => {
      await h?.close();
    });

    const book = (actor: typeof CLIENT | typeof OTHER_CLIENT = CLIENT) =>
      h.services.orders.create({
        actor,
        externalRef: "ext-42",
        lines: [
          { ticketTypeId: ADULT, slotId: SLOT_14, quantity: 2 },
          { ticketTypeId: CHILD, slotId: SLOT_14, quantity: 1 },
        ],
      });

    /** Everything confirm may change, to prove a refused confirm changed nothing. */
    const snapshot = async (orderId: string) => ({
      order: (await h.db.db.order.findUniqueOrThrow({ where: { id: orderId } })).state,
      holds: (await h.db.db.capacityHold.findMany({ where: { orderId }, orderBy: { id: "asc" } })).map((x) => x.state),
      tickets: await h.db.db.ticket.count({ where: { orderId } }),
      slot: await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 }, select: { sold: true, held: true } }),
      audit: await h.db.db.auditLog.count({ where: { targetId: orderId } }),
    });

    it("issues one signed ticket per place and turns the holds into sold places in one go", async () => {
      const before = await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } });
      const order = await book();
      const held = await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } });
      expect(held.held - before.held).toBe(3);

      const confirmed = await h.services.bookings.confirm({
        orderId: order.id,
        externalPaymentRef: "psp_tx_1",
        actor: CLIENT,
      });
      expect(confirmed.order.state).toBe("paid");
      expect(confirmed.order.channel).toBe("booking");
      expect(confirmed.tickets).toHaveLength(3);
      expect(confirmed.externalPaymentRef).toBe("psp_tx_1");

      const slot = await h.db.db.slot.findUniqueOrThrow({ where: { id: SLOT_14 } });
      expect(slot.sold - before.sold).toBe(3);
      expect(slot.held).toBe(before.held);
      const row = await h.db.db.order.findUniqueOrThrow({ where: { id: order.id } });
      expect(row.state).toBe("paid");
      expect(row.channel).toBe("booking");
      const holds = await h.db.db.capacityHold.findMany({ where: { orderId: order.id } });
      expect(holds.every((x) => x.state === "converted")).toBe(true);
      const tickets = await h.services.tickets.listForOrder(order.id, CLIENT);
      expect(tickets.map((t) => t.id).sort()).toEqual(confirmed.tickets.map((t) => t.id).sort());
      expect(tickets.filter((t) => t.ticketTypeId === ADULT)).toHaveLength(2);
      const attraction = await h.db.db.attraction.findUniqueOrThrow({ where: { id: "attr_skyline" } });
      for (const t of tickets)
        expect(
          verifyTicketCode(
            t.code,
            { [attraction.ticketKeyId]: attraction.ticketPublicKey },
            h.clock.now().getTime() + 4 * 3600_000,
          ).ok,
        ).toBe(true);
      const audit = await h.db.db.auditLog.findMany({
        where: { action: BOOKING_CONFIRMED_ACTION, targetId: order.id },
      });
      expect(audit).toHaveLength(1);
      expect(JSON.parse(audit[0]!.details)).toMatchObject({
        externalPaymentRef: "psp_tx_1",
        channel: "booking",
        ticketCount: 3,
      });
      expect(await h.db.db.payment.count({ where: { orderId: order.id } })).toBe(0);
      const redeemed = await h.services.tickets.redeem({ code: tickets[0]!.code, actor: CLIENT });
      expect(redeemed.ok).toBe(true);
    });

    it("a replay with the same idempotency key returns the first answer without confirming again", async () => {
      const idempotency = new IdempotencyService({ db: h.db.db, clock: h.clock, log: silentLogger });
      const order = await book();
      let runs = 0;
      const call = () =>
        idempotency.run<ConfirmedBooking>({
          scope: `api_client:${CLIENT.id}:booking.confirm`,
          key: "confirm-key-0001",
          request: { orderId: order.id, externalPaymentRef: "psp_tx_2" },
          execute: () => {
            runs += 1;
            return h.services.bookings.confirm({ orderId: order.id, externalPaymentRef: "psp_tx_2", actor: CLIENT });
          },
        });
      const first = await call();
      const after = await snapshot(order.id);
      const replay = await call();
      expect(runs).toBe(1);
      expect(replay).toEqual(first);
      expect(await snapshot(order.id)).toEqual(after);
    });

    it("a second confirm (another key) is CONFLICT 'already confirmed' and changes nothing", async () => {
      const order = await book();
      await h.services.bookings.confirm({ orderId: order.id, externalPaymentRef: "psp_tx_3", actor: CLIENT });
      const after = await snapshot(order.id);
      const error = await rejection(
        h.services.bookings.confirm({ orderId: order.id, externalPaymentRef: "psp_tx_3b", actor: CLIENT }),
      );
      expect(error.code).toBe("CONFLICT");
      expect(error.message).toMatch(/already confirmed/);
      expect(await snapshot(order.id)).toEqual(after);
    });

    it("two simultaneous confirms issue the tickets once", async () => {
      const order = await book();
      const results = await Promise.allSettled(
        [1, 2, 3].map((i) =>
          h.services.bookings.confirm({ orderId: order.id, externalPaymentRef: `psp_race_${i}`, actor: CLIENT }),
        ),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      for (const r of results) if (r.status === "rejected") expect((r.reason as KioskError).code).toBe("CONFLICT");
      expect(await h.db.db.ticket.count({ where: { orderId: order.id } })).toBe(3);
      expect(await h.db.db.auditLog.count({ where: { action: BOOKING_CONFIRMED_ACTION, targetId: order.id } })).toBe(1);
    });

    it("an expired booking is refused and changes nothing, before and after the expiry sweep", async () => {
      const order = await book();
      await h.advance(6 * 60_000);
      const before = await snapshot(order.id);
      const error = await rejection(
        h.services.bookings.confirm({ orderId: order.id, externalPaymentRef: "psp_tx_4", actor: CLIENT }),
      );
      expect(error.code).toBe("PRECONDITION_FAILED");
      expect(error.message).toMatch(/expired/);
      expect(await snapshot(order.id)).toEqual(before);
      await h.services.orders.expireDue();
      const swept = await snapshot(order.id);
      expect(swept.order).toBe("expired");
      const again = await rejection(
        h.services.bookings.confirm({ orderId: order.id, externalPaymentRef: "psp_tx_4", actor: CLIENT }),
      );
      expect(again.code).toBe("PRECONDITION_FAILED");
      expect(await snapshot(order.id)).toEqual(swept);
    });

    it("a cancelled booking is CONFLICT and changes nothing", async () => {
      const order = await book();
      await h.services.orders.cancel(order.id, CLIENT);
      const before = await snapshot(order.id);
      const error = await rejection(
        h.services.bookings.confirm({ orderId: order.id, externalPaymentRef: "psp_tx_5", actor: CLIENT }),
      );
      expect(error.code).toBe("CONFLICT");
      expect(await snapshot(order.id)).toEqual(before);
    });

    it("another client's booking is NOT_FOUND and stays pending", async () => {
      const order = await book(OTHER_CLIENT);
      const before = await snapshot(order.id);
      const error = await rejection(
        h.services.bookings.confirm({ orderId: order.id, externalPaymentRef: "psp_tx_6", actor: CLIENT }),
      );
      expect(error.code).toBe("NOT_FOUND");
      expect(await snapshot(order.id)).toEqual(before);
      expect(before.order).toBe("pending");
    });
  });
}
