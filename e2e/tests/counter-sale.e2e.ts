/**
 * Counter sale in the staff console: a cashier opens a shift, sells with a typed code
 * (declined, then instant success) and with a code scanned by the bridge's virtual scanner
 * (PIN wait), gets printed tickets and QR codes, and closes the shift; the till's totals
 * are checked against the sandbox's own trade records (operator API). A viewer is refused.
 * Screens: artifacts/screens/counter-*.png (axe-checked).
 */
import { expect, test, type Page } from "@playwright/test";
import { E2E } from "../support/system.ts";
import {
  BRIDGE_URL,
  checkScreen,
  expectSeen,
  skipWhenDependencyMissing,
  recordStates,
  scan,
  scenarioCode,
  setPaper,
} from "./kiosk-support.ts";
import {
  adminCookie,
  createUser,
  loginCookie,
  mutate,
  query,
  signInUi,
  TrpcError,
  type TestUser,
} from "./staff-support.ts";

test.describe.configure({ mode: "serial" });
test.use({ viewport: { width: 820, height: 1180 } });

const TICKET = "Flexi day pass";
let cashier: TestUser;
let viewer: TestUser;

test.beforeAll(async () => {
  await skipWhenDependencyMissing("counter e2e");
  const admin = await adminCookie();
  cashier = await createUser(admin, "cashier");
  viewer = await createUser(admin, "viewer");
  await setPaper("ok");
});

async function openCounter(page: Page, user: TestUser): Promise<void> {
  await signInUi(page, user);
  await page.goto(`/staff/counter?${new URLSearchParams({ bridge: BRIDGE_URL }).toString()}`);
}

async function chooseAndTakePayment(page: Page, quantity: number): Promise<void> {
  const sale = page.getByTestId("counter-sale");
  await expect(sale).toHaveAttribute("data-stage", "choose");
  const more = page.getByRole("button", { name: `One more ${TICKET}` });
  const count = page.getByLabel(`${TICKET} quantity`);
  while (Number(await count.textContent()) < quantity) await more.click();
  await page.getByRole("button", { name: "Take payment" }).click();
  await expect(page.getByTestId("counter-scan")).toBeVisible();
}

test("a cashier opens a shift and sells with a typed code: declined first, then instant success", async ({ page }) => {
  test.setTimeout(90_000);
  await openCounter(page, cashier);
  await page.getByRole("button", { name: "Open shift at Window 1" }).click();
  await expect(page.getByTestId("open-shift")).toBeVisible();
  await expect(page.getByTestId("bridge-state")).toHaveAttribute("data-connection", "ready", { timeout: 15_000 });
  await checkScreen(page, "counter-01-open-shift");

  await chooseAndTakePayment(page, 2);
  await checkScreen(page, "counter-02-take-code");
  await page.getByLabel("Payment code").fill(scenarioCode("0001"));
  await page.getByRole("button", { name: "Charge" }).click();
  await expect(page.getByTestId("counter-failure")).toHaveAttribute("data-reason", "insufficient_balance", {
    timeout: 20_000,
  });
  await expect(page.getByTestId("counter-failure")).toContainText("You have not been charged.");
  await checkScreen(page, "counter-03-declined");

  await page.getByRole("button", { name: "Try again with a new code" }).click();
  await expect(page.getByLabel(`${TICKET} quantity`)).toHaveText("2");
  await page.getByRole("button", { name: "Take payment" }).click();
  await page.getByLabel("Payment code").fill(scenarioCode("0000"));
  await page.getByRole("button", { name: "Charge" }).click();
  await expect(page.getByTestId("counter-success")).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId("ticket-qr")).toHaveCount(2);
  await expect(page.getByTestId("print-row").and(page.locator("[data-status=printed]"))).toHaveCount(2, {
    timeout: 30_000,
  });
  await expect(page.getByTestId("counter-receipt")).toContainText("Receipt");
  await checkScreen(page, "counter-04-paid-qr-and-printed");
  await expect(page.getByTestId("total-sales")).toContainText("1 ·", { timeout: 10_000 });
});

