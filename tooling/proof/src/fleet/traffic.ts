/**
 * The fleet proof's clients: paired kiosks buying (create order → pay with a sandbox code, some
 * with a PIN wait the workers must query → follow → tickets) and booking systems (create and
 * confirm with idempotency keys), all through the round-robin proxy, until told to stop. A call
 * the fleet could not answer (a server killed mid-request, the database away) is counted and the
 * visitor moves on: whatever it left behind (a hold, a payment) the fleet must finish by itself,
 * and the checker proves it did. Latencies of completed purchases feed the p99.
 */
import { randomUUID } from "node:crypto";
import { scenarioCode } from "@kiosk/alipay-sandbox";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "@kiosk/api/trpc/root.ts";

export const ATTRACTION = "attr_skyline";
export const ADULT = "tt_skyline_adult";
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export type Api = ReturnType<typeof apiClient>;

/** No call waits longer than this (a hung call would stall a simulated visitor for good). */
const CALL_TIMEOUT_MS = 20_000;
const timedFetch: typeof fetch = (input, init) =>
  fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(CALL_TIMEOUT_MS) });

export function apiClient(url: string, headers: Record<string, string> = {}) {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${url}/api/trpc`, transformer: superjson, headers, fetch: timedFetch })],
  });
}

/** A staff client that keeps its session cookie. */
export async function staffClient(url: string, login: { email: string; password: string }): Promise<Api> {
  let cookie = "";
  const client = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${url}/api/trpc`,
        transformer: superjson,
        headers: () => (cookie ? { cookie } : {}),
        fetch: async (input, init) => {
          const response = await timedFetch(input, init);
          const session = response.headers.getSetCookie().find((c) => c.startsWith("kiosk_session="));
          if (session) cookie = session.split(";")[0] as string;
          return response;
        },
      }),
    ],
  });
  await client.auth.login.mutate(login);
  return client;
}

export function codeOf(error: unknown): string {
  if (error instanceof TRPCClientError) {
    const data = (error as TRPCClientError<AppRouter>).data as { code?: string; httpStatus?: number } | undefined;
    return data?.code ?? `HTTP_${(error.meta?.response as Response | undefined)?.status ?? "?"}`;
  }
  return "NETWORK";
}

export interface TrafficTally {
  purchases: number;
  purchaseMs: number[];
  /** Completion times (ms since epoch) of purchases, for recovery times after faults. */
  purchaseDoneAt: number[];
  pinWaits: number;
  bookings: number;
  contestedSoldOut: number;
  /** Calls that failed, by call and code (expected around faults). */
  failures: Record<string, number>;
  /** Purchases whose payment did not end PAID while the client followed it (left to the fleet). */
  leftToFleet: number;
  rateLimited: number;
}

export function newTally(): TrafficTally {
  return {
    purchases: 0,
    purchaseMs: [],
    purchaseDoneAt: [],
    pinWaits: 0,
    bookings: 0,
    contestedSoldOut: 0,
    failures: {},
    leftToFleet: 0,
    rateLimited: 0,
  };
}

export async function runKiosk(input: {
  api: Api;
  slotId: string;
  contestedSlotId: string;
  tally: TrafficTally;
  isStopping: () => boolean;
  serial: () => number;
}): Promise<void> {
  const { api, tally } = input;
  const fail = (call: string, error: unknown) => {
    const key = `${call} ${codeOf(error)}`;
    tally.failures[key] = (tally.failures[key] ?? 0) + 1;
  };
  while (!input.isStopping()) {
    const n = input.serial();
    const isContested = n % 4 === 0;
    const isPinWait = n % 10 === 1;
    const started = performance.now();
    let orderId: string;
    try {
      const order = await api.order.create.mutate({
        lines: [
          { ticketTypeId: ADULT, slotId: isContested ? input.contestedSlotId : input.slotId, quantity: 1 + (n % 2) },
        ],
      });
      orderId = order.id;
    } catch (error) {
      if (isContested && codeOf(error) === "CONFLICT") tally.contestedSoldOut += 1;
      else fail("order.create", error);
      await sleep(200);
      continue;
    }
    const paymentCode = isPinWait
      ? scenarioCode("pin_wait_confirm", { serial: 60_000_000 + n, parameter: 5 })
      : scenarioCode("success", { serial: 20_000_000 + n });
    let payment: { id: string; state: string };
    try {
      payment = await api.payment.start.mutate({ orderId, paymentCode });
    } catch (error) {
      fail("payment.start", error);
      tally.leftToFleet += 1;
      await sleep(200);
      continue;
    }
    if (isPinWait) tally.pinWaits += 1;
    const followUntil = Date.now() + 45_000;
    while (payment.state !== "PAID" && payment.state !== "FAILED" && Date.now() < followUntil) {
      await sleep(250);
      try {
        payment = await api.payment.status.query({ paymentId: payment.id });
      } catch (error) {
        fail("payment.status", error);
      }
    }
    if (payment.state !== "PAID") {
      tally.leftToFleet += 1;
      continue;
    }
    tally.purchases += 1;
    tally.purchaseMs.push(performance.now() - started);
    tally.purchaseDoneAt.push(Date.now());
  }
}

export async function runBookingSystem(input: {
  api: Api;
  slotId: string;
  tally: TrafficTally;
  isStopping: () => boolean;
  serial: () => number;
}): Promise<void> {
  const { api, tally } = input;
  const withRetry = async <T>(call: string, fn: () => Promise<T>): Promise<T | undefined> => {
    for (let attempt = 0; attempt < 40 && !input.isStopping(); attempt++) {
      try {
        return await fn();
      } catch (error) {
        const code = codeOf(error);
        if (code === "TOO_MANY_REQUESTS") tally.rateLimited += 1;
        else {
          const key = `${call} ${code}`;
          tally.failures[key] = (tally.failures[key] ?? 0) + 1;
        }
        if (code === "BAD_REQUEST" || code === "CONFLICT" || code === "FORBIDDEN") return undefined;
        await sleep(300);
      }
    }
    return undefined;
  };
  while (!input.isStopping()) {
    const n = input.serial();
    // Same idempotency keys on every retry: a create or confirm is never done twice.
    const createKey = `fleet-create-${randomUUID()}`;
    const order = await withRetry("booking.create", () =>
      api.booking.create.mutate({
        idempotencyKey: createKey,
        lines: [{ ticketTypeId: ADULT, slotId: input.slotId, quantity: 1 + (n % 3) }],
        externalRef: `fleet-${n}`,
      }),
    );
    if (!order) continue;
    const confirm = {
      idempotencyKey: `fleet-confirm-${randomUUID()}`,
      orderId: order.id,
      externalPaymentRef: `psp-${n}`,
    };
    const confirmed = await withRetry("booking.confirm", () => api.booking.confirm.mutate(confirm));
    if (confirmed) tally.bookings += 1;
    await sleep(100);
  }
}
