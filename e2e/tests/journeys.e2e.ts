/**
 * End-to-end journeys across the whole system (kiosk UI, payment worker, Alipay sandbox,
 * bridge with virtual devices, staff console, booking API) that the other suites do not cover:
 *  - the kiosk server is killed hard while a payment waits for the buyer's PIN, and the
 *    payment still ends PAID exactly once, with one sandbox trade, and the kiosk reaches success;
 *  - a booking system books through the REST API (idempotent) and staff find the booking;
 *  - a visitor's tickets reach the (virtual) printer with their QR payloads, once each.
 * Each journey logs `journey <name>: <ms> ms` and saves artifacts/screens/journey-*.png.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { E2E, demoCredentials } from "../support/system.ts";
import {
  expectScreen,
  kioskCredential,
  skipWhenDependencyMissing,
  openKiosk,
  printerJobs,
  scan,
  scenarioCode,
  SCREENS_DIR,
  setPaper,
  walkToScan,
  type PrinterJob,
} from "./kiosk-support.ts";
import { adminCookie, firstAttractionId, mutate, query, signInUi, testIp } from "./staff-support.ts";

test.describe.configure({ mode: "serial" });
test.use({ viewport: { width: 1080, height: 1600 } });

let credential = "";
test.beforeAll(async () => {
  await skipWhenDependencyMissing("journeys");
  credential = await kioskCredential();
  await setPaper("ok");
});

// ------------------------------------------------------------------ helpers

interface SandboxTrade {
  tradeNo: string;
  outTradeNo: string;
  buyerCode: string;
  status: string;
}

async function sandboxTradesFor(paymentCode: string): Promise<SandboxTrade[]> {
  const r = await fetch(`${E2E.sandboxUrl}/sandbox/trades`);
  expect(r.ok).toBe(true);
  return ((await r.json()) as { trades: SandboxTrade[] }).trades.filter((t) => t.buyerCode === paymentCode);
}

/** The one sandbox trade a payment code produced (waits until it exists). */
async function theTradeFor(paymentCode: string): Promise<SandboxTrade> {
  await expect
    .poll(async () => (await sandboxTradesFor(paymentCode)).length, {
      timeout: 20_000,
      message: "the sandbox trade for the code",
    })
    .toBe(1);
  return (await sandboxTradesFor(paymentCode))[0]!;
}

interface TransactionRow {
  id: string;
  orderId: string;
  state: string;
  partnerTransId: string;
}
interface PaymentView {
  id: string;
  orderId: string;
  state: string;
  tickets: { id: string; code: string; state: string }[];
}

interface PaymentEventRow {
  type: string;
  actorType: string;
  actorId: string | null;
  toState: string;
}
async function paymentEvents(admin: string, paymentId: string): Promise<PaymentEventRow[]> {
  return query<PaymentEventRow[]>("payment.events", { paymentId }, { cookie: admin });
}

async function transactions(admin: string, text: string): Promise<TransactionRow[]> {
  return (await query<{ items: TransactionRow[] }>("console.transactions", { text, limit: 50 }, { cookie: admin }))
    .items;
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENS_DIR, `journey-${name}.png`), fullPage: true, animations: "disabled" });
}

function report(name: string, startedAt: number): void {
  console.log(`journey ${name}: ${Date.now() - startedAt} ms`);
}

