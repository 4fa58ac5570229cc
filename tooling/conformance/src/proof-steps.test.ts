/**
 * The conformance steps for issue 14, items 1, 3 and 4, against our sandbox. They judge the
 * server's money path, so they pass only with that behaviour in place: items 1 and 4 from the
 * notification work (wip-notify: proven notifications, late successes after a no-trade
 * cancel, sandbox scenario 0022 unknown_late_paid), item 3 from the refund work (wip-refundq:
 * fund_change=N confirmed by the refund query, which the sandbox must answer).
 */
import { afterEach, describe, expect, it } from "vitest";
import { startOwnSandbox, type OwnSandbox } from "./own-sandbox.ts";
import { runConformance } from "./runner.ts";

let own: OwnSandbox | undefined;
afterEach(async () => {
  await own?.close();
  own = undefined;
});

describe.each(["mapi", "openapi"] as const)("issue 14 steps against the sandbox (%s)", (protocol) => {
  it("passes notification_proof, refund_confirmed and late_success_after_cancel", async () => {
    own = await startOwnSandbox({ protocol });
    const report = await runConformance({
      gateway: own.gateway,
      targetKind: "own_sandbox",
      env: "sandbox",
      timeline: own.timeline,
      only: ["notification_proof", "refund_confirmed", "late_success_after_cancel"],
    });
    const failed = report.steps.flatMap((s) =>
      s.checks.filter((c) => !c.ok).map((c) => `${s.id}: ${c.name}: ${c.detail}`),
    );
    expect(failed).toEqual([]);
    expect(report.steps.map((s) => s.status)).toEqual(["passed", "passed", "passed"]);
    const notification = report.steps[0];
    // One payment per unproven notification plus the honest one, which alone is PAID.
    expect(notification?.payments.filter((p) => p.state === "PAID")).toHaveLength(1);
    expect(notification?.payments.filter((p) => p.state === "NEEDS_ATTENTION").length).toBe(
      (notification?.payments.length ?? 0) - 1,
    );
    if (protocol === "openapi") {
      const ops = report.steps[1]?.exchanges.map((e) => e.operation) ?? [];
      expect(ops).toContain("refund_query");
    }
  });
});
