import { expect, test } from "@playwright/test";
import { join } from "node:path";
import { E2E, demoCredentials } from "../support/system.ts";
import { SCREENS_DIR } from "./kiosk-support.ts";

test("npm start serves the kiosk, the staff console and the API", async ({ page, request }) => {
  const kiosk = await request.get("/kiosk");
  expect(kiosk.status()).toBe(200);
  await page.goto("/");
  await expect(page.getByRole("link", { name: "Kiosk" })).toBeVisible();
  await page.goto("/staff");
  await expect(page.locator("body")).not.toBeEmpty();
  expect(demoCredentials().adminEmail).toContain("@");
  await page.screenshot({ path: join(SCREENS_DIR, "home.png"), fullPage: true });
});

test("the Alipay sandbox gateway answers", async ({ request }) => {
  const r = await request.get(`${E2E.sandboxUrl}/healthz`);
  expect(r.ok()).toBe(true);
});
