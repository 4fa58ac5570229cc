/**
 * axe-core (WCAG 2.x A/AA + best practice) on every staff console page, and on the kiosk flow
 * with the visitor's high-contrast and larger-text modes switched on. Screens:
 * artifacts/screens/staff-*.png and <mode>-NN-*.png.
 */
import { expect, test, type Page } from "@playwright/test";
import { demoCredentials } from "../support/system.ts";
import {
  chooseFreeSlot,
  checkScreen,
  expectScreen,
  kioskCredential,
  skipWhenDependencyMissing,
  openKiosk,
  scan,
  scenarioCode,
  setPaper,
} from "./kiosk-support.ts";
import { signInUi } from "./staff-support.ts";

/** Every console page (the NAV of features/staff/permissions.ts) and a heading each one shows once loaded. */
const STAFF_PAGES: { path: string; name: string }[] = [
  { path: "/staff", name: "fleet" },
  { path: "/staff/payments", name: "payments" },
  { path: "/staff/attention", name: "attention" },
  { path: "/staff/reconciliation", name: "reconciliation" },
  { path: "/staff/tickets", name: "tickets" },
  { path: "/staff/gate", name: "gate" },
  { path: "/staff/counter", name: "counter" },
  { path: "/staff/sales", name: "sales" },
  { path: "/staff/terminals", name: "terminals" },
  { path: "/staff/audit", name: "audit" },
  { path: "/staff/users", name: "users" },
  { path: "/staff/keys", name: "keys" },
  { path: "/staff/conformance", name: "conformance" },
  { path: "/staff/account", name: "account" },
];

async function settled(page: Page): Promise<void> {
  await expect(page.getByRole("main")).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: /^Loading/ })).toHaveCount(0, { timeout: 15_000 });
}

test("staff console: the sign-in page and every page an admin can open pass axe", async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto("/staff");
  await expect(page.getByRole("heading", { name: "Staff console sign-in" })).toBeVisible();
  await checkScreen(page, "staff-00-sign-in");
  const c = demoCredentials();
  await signInUi(page, { email: c.adminEmail, password: c.adminPassword });
  const nav = page.getByRole("navigation", { name: "Console sections" });
  // Every page in the navigation is in the list above (a new page cannot skip the check).
  const hrefs = await nav
    .getByRole("link")
    .evaluateAll((links) => links.map((l) => new URL((l as HTMLAnchorElement).href).pathname));
  expect([...hrefs].sort()).toEqual(STAFF_PAGES.map((p) => p.path).sort());
  for (const [i, p] of STAFF_PAGES.entries()) {
    await page.goto(p.path);
    await expect(nav.getByRole("link", { name: /./ }).and(page.locator("[aria-current=page]"))).toHaveAttribute(
      "href",
      p.path,
    );
    await settled(page);
    await checkScreen(page, `staff-${String(i + 1).padStart(2, "0")}-${p.name}`);
  }
});

type Mode = "high-contrast" | "larger-text";
const TOGGLE: Record<Mode, string> = {
  "high-contrast": "High contrast",
  "larger-text": "Larger text",
};

for (const mode of ["high-contrast", "larger-text"] as const) {
  test(`kiosk in ${mode} mode: every screen of a purchase and a failure passes axe`, async ({ page }) => {
    test.setTimeout(150_000);
    await skipWhenDependencyMissing("kiosk e2e");
    await setPaper("ok");
    await page.setViewportSize({ width: 1080, height: 1600 });
    await openKiosk(page, await kioskCredential());
    await expectScreen(page, "attract", 30_000);
    await page.locator("[data-kiosk-screen=attract] button").first().click();
    await expectScreen(page, "language");
    const toggle = page.getByRole("toolbar").getByRole("button", { name: TOGGLE[mode] });
    await toggle.click();
    await expect(toggle).toHaveAttribute("aria-pressed", "true");
    if (mode === "high-contrast") await expect(page.locator("html")).toHaveAttribute("data-kiosk-contrast", "high");
    else await expect(page.locator("html")).toHaveAttribute("data-kiosk-text", "large");
    await checkScreen(page, `${mode}-02-language`);
    await page.getByRole("button", { name: "English", exact: true }).click();
    await expectScreen(page, "tickets");
    await chooseFreeSlot(page);
    const types = page.getByTestId("ticket-type");
    await types.nth(0).getByRole("button").last().click();
    await expect(page.locator("footer button").last()).toBeEnabled();
    await checkScreen(page, `${mode}-03-tickets`);
    await page.locator("footer button").last().click();
    await expectScreen(page, "summary");
    await expect(page.getByTestId("order-total")).toBeVisible();
    await checkScreen(page, `${mode}-04-summary`);
    await page.locator("footer button").last().click();
    await expectScreen(page, "scan");
    await expect(page.getByTestId("scanner-state")).toHaveAttribute("data-armed", "true", { timeout: 10_000 });
    await checkScreen(page, `${mode}-05-scan`);
    // A declined code: the failure screen, then "try again" (summary, scan) and a paid sale.
    await scan(scenarioCode("0001"));
    await expectScreen(page, "failure", 20_000);
    await checkScreen(page, `${mode}-10-failure`);
    await page.locator("footer button").last().click();
    await expectScreen(page, "summary", 15_000);
    await page.locator("footer button").last().click();
    await expectScreen(page, "scan", 15_000);
    await expect(page.getByTestId("scanner-state")).toHaveAttribute("data-armed", "true", { timeout: 10_000 });
    await scan(scenarioCode("0000"));
    await expectScreen(page, "success", 20_000);
    await checkScreen(page, `${mode}-07-success`);
    await expectScreen(page, "done", 30_000);
    await checkScreen(page, `${mode}-08-done`);
    // The next visitor starts with the default display.
    await expectScreen(page, "attract", 15_000);
    await expect(page.locator("html")).toHaveAttribute("data-kiosk-contrast", "normal");
  });
}
