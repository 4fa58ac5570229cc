/**
 * Issue 18: what staff do in the console to a terminal's payment reaches the terminal as the
 * same signed webhook the API's own calls produce: a refund, a NEEDS_ATTENTION found by a
 * staff query after the buyer walked away, and its cancel-now resolution. Console calls are
 * tRPC over real HTTP with a staff session; the gateway is the sandbox over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providersFor } from "../__tests__/platform-harness.ts";
import { code, PG_URL } from "../services/__tests__/harness.ts";
import { startPartnerFixture, type PartnerFixture } from "./__tests__/partner-fixture.ts";
import { verifyWebhook } from "./signature.ts";

for (const provider of providersFor(PG_URL)) {
  describe(`webhooks after console actions on ${provider}`, () => {
    let f: PartnerFixture;
    beforeAll(async () => {
      f = await startPartnerFixture(provider);
    });
    afterAll(async () => {
      await f?.close();
    });

    /** Lets the outbox settle: the payment's last event is delivered and the row stops being watched. */
    async function settleOutbox(): Promise<void> {
      for (let i = 0; i < 3; i++) await f.step(15_000);
    }

    function checkSigned(id: string): void {
      const deliveries = f.received.filter((r) => r.body.includes(id));
      const nowSeconds = Math.floor(f.h.clock.now().getTime() / 1000);
      for (const d of deliveries)
        expect(
          verifyWebhook({
            secret: f.webhookSecret,
            header: String(d.headers["kiosk-signature"]),
            body: d.body,
            nowSeconds,
            toleranceSeconds: 3_600,
          }).ok,
        ).toBe(true);
    }

    it("sends a webhook for a refund made by staff in the console, as for one made through the API", async () => {
      const paid = await f.call("POST", "/payments", { body: f.body(code("success"), 2000), idem: "cw-refund" });
      expect(paid.body.status).toBe("succeeded");
      await settleOutbox();
      expect(f.hooksFor(paid.body.id).map((e) => e.data.payment.status)).toEqual(["succeeded"]);

      const refunded = await f.until(
        f.staff("supervisor", "console.refund", {
          paymentId: paid.body.paymentId,
          amountMinor: 500,
          reason: "mug was chipped",
        }),
      );
      expect(refunded.error).toBeNull();
      await settleOutbox();
      const events = f.hooksFor(paid.body.id);
      expect(events.map((e) => e.data.payment.status)).toEqual(["succeeded", "partially_refunded"]);
      expect(events.at(-1)!.data.payment).toMatchObject({ refundedAmount: 500, amount: 2000 });
      checkSigned(paid.body.id);
      // The API's own refund of the rest after it: one more event.
      await f.until(f.call("POST", `/payments/${paid.body.id}/refunds`, { body: {}, idem: "cw-refund-rest" }));
      await settleOutbox();
      expect(f.hooksFor(paid.body.id).map((e) => e.data.payment.status)).toEqual([
        "succeeded",
        "partially_refunded",
        "refunded",
      ]);
    });

    it("sends a webhook when a staff query finds a cancelled payment charged after all, and when staff cancel it", async () => {
      const created = await f.call("POST", "/payments", {
        body: f.body(code("unknown_late_paid", { parameter: 300 }), 900),
        idem: "cw-late",
      });
      expect(created.body.status).toBe("processing");
      await f.until(f.call("POST", `/payments/${created.body.id}/cancel`));
      const cancelled = await f.until(f.call("GET", `/payments/${created.body.id}?wait=20`));
      expect(cancelled.body.status).toBe("cancelled");
      await settleOutbox();
      expect(f.hooksFor(created.body.id).map((e) => e.data.payment.status)).toEqual(["cancelled"]);

      for (let i = 0; i < 10; i++) await f.step(30_000); // the pay reaches Alipay's ledger after all
      const query = await f.staff<{ payment: { state: string } }>("supervisor", "console.attentionQuery", {
        paymentId: created.body.paymentId,
        reason: "terminal says the buyer was charged",
      });
      expect(query.error).toBeNull();
      expect(query.data.payment.state).toBe("NEEDS_ATTENTION");
      await settleOutbox();
      expect(f.hooksFor(created.body.id).map((e) => e.data.payment.status)).toEqual(["cancelled", "needs_attention"]);

      const resolved = await f.staff<{ isResolved: boolean }>("supervisor", "console.attentionCancel", {
        paymentId: created.body.paymentId,
        reason: "reverse the late charge",
      });
      expect(resolved.data.isResolved).toBe(true);
      await settleOutbox();
      expect(f.hooksFor(created.body.id).map((e) => e.data.payment.status)).toEqual([
        "cancelled",
        "needs_attention",
        "cancelled",
      ]);
      checkSigned(created.body.id);
    });
  });
}
