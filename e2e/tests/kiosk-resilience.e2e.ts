/**
 * Reload recovery, idle handling, printing failures and kiosk health: the kiosk resumes a
 * payment after a reload, never idles out of a payment, shows QR codes when tickets cannot
 * print, and goes out of service (and back by itself) when a device, the bridge, the server
 * or staff say so.
 */
import { createServer, connect, type AddressInfo, type Socket } from "node:net";
import { expect, test } from "@playwright/test";
import {
  BRIDGE_URL,
  checkScreen,
  expectScreen,
  expectSeen,
  kioskCredential,
  LOCALES,
  skipWhenDependencyMissing,
  NATIVE,
  openKiosk,
  plugScanner,
  printerJobs,
  recordStates,
  scan,
  scenarioCode,
  setInService,
  setPaper,
  setPrinterSpeed,
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
test.afterEach(async () => {
  await setPaper("ok").catch(() => undefined);
  await setPrinterSpeed(0).catch(() => undefined);
  await plugScanner(true).catch(() => undefined);
});

test("a reload during the PIN wait resumes the paying screen in the visitor's language, then completes", async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openKiosk(page, credential);
  await walkToScan(page, "zh-Hans");
  await scan(scenarioCode("0010", 12));
  await expect(page.locator("[data-phase=waiting_pin]")).toBeVisible({ timeout: 15_000 });
  await page.reload();
  await expectScreen(page, "paying", 20_000);
  await expect(page.locator("[data-phase=waiting_pin]")).toBeVisible();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("请在手机上确认付款");
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-Hans-CN");
  await expectScreen(page, "success", 40_000);
  await expectScreen(page, "done", 30_000);
});

test("a reload while printing resumes printing without printing twice", async ({ page }) => {
  test.setTimeout(90_000);
  await openKiosk(page, credential);
  await walkToScan(page, "en");
  // A slow printer (about 2 s a ticket) keeps the jobs printing while the page reloads.
  await setPrinterSpeed(80);
  const before = (await printerJobs()).reduce((max, j) => Math.max(max, j.seq), 0);
  await scan(scenarioCode("0000"));
  await expectScreen(page, "success", 20_000);
  await expect(
    page.locator("[data-kiosk-screen=success] [data-testid=print-row][data-status=printing]").first(),
  ).toBeVisible({ timeout: 10_000 });
  await page.reload();
  await expect(page.locator("[data-kiosk-screen=success], [data-kiosk-screen=done]")).toBeVisible({ timeout: 20_000 });
  await expectScreen(page, "done", 60_000);
  const mine = (await printerJobs()).filter((j) => j.seq > before);
  const qrs = mine.flatMap((j) => [...j.text.matchAll(/\[QR ([^\]]+)\]/g)].map((m) => m[1]!));
  expect(qrs.length, "both tickets printed").toBeGreaterThanOrEqual(2);
  expect(new Set(qrs).size, "no ticket printed twice").toBe(qrs.length);
  expect(mine.every((j) => !j.isTruncated)).toBe(true);
});

test("idle: 'still there?' with a countdown, then back to the attract screen", async ({ page }) => {
  test.setTimeout(60_000);
  await openKiosk(page, credential, { idleMs: 3_000, idleCountdownMs: 5_000 });
  await expectScreen(page, "attract", 30_000);
  await page.locator("[data-kiosk-screen=attract] button").first().click();
  await page.getByRole("button", { name: NATIVE.ja, exact: true }).click();
  await expectScreen(page, "tickets");
  const dialog = page.getByRole("alertdialog");
  await expect(dialog).toBeVisible({ timeout: 10_000 });
  await expect(dialog).toContainText("まだご利用中ですか？");
  await checkScreen(page, "ja-14-idle-still-there");
  await dialog.getByRole("button").first().click();
  await expect(dialog).toBeHidden();
  await expectScreen(page, "tickets");
  await expect(dialog).toBeVisible({ timeout: 10_000 });
  await expectScreen(page, "attract", 10_000);
});

test("idle never interrupts a payment in flight", async ({ page }) => {
  test.setTimeout(90_000);
  await openKiosk(page, credential, { idleMs: 2_000, idleCountdownMs: 2_000 });
  await walkToScan(page, "en");
  await scan(scenarioCode("0010", 10));
  await expect(page.locator("[data-phase=waiting_pin]")).toBeVisible({ timeout: 15_000 });
  await recordStates(page);
  // Three idle periods pass while the buyer is still entering the PIN.
  await page.waitForTimeout(6_000);
  await expect(page.getByRole("alertdialog")).toHaveCount(0);
  await expectScreen(page, "paying");
  // Success may be brief (done, then attract, follow on their own); it must have been shown.
  await expectSeen(page, "success", 30_000);
});

