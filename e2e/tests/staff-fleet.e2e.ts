/**
 * Fleet: a supervisor registers a kiosk and gets its pairing code in the console; the
 * kiosk page pairs with it; a cashier takes it out of service and the kiosk screen
 * changes (and the console shows it live), then puts it back.
 */
import { expect, test } from "@playwright/test";
import { demoCredentials, E2E } from "../support/system.ts";
import { adminCookie, auditEntries, createUser, signInUi } from "./staff-support.ts";

test("take a kiosk out of service and back: the kiosk screen follows", async ({ browser }) => {
  test.setTimeout(120_000);
  const admin = await adminCookie();
  const supervisor = await createUser(admin, "supervisor");
  const cashier = await createUser(admin, "cashier");

  const staffContext = await browser.newContext();
  const staff = await staffContext.newPage();
  await signInUi(staff, supervisor);
  const name = `Lobby E2E ${Date.now()}`;
  await staff.getByLabel("Kiosk name").fill(name);
  await staff.getByLabel("Location").fill("east entrance");
  await staff.getByRole("button", { name: "Register and issue pairing code" }).click();
  const code = (await staff.getByTestId("new-pairing-code").textContent())?.trim() ?? "";
  expect(code.length).toBeGreaterThanOrEqual(6);
  const row = staff.getByRole("row", { name });
  await expect(row).toBeVisible();
  await expect(row).toContainText("not paired");

  // The kiosk page pairs with the code (the bridge URL as `npm start` gives it; the page fetches its own bridge token).
  const kioskContext = await browser.newContext({ viewport: { width: 1080, height: 1920 } });
  const kiosk = await kioskContext.newPage();
  const bridge = `ws://127.0.0.1:${E2E.ports.bridge}`;
  await kiosk.goto(`/kiosk?pair=${encodeURIComponent(code)}&heartbeatMs=1000&bridge=${encodeURIComponent(bridge)}`);
  await expect(row).not.toContainText("not paired", { timeout: 30_000 });
  await expect(row).toContainText("online", { timeout: 30_000 });
  await expect(kiosk.locator('[data-reason="taken_out_of_service"]')).toHaveCount(0);

  await staff.getByRole("button", { name: "Sign out" }).click();
  // Wait for the sign-out to land before navigating: a navigation right after the click can
  // abort the logout request while it still waits for a connection (the console's live stream
  // and route prefetches hold the browser's six), leaving the supervisor signed in (CI run).
  await expect(staff.getByRole("heading", { name: "Staff console sign-in" })).toBeVisible();
  await signInUi(staff, cashier);
  const cashierRow = staff.getByRole("row", { name });
  await cashierRow.getByRole("button", { name: "Take out of service" }).click();
  await cashierRow.getByLabel("Reason").fill("jammed ticket slot");
  await cashierRow.getByRole("button", { name: "Take out of service" }).click();
  await expect(cashierRow.getByTestId("service-state")).toContainText("out of service");
  await expect(cashierRow).toContainText("jammed ticket slot");

  await expect(kiosk.locator('[data-screen="out_of_service"][data-reason="taken_out_of_service"]')).toBeVisible({
    timeout: 30_000,
  });
  await kiosk.screenshot({ path: "artifacts/screens/staff-kiosk-out-of-service.png" });

  await cashierRow.getByRole("button", { name: "Return to service" }).click();
  await cashierRow.getByLabel("Reason").fill("slot cleared");
  await cashierRow.getByRole("button", { name: "Return to service" }).click();
  await expect(cashierRow.getByTestId("service-state")).toContainText("in service");
  await expect(kiosk.locator('[data-reason="taken_out_of_service"]')).toHaveCount(0, { timeout: 30_000 });

  const kioskId =
    (await cashierRow.locator("td").first().locator("div").nth(1).textContent())?.split(" ·")[0]?.trim() ?? "";
  const entries = await auditEntries(admin, { targetId: kioskId });
  expect(entries.map((e) => `${e.action}:${e.reason ?? ""}`)).toEqual(
    expect.arrayContaining([
      "kiosk.take_out_of_service:jammed ticket slot",
      "kiosk.return_to_service:slot cleared",
      "kiosk.register:",
    ]),
  );
  await staffContext.close();
  await kioskContext.close();
});
