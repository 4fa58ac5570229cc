import { generateKeyPairSync } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderReportHtml } from "@kiosk/api/conformance/render-html.ts";
import { ConformanceReportSchema, STEP_IDS, type ConformanceReport } from "@kiosk/api/conformance/report.ts";
import { readReportFile, writeReportFiles } from "@kiosk/api/conformance/report-files.ts";
import { startOwnSandbox, type OwnSandbox } from "./own-sandbox.ts";
import { runConformance } from "./runner.ts";

let own: OwnSandbox | undefined;
afterEach(async () => {
  await own?.close();
  own = undefined;
});

function statuses(report: ConformanceReport): Record<string, string> {
  return Object.fromEntries(report.steps.map((s) => [s.id, s.status]));
}

describe("conformance validator against the sandbox", () => {
  it("passes every step, records every exchange with its signature verdict and masks payment codes", async () => {
    own = await startOwnSandbox();
    const report = await runConformance({
      gateway: own.gateway,
      targetKind: "own_sandbox",
      env: "sandbox",
      timeline: own.timeline,
    });
    expect(() => ConformanceReportSchema.parse(report)).not.toThrow();
    const failed = report.steps.filter((s) => s.status !== "passed").map((s) => `${s.id}: ${s.reason ?? ""}`);
    expect(failed).toEqual([]);
    expect(report.steps.map((s) => s.id)).toEqual([...STEP_IDS]);
    expect(report.summary).toMatchObject({
      total: STEP_IDS.length,
      passed: STEP_IDS.length,
      failed: 0,
      isPassing: true,
    });
    for (const step of report.steps) expect(step.exchanges.length).toBeGreaterThan(0);
    const all = report.steps.flatMap((s) => s.exchanges);
    expect(all.some((e) => e.signature === "verified")).toBe(true);
    const tampered = report.steps
      .find((s) => s.id === "tampered_response")
      ?.exchanges.filter((e) => e.signature === "failed");
    expect(tampered).toHaveLength(1);
    // A scenario code is 28 + 8 serial digits + 8 scenario digits: none may appear whole,
    // neither in requests nor in the gateway's echo of them.
    const text = JSON.stringify(report);
    expect(text).toContain("buyer_identity_code=28************");
    expect(text).not.toMatch(/(?<!\d)28\d{16}(?!\d)/);
    expect(text).not.toMatch(/PRIVATE KEY/);

    const html = renderReportHtml(report);
    for (const step of report.steps) {
      expect(html).toContain(`data-step="${step.id}" data-status="passed"`);
      expect(html).toContain(step.title);
    }
    expect(html.match(/<details class="exchange">/g)).toHaveLength(all.length);
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);

    const dir = mkdtempSync(join(tmpdir(), "conformance-"));
    try {
      const { jsonPath, htmlPath } = writeReportFiles(report, dir);
      expect(readReportFile(dir, report.runId)).toEqual(report);
      expect(JSON.parse(readFileSync(join(dir, "latest.json"), "utf8"))).toEqual(
        JSON.parse(readFileSync(jsonPath, "utf8")),
      );
      expect(readFileSync(htmlPath, "utf8")).toBe(html);
      expect(() => readReportFile(dir, "../etc/passwd")).toThrow(RangeError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--protocol antom: every step passes over Antom, with the payment code masked in its JSON bodies", async () => {
    own = await startOwnSandbox({ protocol: "antom" });
    // Every step, the settlement report read from the sandbox's SFTP server.
    const antomSteps = [...STEP_IDS];
    const report = await runConformance({
      gateway: own.gateway,
      targetKind: "own_sandbox",
      env: "sandbox",
      timeline: own.timeline,
      only: antomSteps,
    });
    expect(() => ConformanceReportSchema.parse(report)).not.toThrow();
    expect(report.target).toMatchObject({ protocol: "antom", signType: "RSA2" });
    const failed = report.steps.filter((s) => s.status === "failed").map((s) => `${s.id}: ${s.reason ?? ""}`);
    expect(failed).toEqual([]);
    expect(report.steps.filter((s) => s.status === "passed").map((s) => s.id)).toEqual(antomSteps);
    const all = report.steps.flatMap((s) => s.exchanges);
    // Every gateway answer carried its (header) signature; only the proxy's own 502 for a dropped connection did not.
    expect(all.filter((e) => e.signature === "unsigned" && e.response?.status === 200)).toEqual([]);
    expect(all.filter((e) => e.signature === "verified").length).toBeGreaterThan(30);
    const text = JSON.stringify(report);
    expect(text).toContain('paymentMethodId\\":\\"28************');
    expect(text).not.toMatch(/(?<!\d)28\d{16}(?!\d)/);
  });

  it("sends notify_url with every pay, as a live gateway requires (issue 14)", async () => {
    own = await startOwnSandbox();
    const notifyUrl = "https://kiosk.example/api/alipay/notify";
    const report = await runConformance({
      gateway: { ...own.gateway, notifyUrl },
      targetKind: "own_sandbox",
      env: "sandbox",
      timeline: own.timeline,
      only: ["pay_success"],
    });
    const pays = report.steps
      .flatMap((s) => s.exchanges)
      .filter((e) => e.request.body.includes("alipay.acquire.overseas.spot.pay"));
    expect(pays.length).toBeGreaterThan(0);
    for (const e of pays) expect(new URLSearchParams(e.request.body).get("notify_url")).toBe(notifyUrl);
  });

  it("fails the signed steps when the gateway's public key does not match", async () => {
    const otherKey = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .publicKey.export({ type: "spki", format: "pem" })
      .toString();
    own = await startOwnSandbox({ alipayPublicKey: otherKey });
    const report = await runConformance({
      gateway: own.gateway,
      targetKind: "own_sandbox",
      env: "sandbox",
      timeline: own.timeline,
    });
    expect(report.summary.isPassing).toBe(false);
    const pay = report.steps.find((s) => s.id === "pay_success");
    expect(pay?.status).toBe("failed");
    expect(pay?.exchanges[0]).toMatchObject({
      signature: "failed",
      errorName: "AlipaySignatureError",
    });
    // Nothing signed is believed: no step that needs a verified answer can pass.
    for (const id of [
      "pay_success",
      "pin_wait",
      "unknown_then_query",
      "timeout_then_cancel",
      "refund_partial",
      "refund_full",
      "tampered_response",
    ]) {
      expect(statuses(report)[id], id).toBe("failed");
    }
    const signed = report.steps.flatMap((s) => s.exchanges).filter((e) => e.response?.body.includes("<sign>"));
    expect(signed.length).toBeGreaterThan(0);
    expect(signed.every((e) => e.signature === "failed")).toBe(true);
  });

  it("fails the steps that need an answer when the sandbox answers SYSTEM_ERROR to everything", async () => {
    own = await startOwnSandbox();
    own.sandbox.setFaults({ systemErrorNext: 1_000_000 });
    const report = await runConformance({
      gateway: own.gateway,
      targetKind: "own_sandbox",
      env: "sandbox",
      timeline: own.timeline,
      only: [
        "pay_success",
        "system_error_retries",
        "timeout_then_cancel",
        "cancel_retries",
        "refund_partial",
        "settlement_download",
      ],
    });
    expect(statuses(report)).toEqual({
      pay_success: "failed",
      system_error_retries: "failed",
      timeout_then_cancel: "failed",
      cancel_retries: "failed",
      refund_partial: "failed",
      settlement_download: "failed",
    });
    const pay = report.steps[0];
    expect(pay?.payments[0]?.state).not.toBe("PAID");
    // Queries never proved there is no trade, so the pay was never resent.
    const systemError = report.steps.find((s) => s.id === "system_error_retries");
    expect(systemError?.reason).toMatch(/^payment state/);
    expect(systemError?.exchanges.filter((e) => e.operation === "pay")).toHaveLength(1);
    expect(pay?.exchanges.every((e) => e.reason === "SYSTEM_ERROR" && e.signature === "unsigned")).toBe(true);
  });
});

describe("conformance validator against a live gateway configuration", () => {
  it("skips sandbox-only steps and steps without a merchant test code", async () => {
    own = await startOwnSandbox();
    // A live run that was given a code only for the instant payment (here a sandbox success code).
    const report = await runConformance({
      gateway: own.gateway,
      targetKind: "configured",
      env: "live",
      timeline: own.timeline,
      codes: { pay_success: "280000000100000000" },
      only: ["pay_success", "pin_wait", "unknown_then_query", "system_error_retries", "cancel_retries", "refund_full"],
    });
    expect(statuses(report)).toEqual({
      pay_success: "passed",
      pin_wait: "skipped",
      unknown_then_query: "skipped",
      system_error_retries: "skipped",
      cancel_retries: "skipped",
      refund_full: "passed",
    });
    expect(report.steps.find((s) => s.id === "cancel_retries")?.reason).toBe(
      "needs the sandbox: its operator switch (PUT /sandbox/faults) is not on this gateway",
    );
    expect(report.steps.find((s) => s.id === "pin_wait")?.reason).toContain("--code pin_wait=");
    expect(report.summary.isPassing).toBe(true);
  });

  it("skips the refunds too when there is no code for the payment they refund", async () => {
    own = await startOwnSandbox();
    const report = await runConformance({
      gateway: own.gateway,
      targetKind: "configured",
      env: "live",
      timeline: own.timeline,
      only: ["pay_success", "refund_partial", "refund_full"],
    });
    expect(statuses(report)).toEqual({
      pay_success: "skipped",
      refund_partial: "skipped",
      refund_full: "skipped",
    });
    expect(report.steps.every((s) => s.exchanges.length === 0)).toBe(true);
  });
});
