/**
 * The fault drill, small: 30 purchases through a real api-server process behind the fault
 * proxy, SIGKILLed at least 3 times, then the checker. `npm run proof:faults` is the full run.
 */
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { runFaultDrill } from "./fault-drill.ts";

describe("fault drill (small)", () => {
  it("loses nothing and charges nothing twice across kills, garbled gateway traffic and duplicate notifications", async () => {
    const result = await runFaultDrill({
      purchases: 30,
      seed: 20261127,
      provider: "sqlite",
      protocol: "mapi",
      minKills: 3,
      holdSeconds: 10,
      paymentDeadlineSeconds: 10,
      upTimeMs: [1_000, 2_500],
      settleTimeoutMs: 90_000,
      parentEnv: process.env,
    });
    expect(result.report.findings).toEqual([]);
    expect(result.kills).toBeGreaterThanOrEqual(3);
    expect(result.restarts).toBe(result.kills);
    expect(Object.values(result.proxyFaults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(result.report.paidOrders).toBeGreaterThan(0);
    expect(result.terminalPayments).toBeGreaterThan(0); // partner terminals paid through /api/partner/v1 too
    expect(result.reconciliation.runs.every((r) => r.state === "completed")).toBe(true);
    expect(result.report.chargedTrades).toBeGreaterThanOrEqual(result.report.paidOrders);
    rmSync(dirname(result.logFile), { recursive: true, force: true }); // kept only when the drill failed
  }, 150_000);

  it("over Antom too: JSON answers with header signatures garbled, notifyPayment duplicated, the report read over SFTP", async () => {
    const result = await runFaultDrill({
      purchases: 20,
      seed: 20261205,
      provider: "sqlite",
      protocol: "antom",
      minKills: 3,
      holdSeconds: 10,
      paymentDeadlineSeconds: 10,
      upTimeMs: [1_000, 2_500],
      settleTimeoutMs: 90_000,
      parentEnv: process.env,
    });
    expect(result.report.findings).toEqual([]);
    expect(result.kills).toBeGreaterThanOrEqual(3);
    expect(result.report.paidOrders).toBeGreaterThan(0);
    expect(result.gatewayCalls).toBeGreaterThan(0);
    expect(result.reconciliation.runs.length).toBeGreaterThan(0);
    expect(result.reconciliation.runs.every((r) => r.state === "completed" && r.matched > 0)).toBe(true);
    expect(result.report.chargedTrades).toBeGreaterThanOrEqual(result.report.paidOrders);
    rmSync(dirname(result.logFile), { recursive: true, force: true }); // kept only when the drill failed
  }, 150_000);
});