async function kioskUptimeSec(): Promise<number | null> {
  try {
    const r = await fetch(`${E2E.kioskUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
    return r.ok ? ((await r.json()) as { uptimeSec: number }).uptimeSec : null;
  } catch {
    return null;
  }
}

async function isReady(): Promise<boolean> {
  try {
    return (await fetch(`${E2E.kioskUrl}/readyz`, { signal: AbortSignal.timeout(2_000) })).status === 200;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------ 1. server restart mid-payment

test("restart mid-payment: the kiosk server is killed during the PIN wait and the payment still ends PAID once", async ({
  page,
}) => {
  test.setTimeout(120_000);
  const startedAt = Date.now();
  await openKiosk(page, credential);
  await walkToScan(page, "en");
  const code = scenarioCode("0011"); // PIN wait, the buyer never confirms by themselves
  await scan(code);
  await expectScreen(page, "paying");
  await expect(page.locator("[data-phase=waiting_pin]")).toBeVisible({ timeout: 15_000 });
  const trade = await theTradeFor(code);
  expect(trade.status).toBe("WAIT_BUYER_PAY");
  await shoot(page, "restart-1-waiting-pin");
  const admin = await adminCookie();
  const [waiting] = await transactions(admin, trade.outTradeNo);
  expect(waiting?.state).toBe("POLLING");
  const workersBefore = new Set(
    (await paymentEvents(admin, waiting!.id)).filter((e) => e.actorType === "system").map((e) => e.actorId),
  );

  // Kill the kiosk server the hard way (the supervisor SIGKILLs it and starts a new one on the same database).
  const supervisorPid = Number(readFileSync(join(E2E.dataDir, "start.pid"), "utf8").trim());
  const signalledAt = Date.now();
  process.kill(supervisorPid, "SIGUSR2");
  // A new server process: ready, and up for less time than has passed since the signal.
  await expect
    .poll(
      async () => {
        const uptime = await kioskUptimeSec();
        return uptime !== null && uptime <= (Date.now() - signalledAt) / 1000 + 1 && (await isReady());
      },
      { timeout: 60_000, intervals: [250], message: "a new kiosk server answering /readyz" },
    )
    .toBe(true);
  const restartMs = Date.now() - signalledAt;

  // Nothing was decided while the server was down: the buyer has not confirmed yet.
  expect((await sandboxTradesFor(code)).map((t) => t.status)).toEqual(["WAIT_BUYER_PAY"]);
  // The new process's worker resumed the payment by itself: it queries the gateway again
  // (proven before the buyer confirms, so no notification can stand in for the polling).
  await expect
    .poll(
      async () =>
        (await paymentEvents(admin, waiting!.id)).some(
          (e) => e.type === "query_result" && e.actorType === "system" && !workersBefore.has(e.actorId),
        ),
      {
        timeout: 20_000,
        message: "a query by the restarted server's worker",
      },
    )
    .toBe(true);
  const confirm = await fetch(`${E2E.sandboxUrl}/sandbox/trades/${trade.tradeNo}/confirm`, { method: "POST" });
  expect(confirm.status, await confirm.text()).toBe(200);

  await expectScreen(page, "success", 45_000);
  await shoot(page, "restart-2-success");

  let payment: TransactionRow | undefined;
  await expect
    .poll(
      async () => {
        const rows = await transactions(admin, trade.outTradeNo);
        payment = rows[0];
        return rows.map((r) => r.state);
      },
      { timeout: 20_000 },
    )
    .toEqual(["PAID"]);
  // Exactly one payment for the order, PAID, with its tickets; exactly one trade at the sandbox, paid.
  expect((await transactions(admin, payment!.orderId)).map((r) => [r.id, r.state])).toEqual([[payment!.id, "PAID"]]);
  const view = await query<PaymentView>("payment.byId", { paymentId: payment!.id }, { cookie: admin });
  expect(view.state).toBe("PAID");
  expect(view.tickets.length).toBe(2); // walkToScan buys one timed adult ticket and one day pass
  expect(view.tickets.every((t) => t.code.length > 0)).toBe(true);
  const trades = await sandboxTradesFor(code);
  expect(trades.map((t) => [t.outTradeNo, t.status])).toEqual([[payment!.partnerTransId, "TRADE_SUCCESS"]]);

  await expectScreen(page, "done", 30_000);
  console.log(`journey restart-mid-payment: server back after ${restartMs} ms`);
  report("restart-mid-payment", startedAt);
});

// ------------------------------------------------------------------ 2. booking API → staff console

interface Slot {
  id: string;
  kind: "day" | "timed";
  available: number;
}
interface Booking {
  id: string;
  state: string;
  totalMinor: number;
}

test("booking API: a booking system books (idempotently) over REST and the staff console shows the booking", async ({
  page,
}) => {
  test.setTimeout(60_000);
  const startedAt = Date.now();
  const admin = await adminCookie();
  const attractionId = await firstAttractionId(admin);
  const { key } = await mutate<{ key: string }>(
    "staff.createApiKey",
    {
      attractionId,
      name: `E2E booking system ${Date.now()}`,
      scopes: ["catalog:read", "bookings:write", "bookings:read", "tickets:read"],
    },
    { cookie: admin },
  );
  expect(key.length).toBeGreaterThan(16);

  // From here on: a plain HTTP client with the API key (its own client address).
  const ip = testIp();
  const rest = async (
    method: "GET" | "POST",
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> => {
    const r = await fetch(`${E2E.kioskUrl}/api/rest${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "x-forwarded-for": ip },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: r.status, json: await r.json() };
  };
  const slotsAnswer = await rest("GET", "/catalog/slots?kind=day");
  expect(slotsAnswer.status, JSON.stringify(slotsAnswer.json)).toBe(200);
  const slots = (Array.isArray(slotsAnswer.json) ? slotsAnswer.json : []) as Slot[];
  const slot = slots.find((s) => s.kind === "day" && s.available >= 2);
  expect(slot, "a day slot with room for two").toBeTruthy();
  // The booking system is configured with the attraction's ticket types (the REST face has no ticket-type list).
  const catalog = await query<{ ticketTypes: { id: string; validityKind: string; priceMinor: number }[] }>(
    "catalog.get",
    { attractionId },
    { cookie: admin },
  );
  const type = catalog.ticketTypes.find((t) => t.validityKind === "date" && t.priceMinor > 0);
  expect(type, "a paid day ticket type").toBeTruthy();

  const externalRef = `E2E-BKG-${randomBytes(5).toString("hex")}`;
  const request = {
    idempotencyKey: `e2e-${randomBytes(12).toString("hex")}`,
    externalRef,
    lines: [{ ticketTypeId: type!.id, slotId: slot!.id, quantity: 2 }],
  };
  const first = await rest("POST", "/bookings", request);
  expect(first.status, JSON.stringify(first.json)).toBe(200);
  const booking = first.json as Booking;
  expect(booking.id).toBeTruthy();
  expect(booking.state).toBe("pending");
  expect(booking.totalMinor).toBe(2 * type!.priceMinor);
  // A retried request (same idempotency key, same body) gets the same answer and creates nothing new.
  const replay = await rest("POST", "/bookings", request);
  expect(replay.status).toBe(200);
  expect(replay.json).toEqual(first.json);
  const got = await rest("GET", `/bookings/${booking.id}`);
  expect(got.status).toBe(200);
  expect((got.json as Booking).state).toBe("pending");
  const apiMs = Date.now() - startedAt;

  // Staff find it in the console.
  const demo = demoCredentials();
  await signInUi(page, { email: demo.adminEmail, password: demo.adminPassword });
  await page.goto("/staff/payments");
  const search = page.getByRole("search", { name: "Search bookings" });
  await search.getByLabel("Order id or booking reference").fill(externalRef);
  await search.getByRole("button", { name: "Search bookings" }).click();
  const table = page.getByRole("table", { name: /Bookings from booking systems/ });
  await expect(table.getByRole("row")).toHaveCount(2, { timeout: 15_000 }); // header + our booking
  const row = table.getByRole("row").nth(1);
  await expect(row).toContainText(booking.id);
  await expect(row).toContainText(externalRef);
  await expect(row).toContainText("pending");
  await expect(row).toContainText("E2E booking system");
  await row.scrollIntoViewIfNeeded();
  await shoot(page, "booking-staff-console");

  // Release the held places (the booking system cancels; idempotent as well).
  const cancel = await rest("POST", `/bookings/${booking.id}/cancel`, {
    idempotencyKey: `e2e-${randomBytes(12).toString("hex")}`,
  });
  expect(cancel.status, JSON.stringify(cancel.json)).toBe(200);
  console.log(`journey booking-api: API part ${apiMs} ms`);
  report("booking-api-to-staff-console", startedAt);
});