test("a cashier sells with a code from the bridge's scanner while the visitor confirms with a PIN", async ({
  page,
}) => {
  test.setTimeout(90_000);
  await openCounter(page, cashier);
  await expect(page.getByTestId("open-shift")).toBeVisible();
  await expect(page.getByTestId("bridge-state")).toHaveAttribute("data-connection", "ready", { timeout: 15_000 });
  await chooseAndTakePayment(page, 1);
  await expect(page.getByTestId("scanner-state")).toHaveAttribute("data-armed", "true", { timeout: 10_000 });
  await recordStates(page);
  await scan(scenarioCode("0010", 4));
  await expect(page.getByTestId("counter-paying")).toHaveAttribute("data-phase", "waiting_pin", { timeout: 15_000 });
  await checkScreen(page, "counter-05-pin-wait");
  await expect(page.getByTestId("counter-success")).toBeVisible({ timeout: 30_000 });
  await expectSeen(page, "waiting_pin");
  await expect(page.getByTestId("print-row").and(page.locator("[data-status=printed]"))).toHaveCount(1, {
    timeout: 30_000,
  });
});

test("a viewer is refused the counter, in the console and at the procedures", async ({ page }) => {
  await signInUi(page, viewer);
  await expect(
    page.getByRole("navigation", { name: "Console sections" }).getByRole("link", { name: "Counter sale" }),
  ).toHaveCount(0);
  await page.goto("/staff/counter");
  await expect(page.getByRole("alert").filter({ hasText: "This needs the cashier role or higher" })).toBeVisible();
  await checkScreen(page, "counter-06-viewer-refused");
  const cookie = await loginCookie(viewer.email, viewer.password);
  for (const [path, input] of [
    ["counter.openShift", { counterId: "counter_window_1" }],
    ["order.create", { lines: [{ ticketTypeId: "tt_skyline_flexi", slotId: "x", quantity: 1 }] }],
    ["payment.start", { orderId: "ord_x", paymentCode: scenarioCode("0000") }],
  ] as const) {
    const error = await mutate(path, input, { cookie }).catch((e: unknown) => e);
    expect(error, path).toBeInstanceOf(TrpcError);
    expect((error as TrpcError).code, path).toBe("FORBIDDEN");
  }
});

interface SandboxTrade {
  outTradeNo: string;
  status: string;
  amountMinor: number;
  refundedMinor: number;
}

test("closing the shift totals the cashier's sales and matches the sandbox's own records", async ({ page }) => {
  test.setTimeout(90_000);
  const cookie = await loginCookie(cashier.email, cashier.password);
  const open = await query<{ id: string } | null>("counter.myShift", undefined, { cookie });
  expect(open).not.toBeNull();
  await openCounter(page, cashier);
  await page.getByLabel("Closing note (optional)").fill("e2e end of shift");
  await page.getByRole("button", { name: "Close shift" }).click();
  const report = page.getByTestId("shift-report").first();
  await expect(report).toBeVisible({ timeout: 30_000 });
  await expect(report).toContainText("matches Alipay");
  await checkScreen(page, "counter-07-shift-closed");

  const shift = await query<{
    state: string;
    totals: {
      salesCount: number;
      salesTotalMinor: number;
      refundsTotalMinor: number;
      failedCount: number;
      netTotalMinor: number;
    };
    gatewayNetMinor: number;
    differences: unknown[];
    payments: { partnerTransId: string; state: string }[];
  }>("counter.shift", { shiftId: open!.id }, { cookie });
  expect(shift.state).toBe("closed");
  expect(shift.totals.salesCount).toBe(2);
  expect(shift.totals.failedCount).toBe(1);
  expect(shift.differences).toEqual([]);

  // The sandbox's records of every trade of this shift, from its operator API.
  const trades: SandboxTrade[] = [];
  for (const p of shift.payments) {
    const res = await fetch(`${E2E.sandboxUrl}/sandbox/trades/${encodeURIComponent(p.partnerTransId)}`);
    if (res.status === 404) continue;
    trades.push(((await res.json()) as { trade: SandboxTrade }).trade);
  }
  const paid = trades.filter((t) => t.status === "TRADE_SUCCESS");
  expect(paid).toHaveLength(2);
  const sandboxSales = paid.reduce((s, t) => s + t.amountMinor, 0);
  const sandboxNet = paid.reduce((s, t) => s + t.amountMinor - t.refundedMinor, 0);
  expect(shift.totals.salesTotalMinor).toBe(sandboxSales);
  expect(shift.totals.netTotalMinor).toBe(sandboxNet);
  expect(shift.gatewayNetMinor).toBe(sandboxNet);

  // Closed means closed: no second close, no more sales until a new shift.
  const again = await mutate("counter.closeShift", { shiftId: open!.id }, { cookie }).catch((e: unknown) => e);
  expect((again as TrpcError).code).toBe("CONFLICT");
  await expect(page.getByRole("button", { name: "Open shift at Window 1" })).toBeVisible();
});
