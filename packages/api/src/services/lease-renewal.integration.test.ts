/**
 * Issue 16: a worker's lease is renewed while it drives. A drive runs several gateway calls in a
 * row (each may take up to its timeout); without renewal the 30 s lease runs out under a live
 * drive and a second instance claims and acts on the same payment. Slow gateway calls are
 * simulated by moving the fake clock inside the call; the sandbox answers over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbProvider } from "@kiosk/db";
import { code, createAlipay, createHarness, PG_URL, TEST_PAY_REQUEST_KEY, type Harness } from "./__tests__/harness.ts";
import { createMoneyServices } from "./index.ts";
import { memoryTicketKeys } from "./ticket-keys.ts";

const providers: { provider: DbProvider; skip: boolean }[] = [
  { provider: "sqlite", skip: false },
  { provider: "postgresql", skip: !PG_URL },
];

for (const { provider, skip } of providers) {
  describe.skipIf(skip)(`lease renewal on ${provider}`, () => {
    let h: Harness;
    beforeAll(async () => {
      // The code is kept long enough for the resend, so one drive makes two calls: query, then the resend.
      h = await createHarness(provider, { policy: { payCodeHoldMs: 50_000 } });
    });
    afterAll(async () => {
      await h?.close();
    });

    it("keeps a 30 s lease alive across slow gateway calls, so no second instance can claim the payment", async () => {
      // SYSTEM_ERROR without a trade: the worker queries (not found), then resends the sealed pay.
      const { paymentId, state } = await h.buy({ code: code("system_error_no_trade") });
      expect(state).toBe("POLLING");
      const gateway = createAlipay({ gatewayUrl: h.sandbox.gatewayUrl, clock: h.clock });
      const intruderClaims: boolean[] = [];
      let calls = 0;
      const slowly = async <T>(call: () => Promise<T>): Promise<T> => {
        calls += 1;
        h.clock.advance(20_000); // a call that takes 20 s
        // Another instance's worker looks at the payment while this call is out.
        intruderClaims.push(await h.services.payments.claim(paymentId, "intruder:worker", { isDueRequired: false }));
        return call();
      };
      const slow = createMoneyServices({
        db: h.db.db,
        provider,
        clock: h.clock,
        instanceId: "slow",
        ticketKeys: memoryTicketKeys(h.ticketKeyPems),
        policy: { payCodeHoldMs: 50_000 },
        payRequestKey: TEST_PAY_REQUEST_KEY,
        alipay: {
          ...gateway,
          query: (input, options) => slowly(() => gateway.query(input, options)),
          sendPay: (signed, options) => slowly(() => gateway.sendPay(signed, options)),
          cancel: (input, options) => slowly(() => gateway.cancel(input, options)),
        },
      });
      h.clock.advance(4_000);
      const owner = "slow:worker";
      expect(await slow.payments.claim(paymentId, owner, { isDueRequired: true })).toBe(true);
      await slow.payments.drive(paymentId, owner);
      expect(calls).toBe(2);
      expect(intruderClaims).toEqual([false, false]);
      const row = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
      expect(row).toMatchObject({ state: "PAID", leaseOwner: null });
      await slow.worker.stop();
    });
  });
}
