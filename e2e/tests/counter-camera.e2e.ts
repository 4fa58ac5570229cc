/**
 * Counter sale on a phone with no bridge: the cashier reads the visitor's payment code with
 * the device camera (Chromium's fake camera plays a QR code of a sandbox scenario code), and
 * the tickets are shown as QR codes. Headless Chromium on Linux has no BarcodeDetector, so
 * this exercises the bundled ZXing fallback.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, expect, test } from "@playwright/test";
import { E2E } from "../support/system.ts";
import { writeQrVideo } from "../support/fake-camera.ts";
import { checkScreen, skipWhenDependencyMissing, scenarioCode } from "./kiosk-support.ts";
import { adminCookie, createUser, signInUi, type TestUser } from "./staff-support.ts";

const BASE_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
];

let cashier: TestUser;
test.beforeAll(async () => {
  await skipWhenDependencyMissing("counter e2e");
  cashier = await createUser(await adminCookie(), "cashier");
});

test("on a phone without a bridge, the cashier reads the payment code with the camera and shows the tickets as QR codes", async () => {
  test.setTimeout(90_000);
  const video = join(tmpdir(), `counter-camera-${process.pid}-${Date.now()}.y4m`);
  writeQrVideo(video, scenarioCode("0000"));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      ...BASE_ARGS,
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      `--use-file-for-fake-video-capture=${video}`,
    ],
  });
  try {
    const context = await browser.newContext({
      baseURL: E2E.kioskUrl,
      viewport: { width: 390, height: 844 },
      permissions: ["camera"],
    });
    const page = await context.newPage();
    await signInUi(page, cashier);
    // A phone: nothing listens on its loopback bridge port.
    await page.goto(`/staff/counter?${new URLSearchParams({ bridge: "ws://127.0.0.1:9" }).toString()}`);
    await page.getByRole("button", { name: "Open shift at Window 1" }).click();
    await expect(page.getByTestId("bridge-state")).not.toHaveAttribute("data-connection", "ready");
    await page.getByRole("button", { name: "One more Flexi day pass" }).click();
    await page.getByRole("button", { name: "Take payment" }).click();
    await page.getByRole("button", { name: "Scan with camera" }).click();
    await expect(page.getByTestId("camera-scanner")).toBeVisible();
    await expect(page.getByTestId("counter-success")).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId("ticket-qr")).toHaveCount(1);
    await expect(page.getByTestId("print-row")).toHaveCount(0);
    await expect(page.getByTestId("counter-receipt")).toBeVisible();
    await checkScreen(page, "counter-08-phone-camera-qr-tickets");
  } finally {
    await browser.close();
  }
});
