/**
 * The machine state JSON is the only state (machineOf rebuilds nothing from columns), so the
 * migration 20261205140000_refund_ticket_ids gives rows written without one the state the
 * server used to rebuild, and gives refunds requested before the `ticketIds` column the
 * tickets their refund_requested event named. Runs the real migration file on rows made old.
 */
import { afterEach, describe, expect, it } from "vitest";
import { migrate, type DbProvider } from "@kiosk/db";
import { code, createHarness, PG_URL, STAFF, type Harness } from "./__tests__/harness.ts";
import { CorruptPaymentState, machineOf } from "./payment-rows.ts";

const providers: { provider: DbProvider; skip: boolean }[] = [
  { provider: "sqlite", skip: false },
  { provider: "postgresql", skip: !PG_URL },
];
const MIGRATION = "20261205140000_refund_ticket_ids";

for (const { provider, skip } of providers) {
  describe.skipIf(skip)(`machine state and refund ticket migration on ${provider}`, () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it("rebuilds the machine state of rows written without one, and moves refund ticket ids onto the row", async () => {
      h = await createHarness(provider, { protocol: "openapi" });
      const db = h.db.db;
      const paid = await h.buy({ quantity: 2 });
      expect(await h.settle(paid.paymentId)).toBe("PAID");
      const refunding = await h.buy({ quantity: 2, code: code("refund_delayed", { parameter: 600 }) });
      expect(await h.settle(refunding.paymentId)).toBe("PAID");
      const [ticket] = await db.ticket.findMany({ where: { orderId: refunding.orderId }, orderBy: { id: "asc" } });
      const amount = (await db.payment.findUniqueOrThrow({ where: { id: refunding.paymentId } })).amountMinor / 2;
      const requested = await h.services.refunds.request({
        paymentId: refunding.paymentId,
        amountMinor: amount,
        reason: "one visitor left",
        ticketIds: [ticket!.id],
        actor: STAFF,
      });
      expect(requested.paymentState).toBe("REFUNDING");
      const paidBefore = await db.payment.findUniqueOrThrow({ where: { id: paid.paymentId } });

      // Make the rows old: no machine state, no ticketIds column; the migration not yet applied.
      await db.payment.updateMany({ data: { machineState: "{}" } });
      expect(() => machineOf({ ...paidBefore, machineState: "{}" })).toThrow(CorruptPaymentState);
      await db.$executeRawUnsafe(`ALTER TABLE "Refund" DROP COLUMN "ticketIds"`);
      await db.$executeRawUnsafe(`DELETE FROM "_prisma_migrations" WHERE "migration_name" = '${MIGRATION}'`);
      expect(await migrate(h.db)).toEqual([MIGRATION]);

      const after = await db.payment.findUniqueOrThrow({ where: { id: paid.paymentId } });
      expect(machineOf(after)).toMatchObject({
        state: "PAID",
        partnerTransId: paidBefore.partnerTransId,
        amountMinor: paidBefore.amountMinor,
        currency: paidBefore.currency,
        deadlineAt: paidBefore.deadlineAt.getTime(),
        createdAt: paidBefore.createdAt.getTime(),
        hasIssuedTickets: true,
        paidAt: paidBefore.paidAt!.getTime(),
        alipayTransId: paidBefore.alipayTransId,
        nextActionAt: null,
      });
      // A refund in flight cannot be rebuilt: a person looks.
      const stuck = await db.payment.findUniqueOrThrow({ where: { id: refunding.paymentId } });
      expect(stuck).toMatchObject({ state: "NEEDS_ATTENTION", nextActionAt: null });
      expect(machineOf(stuck)).toMatchObject({ state: "NEEDS_ATTENTION", previousState: "REFUNDING" });
      const refund = await db.refund.findUniqueOrThrow({ where: { id: requested.refund.id } });
      expect(JSON.parse(refund.ticketIds!)).toEqual([ticket!.id]);
    });
  });
}