// ------------------------------------------------------------------ 3. tickets printed

test("printing: a visitor buys tickets and the printer receives each ticket's QR payload once", async ({ page }) => {
  test.setTimeout(90_000);
  const startedAt = Date.now();
  const before = (await printerJobs()).reduce((max, j) => Math.max(max, j.seq), 0);
  await openKiosk(page, credential);
  await walkToScan(page, "en");
  const code = scenarioCode("0000");
  await scan(code);
  await expectScreen(page, "success", 20_000);
  const trade = await theTradeFor(code);
  const admin = await adminCookie();
  let paymentId = "";
  await expect
    .poll(
      async () => {
        const rows = await transactions(admin, trade.outTradeNo);
        paymentId = rows[0]?.id ?? "";
        return rows.map((r) => r.state);
      },
      { timeout: 20_000 },
    )
    .toEqual(["PAID"]);
  const view = await query<PaymentView>("payment.byId", { paymentId }, { cookie: admin });
  expect(view.tickets.length).toBe(2);
  await expectScreen(page, "done", 40_000);
  await shoot(page, "printing-done");

  const qrLines = (jobs: PrinterJob[]) =>
    jobs.flatMap((j) => [...j.text.matchAll(/\[QR ([^\]]+)\]/g)].map((m) => m[1]!));
  await expect
    .poll(
      async () => {
        const mine = qrLines((await printerJobs()).filter((j) => j.seq > before));
        return view.tickets.map((t) => mine.filter((q) => q === t.code).length);
      },
      { timeout: 15_000, message: "each ticket's QR payload printed exactly once" },
    )
    .toEqual(view.tickets.map(() => 1));
  const jobs = (await printerJobs()).filter((j) => j.seq > before);
  expect(jobs.every((j) => !j.isTruncated)).toBe(true);
  report("tickets-printed", startedAt);
});
