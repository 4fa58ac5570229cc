/**
 * Staff console → Conformance: an admin runs the Alipay conformance validator against the
 * server's configured gateway (the suite's sandbox, real time), follows the steps, sees every
 * step pass, opens a step's exchanges and downloads both reports; a viewer gets neither the
 * page nor the procedures.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { demoCredentials } from "../support/system.ts";
import { SCREENS_DIR } from "./kiosk-support.ts";
import {
  adminCookie,
  auditEntries,
  createUser,
  loginCookie,
  mutate,
  query,
  signInUi,
  TrpcError,
  type TestUser,
} from "./staff-support.ts";

const STEPS = [
  "pay_success",
  "pin_wait",
  "unknown_then_query",
  "system_error_retries",
  "timeout_then_cancel",
  "cancel_retries",
  "refund_partial",
  "refund_full",
  "tampered_response",
  "settlement_download",
  "notification_proof",
  "refund_confirmed",
  "late_success_after_cancel",
];

let viewer: TestUser;

test.beforeAll(async () => {
  viewer = await createUser(await adminCookie(), "viewer");
});

test("an admin runs the conformance validator on the page and sees every step pass", async ({ page }) => {
  // Real time on the production policy: the time-out step waits for the 60 s deadline, the
  // late-charge step for a charge landing 75 s after its pay.
  test.setTimeout(420_000);
  const c = demoCredentials();
  await signInUi(page, { email: c.adminEmail, password: c.adminPassword });
  await page
    .getByRole("navigation", { name: "Console sections" })
    .getByRole("link", { name: "Conformance", exact: true })
    .click();
  await page.getByRole("button", { name: "Run conformance" }).click();
  const run = page.getByTestId("conformance-run");
  await expect(run).toHaveAttribute("data-status", "running");
  // One run at a time: a second start while this one runs is refused.
  const second = await mutate("conformance.start", undefined, {
    cookie: await adminCookie(),
  }).then(
    () => null,
    (e: unknown) => e,
  );
  expect((second as TrpcError).code).toBe("CONFLICT");
  await expect(run).toHaveAttribute("data-status", "finished", {
    timeout: 390_000,
  });
  for (const id of STEPS)
    await expect(run.locator(`tr[data-step="${id}"]`), id).toHaveAttribute("data-status", "passed");
  await expect(page.getByTestId("conformance-summary")).toContainText("passing: 13 passed, 0 failed, 0 skipped");

  const tampered = page.locator('details[data-report-step="tampered_response"]');
  await tampered.locator("summary").first().click();
  await expect(tampered).toContainText("signature failed");
  await expect(tampered).toContainText("signature verified");
  await page.screenshot({
    path: join(SCREENS_DIR, "staff-conformance.png"),
    fullPage: true,
  });

  const json = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download JSON" }).click(),
  ]).then(([d]) => d.path());
  const report = JSON.parse(readFileSync(json, "utf8")) as {
    summary: { isPassing: boolean };
    steps: { id: string; status: string }[];
    target: { kind: string };
  };
  expect(report.summary.isPassing).toBe(true);
  expect(report.target.kind).toBe("configured");
  expect(report.steps.map((s) => s.id)).toEqual(STEPS);
  const html = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download HTML" }).click(),
  ]).then(([d]) => d.path());
  const text = readFileSync(html, "utf8");
  for (const id of STEPS) expect(text).toContain(`data-step="${id}" data-status="passed"`);

  const runId = await run.locator("code").first().textContent();
  const audit = await auditEntries(await adminCookie(), {
    targetType: "conformance_run",
  });
  expect(
    audit
      .filter((a) => a.targetId === runId)
      .map((a) => a.action)
      .sort(),
  ).toEqual(["conformance.finished", "conformance.started"]);
});

test("a viewer can neither open the conformance page nor start a run", async ({ page }) => {
  await signInUi(page, viewer);
  await expect(
    page.getByRole("navigation", { name: "Console sections" }).getByRole("link", { name: "Conformance" }),
  ).toHaveCount(0);
  await page.goto("/staff/conformance");
  await expect(page.getByRole("main").getByRole("alert")).toContainText("needs the admin role");
  await expect(page.getByRole("button", { name: "Run conformance" })).toHaveCount(0);
  const cookie = await loginCookie(viewer.email, viewer.password);
  for (const call of [
    () => mutate("conformance.start", undefined, { cookie }),
    () => query("conformance.latest", undefined, { cookie }),
  ]) {
    const error = await call().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TrpcError);
    expect((error as TrpcError).code).toBe("FORBIDDEN");
  }
});
