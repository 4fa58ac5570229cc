/**
 * The booking API end to end, as a booking system sees it: a real node:http server on
 * 127.0.0.1:0 in front of the production tRPC fetch handler, and the typed tRPC client
 * (httpBatchLink + superjson) authenticating with an API key created by an admin over
 * the staff procedures.
 */
import type { Server } from "node:http";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  ATTRACTION,
  createHarness,
  providersFor,
  type Harness,
} from "./__tests__/platform-harness.ts";
import { serveTrpc } from "./__tests__/serve-http.ts";
import type { AppRouter } from "./trpc/root.ts";

const PG_URL = process.env.TEST_DATABASE_URL;
const ADULT = "tt_skyline_adult";
const CHILD = "tt_skyline_child";

function client(baseUrl: string, headers: Record<string, string>) {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${baseUrl}/api/trpc`, transformer: superjson, headers })],
  });
}

async function trpcCode(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  return (error as TRPCClientError<AppRouter>).data?.code;
}

for (const provider of providersFor(PG_URL)) {
  describe(`booking API over HTTP with the typed client on ${provider}`, () => {
    let h: Harness;
    let server: Server;
    let baseUrl: string;
    let api: ReturnType<typeof client>;
    let apiClientId: string;

    beforeAll(async () => {
      h = await createHarness(provider, { pgUrl: PG_URL, withTicketKeys: true });
      ({ server, baseUrl } = await serveTrpc(h));

      // An admin signs in over HTTP and creates the booking system's API key with the staff procedures.
      const login = await fetch(`${baseUrl}/api/trpc/auth.login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } }),
      });
      expect(login.status).toBe(200);
      const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
      const staff = client(baseUrl, { cookie });
      const created = await staff.staff.createApiKey.mutate({
        attractionId: ATTRACTION,
        name: "Partner booking system",
        scopes: ["catalog:read", "bookings:write", "bookings:read", "tickets:read", "tickets:redeem", "events:read"],
      });
      expect(created.key).toMatch(/^kak_/);
      apiClientId = created.client.id;
      api = client(baseUrl, { authorization: `Bearer ${created.key}` });
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await h?.close();
    });

    it("reads availability, books idempotently, confirms, fetches and redeems tickets, cancels", async () => {
      const slots = await api.catalog.slots.query({ kind: "timed" });
      const slot = slots.find((s) => s.available >= 10);
      expect(slot).toBeDefined();
      expect(slot!.startsAt).toBeInstanceOf(Date); // superjson end to end

      const lines = [
        { ticketTypeId: ADULT, slotId: slot!.id, quantity: 2 },
        { ticketTypeId: CHILD, slotId: slot!.id, quantity: 1 },
      ];
      const booking = await api.booking.create.mutate({
        idempotencyKey: "create-0001-abcdef",
        lines,
        externalRef: "partner-ord-1",
      });
      expect(booking.state).toBe("pending");
      expect(booking.channel).toBe("booking");
      expect(booking.apiClientId).toBe(apiClientId);
      const replay = await api.booking.create.mutate({
        idempotencyKey: "create-0001-abcdef",
        lines,
        externalRef: "partner-ord-1",
      });
      expect(replay).toEqual(booking);
      const held = (await api.catalog.slots.query({ kind: "timed" })).find((s) => s.id === slot!.id)!;
      expect(held.available).toBe(slot!.available - 3); // the replay held nothing more

      const confirmed = await api.booking.confirm.mutate({
        idempotencyKey: "confirm-0001-abcdef",
        orderId: booking.id,
        externalPaymentRef: "psp_8812",
      });
      expect(confirmed.order.state).toBe("paid");
      expect(confirmed.tickets).toHaveLength(3);
      const confirmReplay = await api.booking.confirm.mutate({
        idempotencyKey: "confirm-0001-abcdef",
        orderId: booking.id,
        externalPaymentRef: "psp_8812",
      });
      expect(confirmReplay).toEqual(confirmed);
      expect(
        await trpcCode(
          api.booking.confirm.mutate({
            idempotencyKey: "confirm-0002-abcdef",
            orderId: booking.id,
            externalPaymentRef: "psp_8812",
          }),
        ),
      ).toBe("CONFLICT");

      const sold = (await api.catalog.slots.query({ kind: "timed" })).find((s) => s.id === slot!.id)!;
      expect(sold.available).toBe(slot!.available - 3);
      expect((await api.booking.get.query({ orderId: booking.id })).state).toBe("paid");

      const tickets = await api.booking.tickets.query({ orderId: booking.id });
      expect(tickets.map((t) => t.id).sort()).toEqual(confirmed.tickets.map((t) => t.id).sort());
      const first = await api.booking.redeem.mutate({ code: tickets[0]!.code, gate: "north" });
      expect(first.ok).toBe(true);
      const second = await api.booking.redeem.mutate({ code: tickets[0]!.code, gate: "north" });
      expect(second).toMatchObject({ ok: false, reason: "already_used" });

      // The sale reaches the booking system's event feed with its payment reference.
      await vi.waitFor(async () => {
        const page = await api.events.list.query({ afterId: "0", types: ["sale.completed"] });
        const sale = page.events.find((e) => e.subject.id === booking.id);
        expect(sale?.data).toMatchObject({ channel: "booking", externalPaymentRef: "psp_8812", apiClientId });
      });

      const other = await api.booking.create.mutate({
        idempotencyKey: "create-0002-abcdef",
        lines: [{ ticketTypeId: ADULT, slotId: slot!.id, quantity: 4 }],
      });
      expect((await api.catalog.slots.query({ kind: "timed" })).find((s) => s.id === slot!.id)!.available).toBe(
        slot!.available - 7,
      );
      const cancelled = await api.booking.cancel.mutate({ idempotencyKey: "cancel-0002-abcdef", orderId: other.id });
      expect(cancelled.state).toBe("cancelled");
      expect((await api.catalog.slots.query({ kind: "timed" })).find((s) => s.id === slot!.id)!.available).toBe(
        slot!.available - 3,
      );
      expect(
        await trpcCode(
          api.booking.confirm.mutate({
            idempotencyKey: "confirm-0003-abcdef",
            orderId: other.id,
            externalPaymentRef: "psp_late",
          }),
        ),
      ).toBe("CONFLICT");
      expect(await api.booking.tickets.query({ orderId: other.id })).toEqual([]);
    });

    it("another client cannot see or confirm this client's booking", async () => {
      const slot = (await api.catalog.slots.query({ kind: "timed" })).find((s) => s.available >= 1)!;
      const booking = await api.booking.create.mutate({
        idempotencyKey: "create-0003-abcdef",
        lines: [{ ticketTypeId: ADULT, slotId: slot.id, quantity: 1 }],
      });
      const otherKey = await h.apiKey(["bookings:write", "bookings:read"]);
      const intruder = client(baseUrl, { authorization: `Bearer ${otherKey.key}` });
      expect(
        await trpcCode(
          intruder.booking.confirm.mutate({
            idempotencyKey: "confirm-0004-abcdef",
            orderId: booking.id,
            externalPaymentRef: "psp_x",
          }),
        ),
      ).toBe("NOT_FOUND");
      expect((await api.booking.get.query({ orderId: booking.id })).state).toBe("pending");
    });
  });
}
