/**
 * Issue 18: `--via terminal` runs the steps that make sense for a partner terminal through the
 * partner payment API over real HTTP (/api/partner/v1, a registered terminal's key) instead of
 * the kiosk path, against the sandbox it starts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ConformanceReportSchema, TERMINAL_STEP_IDS } from "@kiosk/api/conformance/report.ts";
import { startOwnSandbox, type OwnSandbox } from "./own-sandbox.ts";
import { runConformance } from "./runner.ts";

let own: OwnSandbox | undefined;
afterEach(async () => {
  await own?.close();
  own = undefined;
});

describe("conformance validator through the terminal API", () => {
  it("passes instant pay, idempotent replay, PIN wait confirm / never (cancel) / reject, decline and refunds", async () => {
    own = await startOwnSandbox();
    const report = await runConformance({
      gateway: own.gateway,
      targetKind: "own_sandbox",
      env: "sandbox",
      timeline: own.timeline,
      via: "terminal",
    });
    expect(() => ConformanceReportSchema.parse(report)).not.toThrow();
    expect(report.steps.map((s) => s.id)).toEqual([...TERMINAL_STEP_IDS]);
    const failed = report.steps.filter((s) => s.status !== "passed").map((s) => `${s.id}: ${s.reason ?? ""}`);
    expect(failed).toEqual([]);
    const byId = new Map(report.steps.map((s) => [s.id, s]));
    // The replay sends nothing to Alipay; every other step talks to the gateway.
    expect(byId.get("terminal_replay")!.exchanges).toEqual([]);
    for (const id of TERMINAL_STEP_IDS.filter((s) => s !== "terminal_replay"))
      expect(byId.get(id)!.exchanges.length, id).toBeGreaterThan(0);
    expect(byId.get("terminal_pin_never")!.exchanges.some((e) => e.operation === "cancel")).toBe(true);
    expect(byId.get("terminal_refund")!.exchanges.filter((e) => e.operation === "refund").length).toBe(2);
    expect(JSON.stringify(report)).not.toMatch(/(?<!\d)28\d{16}(?!\d)/);
  });
});
