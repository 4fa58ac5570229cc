/**
 * Money in the staff console: a NEEDS_ATTENTION payment resolved from the queue, a
 * partial refund that voids a ticket, a reconciliation that finds a planted difference,
 * a ticket redeemed twice at the gate, sales with CSV, and the audit trail of it all.
 * Purchases go through the kiosk tRPC procedures with sandbox scenario codes.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { E2E } from "../support/system.ts";
import {
  adminCookie,
  auditEntries,
  buy,
  createUser,
  decimalText,
  loginCookie,
  mutate,
  pairedKiosk,
  paymentState,
  query,
  scenarioCode,
  signInUi,
  staffId,
  type TestKiosk,
  type TestUser,
} from "./staff-support.ts";

test.describe.configure({ mode: "serial" });

async function setFaults(patch: Record<string, number>): Promise<void> {
  const res = await fetch(`${E2E.sandboxUrl}/sandbox/faults`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(patch),
  });
  expect(res.ok).toBe(true);
}

let admin: string;
let supervisor: TestUser;
let cashier: TestUser;
let kiosk: TestKiosk;

test.beforeAll(async () => {
  admin = await adminCookie();
  supervisor = await createUser(admin, "supervisor");
  cashier = await createUser(admin, "cashier");
  kiosk = await pairedKiosk(admin);
});

test("partial refund with a reason voids the chosen ticket", async ({ page }) => {
  const p = await buy(kiosk, scenarioCode("0000"), 2);
  expect(p.state).toBe("PAID");
  expect(p.tickets).toHaveLength(2);
  await signInUi(page, supervisor);
  await page.goto(`/staff/payments?id=${p.paymentId}`);
  const detail = page.getByTestId("payment-detail");
  await expect(detail.getByTestId("payment-state")).toHaveText("PAID");
  // The event log summarises the exchange; the payment code appears masked only.
  await expect(detail.getByRole("table", { name: /Every transition/ })).toContainText("pay");
  await expect(detail).toContainText("****");
  const half = decimalText(p.unitPriceMinor, p.currency);
  const refund = detail.getByRole("group", { name: "Refund", exact: true });
  await refund.getByLabel(/Amount/).fill(half);
  // The chosen ticket by its id (the console lists tickets in its own order, not the purchase's).
  await refund.getByRole("checkbox", { name: new RegExp(p.tickets[0]!.id.slice(-6)) }).check();
  await refund.getByRole("button", { name: "Refund partially" }).click();
  await refund.getByLabel("Reason").fill("one visitor could not come");
  await refund.getByRole("button", { name: "Refund partially" }).click();
  await expect(detail.getByTestId("payment-state")).toHaveText("PARTIALLY_REFUNDED", { timeout: 15_000 });
  await expect(detail.getByTestId(`ticket-${p.tickets[0]!.id}`)).toContainText("void");
  await expect(detail.getByTestId(`ticket-${p.tickets[1]!.id}`)).toContainText("valid");
  await page.screenshot({ path: "artifacts/screens/staff-partial-refund.png", fullPage: true });
  const entries = await auditEntries(admin, { action: "refund.create", targetId: p.paymentId });
  expect(entries[0]?.reason).toBe("one visitor could not come");
  expect(entries[0]?.actorId).toBe(await staffId(await loginCookie(supervisor.email, supervisor.password)));
  expect(entries[0]?.details.amountMinor).toBe(p.unitPriceMinor);
});

test("a cashier cannot refund (the console says so and the server refuses)", async ({ page }) => {
  const p = await buy(kiosk, scenarioCode("0000"));
  await signInUi(page, cashier);
  await page.goto(`/staff/payments?id=${p.paymentId}`);
  await expect(page.getByText("Refunds need the supervisor role.")).toBeVisible();
  const cookie = await loginCookie(cashier.email, cashier.password);
  await expect(
    mutate("console.refund", { paymentId: p.paymentId, reason: "cashier tries" }, { cookie }),
  ).rejects.toMatchObject({ code: "FORBIDDEN" });
  expect(await paymentState(admin, p.paymentId)).toBe("PAID");
});

test("redeem a ticket at the gate twice: valid, then already used", async ({ page }) => {
  const p = await buy(kiosk, scenarioCode("0000"));
  const code = p.tickets[0]!.code;
  await signInUi(page, cashier);
  await page.goto("/staff/gate");
  const field = page.getByLabel("Scan or type a ticket code");
  // A keyboard-wedge scanner types the code and presses Enter.
  await field.pressSequentially(code, { delay: 0 });
  await field.press("Enter");
  await expect(page.getByTestId("gate-verdict")).toContainText("VALID");
  await expect(page.getByTestId("gate-verdict")).not.toContainText("ALREADY");
  await expect(field).toBeFocused();
  await field.fill(code);
  await field.press("Enter");
  await expect(page.getByTestId("gate-verdict")).toContainText("ALREADY USED");
  await page.screenshot({ path: "artifacts/screens/staff-gate-already-used.png" });
  await field.fill("not-a-ticket-code");
  await field.press("Enter");
  await expect(page.getByTestId("gate-verdict")).toContainText("INVALID");
});

test("ticket lookup by payment and a reprint request to the kiosk", async ({ page }) => {
  const p = await buy(kiosk, scenarioCode("0000"));
  await signInUi(page, cashier);
  await page.goto("/staff/tickets");
  await page.getByLabel(/Ticket code, ticket id, order id or payment id/).fill(p.paymentId);
  await page.getByRole("button", { name: "Find" }).click();
  const row = page.getByTestId(`ticket-row-${p.tickets[0]!.id}`);
  await expect(row).toContainText("valid");
  await row.getByRole("button", { name: "Reprint" }).click();
  await row.getByLabel("Kiosk printer").selectOption(kiosk.id);
  await row.getByLabel("Reason").fill("receipt printer jammed");
  await row.getByRole("button", { name: "Send to kiosk" }).click();
  await expect(row.getByRole("status")).toContainText(kiosk.id);
  // The kiosk sees the request and reports it printed.
  const pending = await query<{ requestId: string; ticket: { id: string } }[]>("console.kioskReprints", undefined, {
    bearer: kiosk.credential,
    ip: kiosk.ip,
  });
  const mine = pending.find((r) => r.ticket.id === p.tickets[0]!.id);
  expect(mine).toBeTruthy();
  await mutate(
    "console.kioskReprintReport",
    { requestId: mine!.requestId, outcome: "printed" },
    { bearer: kiosk.credential, ip: kiosk.ip },
  );
  await expect(page.getByRole("table", { name: /Reprint requests/ })).toContainText("printed", { timeout: 15_000 });
});

test("reconciliation finds a planted difference and records its resolution", async ({ page }) => {
  // Plant: a paid payment moved to yesterday (Beijing), which Alipay's file for that day does not have.
  const p = await buy(kiosk, scenarioCode("0000"));
  const today = new Intl.DateTimeFormat("en-CA", {
    timeZone: "Asia/Shanghai",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(new Date());
  const d = new Date(`${today}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  const yesterday = d.toISOString().slice(0, 10);
  const requireFromDb = createRequire(join(import.meta.dirname, "../../packages/db/package.json"));
  const Database = requireFromDb("better-sqlite3") as new (file: string) => {
    prepare(sql: string): { run(...args: unknown[]): { changes: number } };
    close(): void;
    pragma(s: string): unknown;
  };
  const db = new Database(join(E2E.dataDir, "kiosk.db"));
  try {
    db.pragma("busy_timeout = 5000");
    const r = db
      .prepare("UPDATE Payment SET paidAt = ? WHERE id = ?")
      .run(`${yesterday}T04:00:00.000+00:00`, p.paymentId);
    expect(r.changes).toBe(1);
  } finally {
    db.close();
  }

  await signInUi(page, supervisor);
  await page.goto("/staff/reconciliation");
  await expect(page.getByLabel("Day (Beijing time)")).toHaveValue(yesterday);
  await page.getByRole("button", { name: "Run reconciliation" }).click();
  const run = page.getByTestId("reconciliation-run");
  await expect(run).toBeVisible({ timeout: 30_000 });
  const diff = run.getByTestId(`difference-${p.partnerTransId}`);
  await expect(diff).toContainText("missing there");
  await page.screenshot({ path: "artifacts/screens/staff-reconciliation.png", fullPage: true });
  await diff.getByRole("button", { name: "Record resolution" }).click();
  await diff.getByLabel("Reason").fill("test payment moved by hand; no money involved");
  await diff.getByRole("button", { name: "Save resolution" }).click();
  await expect(diff).toContainText("resolved");
  await expect(diff).toContainText("test payment moved by hand");
  const entries = await auditEntries(admin, { action: "reconciliation." });
  expect(entries.map((e) => e.action)).toEqual(
    expect.arrayContaining(["reconciliation.run", "reconciliation.resolve_difference"]),
  );
});

test("sales today by ticket type, kiosk and hour, with a CSV export", async ({ page }) => {
  await signInUi(page, supervisor);
  await page.goto("/staff/sales");
  await expect(page.getByRole("heading", { name: "Sales today" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Sales by kiosk" })).toContainText("E2E kiosk");
  await expect(page.getByRole("img", { name: /Sales by hour/ })).toBeVisible();
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export CSV" }).click();
  const file = await download;
  const csv = readFileSync(await file.path(), "utf8");
  expect(csv).toContain("dimension,key,orders,tickets,amount,currency");
  expect(csv).toMatch(/\r\nticket_type,/);
  expect(csv).toMatch(/\r\nhour,00:00,/);
});

test("resolve a NEEDS_ATTENTION payment: query Alipay, then cancel, each recorded with who and why", async ({
  page,
}) => {
  test.setTimeout(300_000);
  // The buyer never enters the PIN (scenario 0011); the visitor gives up; while the gateway
  // answers SYSTEM_ERROR to everything (sandbox fault), every cancel fails, so the worker
  // spends its retries and files the payment as NEEDS_ATTENTION. Then the gateway recovers.
  const doomed = await buy(kiosk, scenarioCode("0011"));
  expect(doomed.state).toBe("POLLING");
  const doomedPaymentId = doomed.paymentId;
  await setFaults({ systemErrorNext: 100_000 });
  try {
    await mutate("payment.cancel", { paymentId: doomedPaymentId }, { bearer: kiosk.credential, ip: kiosk.ip });
    await expect
      .poll(() => paymentState(admin, doomedPaymentId), { timeout: 240_000, intervals: [2000] })
      .toBe("NEEDS_ATTENTION");
  } finally {
    await setFaults({ systemErrorNext: 0 });
  }
  await signInUi(page, supervisor);
  await page.goto("/staff/attention");
  const item = page.getByTestId(`attention-${doomedPaymentId}`);
  await expect(item).toBeVisible();
  await page.screenshot({ path: "artifacts/screens/staff-needs-attention.png", fullPage: true });
  await item.getByRole("button", { name: "Query Alipay now" }).click();
  await item.getByLabel("Reason").fill("visitor at the desk says they cancelled");
  await item.getByRole("button", { name: "Query Alipay now" }).click();
  await expect(item.getByTestId("query-answer")).toContainText("Alipay answered");
  await item.getByRole("button", { name: "Cancel at Alipay" }).click();
  await item.getByLabel("Reason").fill("reverse the charge, visitor got no tickets");
  await item.getByRole("button", { name: "Cancel at Alipay" }).click();
  await expect(item).toHaveCount(0, { timeout: 20_000 });
  expect(await paymentState(admin, doomedPaymentId)).toBe("CANCELLED");
  const entries = await auditEntries(admin, { targetId: doomedPaymentId });
  const supervisorId = await staffId(await loginCookie(supervisor.email, supervisor.password));
  expect(entries.find((e) => e.action === "payment.query_now")).toMatchObject({
    actorId: supervisorId,
    reason: "visitor at the desk says they cancelled",
  });
  expect(entries.find((e) => e.action === "payment.cancel_now")).toMatchObject({
    actorId: supervisorId,
    reason: "reverse the charge, visitor got no tickets",
  });
  // The payment's own event log shows the staff decision too.
  await page.goto(`/staff/payments?id=${doomedPaymentId}`);
  await expect(page.getByTestId("payment-state")).toHaveText("CANCELLED");
  await expect(page.getByRole("table", { name: /Every transition/ })).toContainText("resolve");

  await page.goto("/staff/audit");
  await page.getByLabel("Target id").fill(doomedPaymentId);
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByRole("table", { name: /Audit log entries/ })).toContainText("payment.cancel_now");
});
