/**
 * A partial refund names the tickets it voids on its own Refund row (`ticketIds`), written
 * when the refund is requested and read when it succeeds — not searched for in the event log,
 * which is an audit record. Over real HTTP to the sandbox; the refund is confirmed later
 * (OpenAPI `fund_change=N`), so the tickets are voided by the worker's transition.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { DbProvider } from "@kiosk/db";
import { code, createHarness, PG_URL, STAFF, type Harness } from "./__tests__/harness.ts";

const providers: { provider: DbProvider; skip: boolean }[] = [
  { provider: "sqlite", skip: false },
  { provider: "postgresql", skip: !PG_URL },
];

for (const { provider, skip } of providers) {
  describe.skipIf(skip)(`refund ticket ids on ${provider}`, () => {
    let h: Harness | undefined;
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });

    it("the Refund row names the tickets, and the confirmed partial refund voids exactly those", async () => {
      h = await createHarness(provider, { protocol: "openapi" });
      const { orderId, paymentId } = await h.buy({ quantity: 2, code: code("refund_delayed", { parameter: 60 }) });
      expect(await h.settle(paymentId)).toBe("PAID");
      const [first, second] = await h.db.db.ticket.findMany({ where: { orderId }, orderBy: { id: "asc" } });
      const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });

      const requested = await h.services.refunds.request({
        paymentId,
        amountMinor: payment.amountMinor / 2,
        reason: "one visitor left",
        ticketIds: [first!.id],
        actor: STAFF,
      });
      expect(requested.paymentState).toBe("REFUNDING");
      const row = await h.db.db.refund.findUniqueOrThrow({ where: { id: requested.refund.id } });
      expect(JSON.parse((row as { ticketIds?: string | null }).ticketIds ?? "null")).toEqual([first!.id]);

      // The event log is an audit record: what it says does not decide which tickets are voided.
      await h.db.db.paymentEvent.updateMany({
        where: { paymentId, type: "refund_requested" },
        data: {
          summary: JSON.stringify({ refund: { partnerRefundId: row.partnerRefundId, ticketIds: [second!.id] } }),
        },
      });
      const acceptedAt = h.clock.now().getTime();
      while (h.clock.now().getTime() < acceptedAt + 300_000) {
        await h.advance(5_000);
        await h.services.worker.tick();
      }
      expect((await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } })).state).toBe("PARTIALLY_REFUNDED");
      const states = await h.db.db.ticket.findMany({ where: { orderId }, orderBy: { id: "asc" } });
      expect(states.map((t) => [t.id, t.state])).toEqual([
        [first!.id, "void"],
        [second!.id, "valid"],
      ]);
    });
  });
}
