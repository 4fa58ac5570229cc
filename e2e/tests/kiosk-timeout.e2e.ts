/**
 * The timed-out screen in every language, with a short configured deadline: a second kiosk
 * server on the same database, started with PAYMENT_DEADLINE_SECONDS=10, takes the page's
 * payment.start calls (the page itself stays on the suite's server and bridge), so each
 * payment it starts carries a 10 s deadline; the buyer never confirms (scenario 0011) and the
 * server cancels at the deadline. Screens: artifacts/screens/<locale>-13-failure-timed-out.png.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { E2E, demoCredentials } from "../support/system.ts";
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

const ROOT = join(import.meta.dirname, "../..");
const SHORT_DEADLINE_S = 10;
const SHORT_PORT = E2E.ports.kiosk + 40;
const SHORT_URL = `http://127.0.0.1:${SHORT_PORT}`;

const TIMED_OUT_TITLE = {
  en: "The payment timed out",
  "zh-Hans": "付款超时",
  "zh-Hant": "付款逾時",
  ja: "お支払いがタイムアウトしました",
  ko: "결제 시간이 초과되었습니다",
};
const NOT_CHARGED = {
  en: "You have not been charged.",
  "zh-Hans": "您没有被扣款。",
  "zh-Hant": "您沒有被扣款。",
  ja: "料金は請求されていません。",
  ko: "요금이 청구되지 않았습니다.",
};

let credential = "";
let shortServer: ChildProcess | null = null;

test.beforeAll(async () => {
  test.setTimeout(150_000);
  await skipWhenDependencyMissing("kiosk e2e");
  credential = await kioskCredential();
  await setPaper("ok");
  // The same server build and configuration as scripts/start.mjs gives the suite's server, but a 10 s deadline.
  shortServer = spawn(process.execPath, ["--import", "tsx", "server.ts"], {
    cwd: join(ROOT, "apps/kiosk"),
    stdio: "ignore",
    env: {
      ...process.env,
      NEXT_TELEMETRY_DISABLED: "1",
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(SHORT_PORT),
      DATABASE_URL: `file:${join(E2E.dataDir, "kiosk.db")}`,
      TICKET_KEYS_DIR: join(E2E.dataDir, "keys"),
      PUBLIC_URL: E2E.kioskUrl,
      ALIPAY_GATEWAY_URL: `${E2E.sandboxUrl}/gateway.do`,
      ALIPAY_NOTIFY_URL: `${E2E.kioskUrl}/api/alipay/notify`,
      BRIDGE_URL: `ws://127.0.0.1:${E2E.ports.bridge}`,
      BRIDGE_TOKEN: demoCredentials().bridgePairingToken,
      PAYMENT_DEADLINE_SECONDS: String(SHORT_DEADLINE_S),
    },
  });
  await expect
    .poll(
      async () =>
        (
          await fetch(`${SHORT_URL}/readyz`, {
            signal: AbortSignal.timeout(2_000),
          }).catch(() => null)
        )?.status ?? 0,
      {
        timeout: 120_000,
        intervals: [500],
        message: "the short-deadline kiosk server",
      },
    )
    .toBe(200);
});

test.afterAll(() => {
  shortServer?.kill("SIGTERM");
});

for (const locale of LOCALES) {
  test(`${locale}: nobody confirms before the (10 s) deadline: timed out, 'you have not been charged'`, async ({
    page,
  }) => {
    test.setTimeout(120_000);
    // Only the payment start goes to the short-deadline server (same database, same device credential).
    await page.route(/\/api\/trpc\/[^?]*payment\.start/, async (route) => {
      const url = new URL(route.request().url());
      const response = await route.fetch({
        url: `${SHORT_URL}${url.pathname}${url.search}`,
      });
      await route.fulfill({ response });
    });
    await openKiosk(page, credential);
    await walkToScan(page, locale);
    const startedAt = Date.now();
    await scan(scenarioCode("0011"));
    await expect(page.locator("[data-phase=waiting_pin]")).toBeVisible({
      timeout: 15_000,
    });
    await expectScreen(page, "failure", 60_000);
    // The short deadline, not the default 60 s one, ended it.
    expect(Date.now() - startedAt).toBeLessThan(55_000);
    await expect(page.locator("[data-reason=timed_out]")).toBeVisible();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(TIMED_OUT_TITLE[locale]);
    await expect(page.getByText(NOT_CHARGED[locale]).first()).toBeVisible();
    await checkScreen(page, `${locale}-13-failure-timed-out`);
  });
}