test("printer runs out of paper mid-order: QR codes on screen, then out of service until paper is back", async ({
  page,
}) => {
  test.setTimeout(120_000);
  await openKiosk(page, credential);
  await walkToScan(page, "en");
  await setPaper("out", 3);
  await scan(scenarioCode("0000"));
  await expectScreen(page, "success", 20_000);
  await expect(page.getByTestId("fallback-qr").first()).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText(/ticket office/).first()).toBeVisible();
  await checkScreen(page, "en-15-print-failed-qr");
  await page.locator("footer button").last().click();
  await expectScreen(page, "done");
  await expectScreen(page, "out_of_service", 15_000);
  await expect(
    page.locator("[data-kiosk-screen] [data-reason=paper_out]").or(page.locator("[data-reason=paper_out]")),
  ).toBeVisible();
  await checkScreen(page, "en-16-out-of-service-paper");
  await setPaper("ok");
  await expectScreen(page, "attract", 20_000);
});

for (const locale of LOCALES) {
  test(`${locale}: out of service when the scanner is unplugged, back by itself`, async ({ page }) => {
    test.setTimeout(60_000);
    await openKiosk(page, credential);
    await expectScreen(page, "attract", 30_000);
    await page.locator("[data-kiosk-screen=attract] button").first().click();
    await page.getByRole("button", { name: NATIVE[locale], exact: true }).click();
    await expectScreen(page, "tickets");
    await plugScanner(false);
    await expectScreen(page, "out_of_service", 15_000);
    await expect(page.locator("[data-reason=scanner_disconnected]")).toBeVisible();
    await checkScreen(page, `${locale}-17-out-of-service-scanner`);
    await plugScanner(true);
    await expectScreen(page, "attract", 20_000);
  });
}

test("bridge down: out of service, then back by itself when the bridge answers again", async ({ page }) => {
  test.setTimeout(60_000);
  // A TCP relay in front of the bridge plays "bridge down" (refuses connections) and "bridge back" (relays them).
  const target = new URL(BRIDGE_URL);
  let isBridgeUp = false;
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    if (!isBridgeUp) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  const port = (relay.address() as AddressInfo).port;
  try {
    await openKiosk(page, credential, { bridge: `ws://127.0.0.1:${port}` });
    await expectScreen(page, "out_of_service", 30_000);
    await expect(page.locator("[data-reason=bridge_unreachable]")).toBeVisible();
    await checkScreen(page, "en-18-out-of-service-bridge");
    isBridgeUp = true;
    await expectScreen(page, "attract", 20_000);
  } finally {
    for (const s of sockets) s.destroy();
    relay.close();
  }
});

test("staff take the kiosk out of service and back: it sells nothing meanwhile and recovers by itself", async ({
  page,
}) => {
  test.setTimeout(60_000);
  await openKiosk(page, credential, { heartbeatMs: 1_500 });
  await expectScreen(page, "attract", 30_000);
  await page.locator("[data-kiosk-screen=attract] button").first().click();
  await page.getByRole("button", { name: NATIVE.ko, exact: true }).click();
  await expectScreen(page, "tickets");
  try {
    await setInService(false);
    await expectScreen(page, "out_of_service", 15_000);
    await expect(page.locator("[data-reason=taken_out_of_service]")).toBeVisible();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(
      "죄송합니다. 이 키오스크는 현재 이용할 수 없습니다",
    );
    await checkScreen(page, "ko-19-out-of-service-staff");
  } finally {
    await setInService(true);
  }
  await expectScreen(page, "attract", 15_000);
});

test("PWA: a reload with the network down shows the out-of-service screen, not a browser error", async ({
  page,
  context,
}) => {
  test.setTimeout(90_000);
  await openKiosk(page, credential);
  await expectScreen(page, "attract", 30_000);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await page.reload();
  await expectScreen(page, "attract", 30_000);
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  const manifest = await page.request.get("/manifest.webmanifest");
  expect(((await manifest.json()) as { icons: unknown[] }).icons.length).toBeGreaterThan(0);
  await context.setOffline(true);
  try {
    await page.reload();
    await expectScreen(page, "out_of_service", 30_000);
    await checkScreen(page, "en-20-out-of-service-offline");
  } finally {
    await context.setOffline(false);
  }
  await expectScreen(page, "attract", 30_000);
});
