/** Each payment failure tells the visitor what happened and what to do, in their language. */
import { expect, test } from "@playwright/test";
import {
  checkScreen,
  expectScreen,
  expectSeen,
  kioskCredential,
  LOCALES,
  skipWhenDependencyMissing,
  openKiosk,
  recordStates,
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

const EXPIRED_TITLE = {
  en: "Your payment code has expired",
  "zh-Hans": "付款码已过期",
  "zh-Hant": "付款碼已過期",
  ja: "支払いコードの有効期限が切れました",
  ko: "결제 코드가 만료되었습니다",
};
const BALANCE_TITLE = {
  en: "Not enough balance",
  "zh-Hans": "余额不足",
  "zh-Hant": "餘額不足",
  ja: "残高が不足しています",
  ko: "잔액이 부족합니다",
};

for (const locale of LOCALES) {
  test(`${locale}: expired code, then "try again" with a code that has no balance behind it`, async ({ page }) => {
    test.setTimeout(120_000);
    await openKiosk(page, credential);
    await walkToScan(page, locale);
    await scan(scenarioCode("0002"));
    await expectScreen(page, "failure", 20_000);
    await expect(page.locator("[data-reason=code_expired]")).toBeVisible();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(EXPIRED_TITLE[locale]);
    await checkScreen(page, `${locale}-09-failure-code-expired`);
    // Try again: a new order for the same tickets, then a code with no balance behind it.
    await page.locator("footer button").last().click();
    await expectScreen(page, "summary");
    await expect(page.getByTestId("order-total")).toBeVisible();
    await page.locator("footer button").last().click();
    await expectScreen(page, "scan");
    await expect(page.getByTestId("scanner-state")).toHaveAttribute("data-armed", "true", { timeout: 10_000 });
    await scan(scenarioCode("0001"));
    await expectScreen(page, "failure", 20_000);
    await expect(page.locator("[data-reason=insufficient_balance]")).toBeVisible();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(BALANCE_TITLE[locale]);
    await checkScreen(page, `${locale}-10-failure-insufficient-balance`);
    await page.locator("footer button").first().click();
    await expectScreen(page, "attract");
  });
}

const NOT_CHARGED = {
  en: "You have not been charged.",
  "zh-Hans": "您没有被扣款。",
  "zh-Hant": "您沒有被扣款。",
  ja: "料金は請求されていません。",
  ko: "요금이 청구되지 않았습니다.",
};

for (const locale of LOCALES) {
  test(`${locale}: the visitor cancels while Alipay waits for the PIN: cancelled, not charged`, async ({ page }) => {
    test.setTimeout(90_000);
    await openKiosk(page, credential);
    await walkToScan(page, locale);
    await scan(scenarioCode("0011"));
    await expect(page.locator("[data-phase=waiting_pin]")).toBeVisible({ timeout: 15_000 });
    await recordStates(page);
    await page.locator("footer button").first().click();
    // "cancelling" may last only until the server's push arrives; it must have been shown.
    await expectSeen(page, "cancelling");
    if (await page.locator("[data-phase=cancelling]").isVisible())
      await checkScreen(page, `${locale}-06-paying-cancelling`);
    await expectScreen(page, "failure", 40_000);
    await expect(page.locator("[data-reason=cancelled]")).toBeVisible();
    await expect(page.getByText(NOT_CHARGED[locale]).first()).toBeVisible();
    await checkScreen(page, `${locale}-11-failure-cancelled`);
  });

  test(`${locale}: the buyer rejects on the phone: declined, not charged`, async ({ page }) => {
    test.setTimeout(90_000);
    await openKiosk(page, credential);
    await walkToScan(page, locale);
    await scan(scenarioCode("0012", 4));
    await expectScreen(page, "failure", 45_000);
    await expect(page.locator("[data-reason=declined]")).toBeVisible();
    await expect(page.getByText(NOT_CHARGED[locale]).first()).toBeVisible();
    await checkScreen(page, `${locale}-12-failure-declined`);
  });
}

// The timed-out screen (every language, with a short configured deadline): kiosk-timeout.e2e.ts.
