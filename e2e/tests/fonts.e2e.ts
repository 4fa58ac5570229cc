/**
 * Every script legible: the language screen's native names (简体中文, 繁體中文, 日本語, 한국어)
 * are drawn with real glyphs, and the tofu detector that every CJK screenshot goes through
 * (checkScreen) does flag characters no installed font has.
 */
import { expect, test } from "@playwright/test";
import { glyphReport, legible } from "./glyphs.ts";
import { expectScreen, kioskCredential, skipWhenDependencyMissing, openKiosk } from "./kiosk-support.ts";

test.use({ viewport: { width: 1080, height: 1600 } });

test("CJK text on the language screen is drawn with real glyphs; the detector flags missing glyphs", async ({
  page,
}) => {
  await skipWhenDependencyMissing("kiosk e2e");
  await openKiosk(page, await kioskCredential());
  await expectScreen(page, "attract", 30_000);
  await page.locator("[data-kiosk-screen=attract] button").first().click();
  await expectScreen(page, "language");
  const onScreen = await glyphReport(page);
  expect(onScreen.checked, "the language screen shows CJK names").toBeGreaterThanOrEqual(8);
  expect(legible(onScreen), JSON.stringify(onScreen)).toBe(true);
  // Plane-16 private-use characters: no font covers them, so they must be reported as tofu.
  const planted = await glyphReport(page, "\u{10FFF0}\u{10FFF1}\u{10FFF2}\u{10FFF3}");
  expect(planted.tofu.length).toBe(4);
  expect(legible(planted)).toBe(false);
});
