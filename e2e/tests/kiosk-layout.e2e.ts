/**
 * The kiosk at both of its screen shapes: 1080×1920 portrait (arm's-length touch: large type
 * and targets, content spread over the screen, not a phone layout in the top third) and
 * 1920×1080 landscape. A screenshot of every screen at each size
 * (artifacts/screens/layout-<w>x<h>-NN-<screen>.png), and measured sizes checked in portrait.
 */
import { join } from "node:path";
import { expect, test, type Page } from "@playwright/test";
import {
  chooseFreeSlot,
  expectScreen,
  kioskCredential,
  skipWhenDependencyMissing,
  openKiosk,
  scan,
  scenarioCode,
  SCREENS_DIR,
  setPaper,
  setPrinterSpeed,
} from "./kiosk-support.ts";

const PORTRAIT = { width: 1080, height: 1920 };
const LANDSCAPE = { width: 1920, height: 1080 };

test.beforeAll(async () => {
  await skipWhenDependencyMissing("kiosk e2e");
  await setPaper("ok");
});
test.afterAll(async () => {
  await setPaper("ok");
});

interface Measure {
  h1Px: number;
  smallestTextPx: number;
  smallestButtonPx: { w: number; h: number };
  contentBottom: number;
  viewportHeight: number;
}

/** Sizes on the current screen: the title, the smallest visible text and touch target, and how far down the content reaches. */
async function measure(page: Page): Promise<Measure> {
  return page.evaluate(() => {
    const visible = (el: Element) => {
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && !el.closest(".sr-only,[aria-hidden=true]");
    };
    const h1 = Array.from(document.querySelectorAll("h1")).find(visible);
    let smallestText = Infinity;
    const walker = document.createTreeWalker(document.querySelector(".k-root") ?? document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || !n.textContent?.trim() || !visible(el)) continue;
      smallestText = Math.min(smallestText, parseFloat(getComputedStyle(el).fontSize));
    }
    let bw = Infinity;
    let bh = Infinity;
    for (const b of Array.from(document.querySelectorAll(".k-root button"))) {
      if (!visible(b)) continue;
      const r = b.getBoundingClientRect();
      bw = Math.min(bw, r.width);
      bh = Math.min(bh, r.height);
    }
    let bottom = 0;
    const main = document.querySelector(".k-root main");
    for (const el of main ? Array.from(main.querySelectorAll("*")) : [])
      if (visible(el)) bottom = Math.max(bottom, el.getBoundingClientRect().bottom);
    return {
      h1Px: h1 ? parseFloat(getComputedStyle(h1).fontSize) : 0,
      smallestTextPx: smallestText,
      smallestButtonPx: { w: bw, h: bh },
      contentBottom: bottom,
      viewportHeight: window.innerHeight,
    };
  });
}

async function shoot(
  page: Page,
  size: { width: number; height: number },
  name: string,
  problems: string[],
): Promise<void> {
  await page.waitForTimeout(150);
  await page.screenshot({
    path: join(SCREENS_DIR, `layout-${size.width}x${size.height}-${name}.png`),
    animations: "disabled",
  });
  if (size !== PORTRAIT) return;
  const m = await measure(page);
  const screen = name.replace(/^\d+-/, "");
  // Arm's length on a 1080×1920 panel: titles ≥ 56 px, no text under 20 px, no target under 80 px, content past the middle.
  if (screen !== "attract" && m.h1Px < 56) problems.push(`${name}: title ${m.h1Px}px < 56px`);
  if (m.smallestTextPx < 20) problems.push(`${name}: text as small as ${m.smallestTextPx}px < 20px`);
  if (m.smallestButtonPx.h < 80 || m.smallestButtonPx.w < 80)
    problems.push(
      `${name}: a touch target ${Math.round(m.smallestButtonPx.w)}×${Math.round(m.smallestButtonPx.h)}px < 80px`,
    );
  if (screen !== "attract" && m.contentBottom < m.viewportHeight * 0.55)
    problems.push(
      `${name}: content ends at ${Math.round(m.contentBottom)}px, in the top ${Math.round((100 * m.contentBottom) / m.viewportHeight)}% of the screen`,
    );
}

for (const size of [PORTRAIT, LANDSCAPE]) {
  test(`every screen at ${size.width}×${size.height}`, async ({ page }) => {
    test.setTimeout(240_000);
    const problems: string[] = [];
    await page.setViewportSize(size);
    await openKiosk(page, await kioskCredential(), { doneMs: 8_000 });
    await expectScreen(page, "attract", 30_000);
    await shoot(page, size, "01-attract", problems);
    await page.locator("[data-kiosk-screen=attract] button").first().click();
    await expectScreen(page, "language");
    await shoot(page, size, "02-language", problems);
    await page.getByRole("button", { name: "English", exact: true }).click();
    await expectScreen(page, "tickets");
    await chooseFreeSlot(page);
    await page.getByTestId("ticket-type").first().getByRole("button").last().click();
    await expect(page.locator("footer button").last()).toBeEnabled();
    await shoot(page, size, "03-tickets", problems);
    await page.locator("footer button").last().click();
    await expectScreen(page, "summary");
    await expect(page.getByTestId("order-total")).toBeVisible();
    await shoot(page, size, "04-summary", problems);
    await page.locator("footer button").last().click();
    await expectScreen(page, "scan");
    await expect(page.getByTestId("scanner-state")).toHaveAttribute("data-armed", "true", { timeout: 10_000 });
    await shoot(page, size, "05-scan", problems);
    // A declined code: the failure screen; try again; a PIN wait the buyer confirms after 6 s.
    await scan(scenarioCode("0001"));
    await expectScreen(page, "failure", 20_000);
    await shoot(page, size, "10-failure-declined", problems);
    await page.locator("footer button").last().click();
    await expectScreen(page, "summary");
    await page.locator("footer button").last().click();
    await expectScreen(page, "scan");
    await expect(page.getByTestId("scanner-state")).toHaveAttribute("data-armed", "true", { timeout: 10_000 });
    // A printer as slow as a real one (80 ms a line), so the success-and-printing screen stays
    // long enough to be seen however long the screenshot before it took.
    await setPrinterSpeed(80);
    try {
      await scan(scenarioCode("0010", 6));
      await expect(page.locator("[data-phase=waiting_pin]")).toBeVisible({ timeout: 15_000 });
      await shoot(page, size, "06-paying-pin-wait", problems);
      await expectScreen(page, "success", 30_000);
      await shoot(page, size, "07-success", problems);
    } finally {
      await setPrinterSpeed(0);
    }
    await expectScreen(page, "done", 30_000);
    await shoot(page, size, "08-done", problems);
    await expectScreen(page, "attract", 30_000);
    await setPaper("out");
    await expectScreen(page, "out_of_service", 30_000);
    await shoot(page, size, "16-out-of-service", problems);
    await setPaper("ok");
    await expectScreen(page, "attract", 30_000);
    expect(problems).toEqual([]);
  });
}
