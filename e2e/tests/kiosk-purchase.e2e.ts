/**
 * The whole purchase in every language, with the virtual scanner and printer and the Alipay
 * sandbox: every screen gets an axe-core check and a screenshot (artifacts/screens/<locale>-NN-<screen>.png).
 */
import { expect, test } from "@playwright/test";
import {
  checkScreen,
  expectScreen,
  kioskCredential,
  LOCALES,
  skipWhenDependencyMissing,
  openKiosk,
  scan,
  scenarioCode,
  setPaper,
  walkToScan,
} from "./kiosk-support.ts";

test.describe.configure({ mode: "serial" });
test.use({ viewport: { width: 1080, height: 1600 } });

let credential = "";
test.beforeAll(async () => {
  await skipWhenDependencyMissing("kiosk e2e");
  credential = await kioskCredential();
  await setPaper("ok");
});

for (const locale of LOCALES) {
  test(`${locale}: attract → tickets → pay (instant success) → print → done → attract`, async ({ page }) => {
    test.setTimeout(90_000);
    await openKiosk(page, credential);
    await walkToScan(page, locale, { shoot: true });
    await scan(scenarioCode("0000"));
    await expectScreen(page, "success", 20_000);
    await checkScreen(page, `${locale}-07-success-printing`);
    await expectScreen(page, "done", 30_000);
    await checkScreen(page, `${locale}-08-done`);
    await expectScreen(page, "attract", 15_000);
    await expect(page.locator("html")).toHaveAttribute("lang", "en");
  });
}

test("PIN wait: 'confirm on your phone' with a countdown and a cancel button, then success", async ({ page }) => {
  test.setTimeout(90_000);
  await openKiosk(page, credential);
  await walkToScan(page, "ja");
  await scan(scenarioCode("0010", 8));
  await expectScreen(page, "paying");
  await expect(page.locator("[data-phase=waiting_pin]")).toBeVisible({ timeout: 15_000 });
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("スマートフォンで支払いを確認してください");
  await expect(page.getByTestId("payment-countdown")).toContainText(/\d:\d\d/);
  await expect(page.getByRole("button", { name: /支払いをキャンセル/ })).toBeVisible();
  await checkScreen(page, "ja-06-paying-pin-wait");
  for (const locale of ["en", "zh-Hans", "zh-Hant", "ko"] as const) {
    await page.getByRole("toolbar").getByRole("button").first().click();
    await page
      .getByRole("dialog")
      .getByRole("button", {
        name: { en: "English", "zh-Hans": "简体中文", "zh-Hant": "繁體中文", ko: "한국어" }[locale],
        exact: true,
      })
      .click();
    await checkScreen(page, `${locale}-06-paying-pin-wait`);
  }
  await expectScreen(page, "success", 40_000);
});
