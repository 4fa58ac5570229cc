/**
 * Issue 18: the partner payment calls over tRPC for TypeScript vendors (`terminal.payments.*`),
 * authenticated by the terminal key, through a typed @trpc/client over real HTTP against the
 * sandbox. The same service functions as the REST face: a payment made over one is the same
 * payment over the other, idempotency keys included.
 */
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providersFor } from "../__tests__/platform-harness.ts";
import { code, PG_URL } from "../services/__tests__/harness.ts";
import type { AppRouter } from "../trpc/root.ts";
import { startPartnerFixture, type PartnerFixture } from "./__tests__/partner-fixture.ts";

function terminalClient(baseUrl: string, key: string | null) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${baseUrl}/api/trpc`,
        transformer: superjson,
        headers: key ? { authorization: `Bearer ${key}` } : {},
      }),
    ],
  });
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  return (error as TRPCClientError<AppRouter>).data?.code;
}

for (const provider of providersFor(PG_URL)) {
  describe(`terminal calls over tRPC on ${provider}`, () => {
    let f: PartnerFixture;
    let pos: ReturnType<typeof terminalClient>;
    beforeAll(async () => {
      f = await startPartnerFixture(provider);
      pos = terminalClient(f.baseUrl, f.key);
    });
    afterAll(async () => {
      await f?.close();
    });

    const sale = (paymentCode: string, amount: number, idempotencyKey: string) => ({
      ...f.body(paymentCode, amount),
      idempotencyKey,
    });

    it("pays, replays, gets, lists, prints and refunds through the typed client, the same payments as REST", async () => {
      const input = sale(code("success"), 880, "trpc-sale-1");
      const first = await pos.terminal.payments.create.mutate(input);
      expect(first.isReplay).toBe(false);
      expect(first.payment).toMatchObject({ status: "succeeded", amount: 880, currency: "SGD" });
      const again = await pos.terminal.payments.create.mutate(input);
      expect(again).toMatchObject({ isReplay: true, payment: { id: first.payment.id } });
      expect(await codeOf(pos.terminal.payments.create.mutate({ ...input, amount: 881 }))).toBe("CONFLICT");
      // REST sees the same payment, and the same key there is a replay of it.
      const { idempotencyKey: _key, ...body } = input;
      const viaRest = await f.call("POST", "/payments", { body, idem: "trpc-sale-1" });
      expect(viaRest.status).toBe(200);
      expect(viaRest.body.id).toBe(first.payment.id);

      const got = await pos.terminal.payments.get.query({ id: first.payment.id });
      expect(got).toMatchObject({ id: first.payment.id, status: "succeeded" });
      const list = await pos.terminal.payments.list.query({ date: "2026-03-01" });
      expect(list.payments.map((p) => p.id)).toContain(first.payment.id);
      const receipt = await pos.terminal.payments.receipt.query({ id: first.payment.id });
      expect(receipt.lines.join("\n")).toContain("8.80 SGD");

      const refunded = await f.until(
        pos.terminal.payments.refund.mutate({ id: first.payment.id, idempotencyKey: "trpc-rf-1", amount: 300 }),
      );
      expect(refunded.refund.amountMinor).toBe(300);
      const replayed = await pos.terminal.payments.refund.mutate({
        id: first.payment.id,
        idempotencyKey: "trpc-rf-1",
        amount: 300,
      });
      expect(replayed.refund.id).toBe(refunded.refund.id);
    });

    it("waits for a PIN wait, and cancels when the buyer walks away", async () => {
      const pin = await pos.terminal.payments.create.mutate(
        sale(code("pin_wait_confirm", { parameter: 3 }), 450, "trpc-pin"),
      );
      expect(pin.payment.status).toBe("processing");
      const done = await f.until(pos.terminal.payments.get.query({ id: pin.payment.id, wait: 20 }));
      expect(done.status).toBe("succeeded");

      const walk = await pos.terminal.payments.create.mutate(sale(code("pin_wait_never"), 450, "trpc-walk"));
      await f.until(pos.terminal.payments.cancel.mutate({ id: walk.payment.id }));
      const cancelled = await f.until(pos.terminal.payments.get.query({ id: walk.payment.id, wait: 20 }));
      expect(cancelled.status).toBe("cancelled");
      expect(await codeOf(pos.terminal.payments.receipt.query({ id: walk.payment.id }))).toBe("CONFLICT");
    });

    it("refuses no key, a wrong key, a staff session and another terminal's payment", async () => {
      const paid = await pos.terminal.payments.create.mutate(sale(code("success"), 120, "trpc-own"));
      expect(await codeOf(terminalClient(f.baseUrl, null).terminal.payments.get.query({ id: paid.payment.id }))).toBe(
        "UNAUTHORIZED",
      );
      expect(
        await codeOf(
          terminalClient(f.baseUrl, `${f.key.slice(0, -4)}AAAA`).terminal.payments.get.query({ id: paid.payment.id }),
        ),
      ).toBe("UNAUTHORIZED");
      const asStaff = await f.staff("admin", "terminal.payments.get", { id: paid.payment.id }, "query");
      expect(asStaff.error).toBe("UNAUTHORIZED");
      const cafe = terminalClient(f.baseUrl, f.otherKey);
      expect(await codeOf(cafe.terminal.payments.get.query({ id: paid.payment.id }))).toBe("NOT_FOUND");
      expect(await codeOf(pos.terminal.payments.create.mutate({ ...sale(code("success"), 0, "trpc-bad") }))).toBe(
        "BAD_REQUEST",
      );
    });
  });
}
