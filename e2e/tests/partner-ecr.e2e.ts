/**
 * A third-party ECR in the browser (issue 18): a simulated cash register page (e2e/ecr/ecr.html,
 * not part of the product, served by this spec on the server's origin) drives the partner
 * payment API like a vendor's POS: instant payment, PIN wait, decline, the buyer walking away,
 * refund, and a lost network answer followed by an idempotent retry.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { E2E, demoCredentials } from "../support/system.ts";
import { BRIDGE_URL, printerJobs } from "./kiosk-support.ts";
import { adminCookie, mutate, query, scenarioCode } from "./staff-support.ts";

const ECR_HTML = readFileSync(join(import.meta.dirname, "../ecr/ecr.html"), "utf8");
const ECR_PATH = "/__ecr-simulator/index.html";

let key = "";
let fragment = "";
let timezone = "UTC";

test.beforeAll(async () => {
  const admin = await adminCookie();
  const [attraction] = await query<{ id: string; currency: string; timezone: string }[]>(
    "console.attractions",
    undefined,
    {
      cookie: admin,
    },
  );
  const store = `ECR${Date.now() % 1_000_000}`;
  const made = await mutate<{ key: string }>(
    "terminal.create",
    { attractionId: attraction!.id, storeId: store, terminalCode: "ECR-1", name: "Simulated ECR" },
    { cookie: admin },
  );
  key = made.key;
  timezone = attraction!.timezone;
  fragment = new URLSearchParams({
    key,
    store,
    terminal: "ECR-1",
    currency: attraction!.currency,
    bridge: BRIDGE_URL,
    bridgeToken: demoCredentials().bridgePairingToken,
  }).toString();
});

async function openEcr(page: Page): Promise<void> {
  // A page the test serves itself has no network address, so Chromium treats it as public and
  // asks before it reaches the loopback bridge (Local Network Access): grant it, as a vendor would.
  await page.context().grantPermissions(["local-network-access"]);
  await page.route(`${E2E.kioskUrl}${ECR_PATH}`, (route) =>
    route.fulfill({ status: 200, contentType: "text/html", body: ECR_HTML }),
  );
  await page.goto(`${ECR_PATH}#${fragment}`);
  await expect(page.getByRole("heading", { name: "Simulated ECR" })).toBeVisible();
}

async function pay(page: Page, code: string): Promise<void> {
  await page.locator("#code").fill(code);
  await page.getByRole("button", { name: "Pay" }).click();
}

test("a vendor's ECR takes Alipay through the partner API", async ({ page }) => {
  test.setTimeout(120_000);
  await openEcr(page);
  const status = page.locator("#status");

  // Instant payment, then a refund of it.
  await pay(page, scenarioCode("0000"));
  await expect(status).toHaveText("succeeded");
  await expect(page.locator("#receipt")).toContainText("Alipay trade:");
  // The receipt through the terminal's bridge: ESC/POS on its (virtual) printer.
  const reference = (await page.locator("#receipt").textContent())!.match(/Ref: (\S+)/)![1]!;
  await page.getByRole("button", { name: "Print receipt" }).click();
  await expect(page.locator("#print-status")).toHaveText("printed", { timeout: 20_000 });
  const printed = (await printerJobs()).filter((j) => j.text.includes(reference));
  expect(printed).toHaveLength(1);
  expect(printed[0]!.text).toContain("Alipay trade");
  await page.getByRole("button", { name: "Refund" }).click();
  await expect(status).toHaveText("refunded", { timeout: 20_000 });

  // PIN wait: processing at once, then succeeded by long-poll.
  await pay(page, scenarioCode("0010", "0003"));
  await expect(status).toHaveText("processing");
  await expect(status).toHaveText("succeeded", { timeout: 30_000 });

  // Decline.
  await pay(page, scenarioCode("0001"));
  await expect(status).toHaveText("failed");

  // The buyer walks away during the PIN wait.
  await pay(page, scenarioCode("0011"));
  await expect(status).toHaveText("processing");
  await page.getByRole("button", { name: "Buyer walked away" }).click();
  await expect(status).toHaveText("cancelled", { timeout: 30_000 });

  // The first answer is lost after the server acted: the retry with the same key gets the same payment.
  let isDropped = false;
  await page.route(`${E2E.kioskUrl}/api/partner/v1/payments`, async (route) => {
    if (route.request().method() === "POST" && !isDropped) {
      isDropped = true;
      await route.fetch(); // reaches the server…
      await route.abort("connectionreset"); // …but the ECR never sees the answer
      return;
    }
    await route.continue();
  });
  await page.locator("#tries").evaluate((el) => (el.textContent = "0"));
  await pay(page, scenarioCode("0000"));
  await expect(status).toHaveText("succeeded");
  await expect(page.locator("#replayed")).toHaveText("true");
  await expect(page.locator("#tries")).toHaveText("2");
  const id = await page.locator("#payment-id").textContent();
  const day = new Intl.DateTimeFormat("en-CA", { timeZone: timezone }).format(new Date());
  const res = await fetch(`${E2E.kioskUrl}/api/partner/v1/payments?date=${day}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  const list = (await res.json()) as { payments: { id: string; reference: string; status: string }[] };
  const mine = list.payments.find((p) => p.id === id);
  expect(mine?.status).toBe("succeeded");
  expect(list.payments.filter((p) => p.reference === mine?.reference)).toHaveLength(1);
});
