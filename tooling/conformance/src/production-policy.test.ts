/**
 * The validator conforms itself (issue 14, item 9): it polls a configured gateway on the
 * production schedule, accepts both correct SYSTEM_ERROR paths, and skips (never fails) the
 * steps that need our sandbox's operator switch on a gateway that has none.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { scenarioCode } from "@kiosk/alipay-sandbox";
import { afterEach, describe, expect, it } from "vitest";
import { startOwnSandbox, type OwnSandbox } from "./own-sandbox.ts";
import type { ConformanceReport, Exchange, StepId } from "@kiosk/api/conformance/report.ts";
import { runConformance } from "./runner.ts";
import { Checks } from "./scenarios.ts";
import { checkQuerySchedule } from "./wire-checks.ts";

let own: OwnSandbox | undefined;
let foreign: Server | undefined;
afterEach(async () => {
  if (foreign) {
    const server = foreign;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  foreign = undefined;
  await own?.close();
  own = undefined;
});

function step(report: ConformanceReport, id: StepId) {
  const found = report.steps.find((s) => s.id === id);
  if (!found) throw new Error(`no step ${id} in the report`);
  return found;
}

const ms = (e: Exchange): number => Date.parse(e.at);

/**
 * A gateway that is not our sandbox: it forwards the gateway path to the sandbox (so its
 * answers are real and signed) and has no operator API (`/sandbox/*` → 404), like Alipay's.
 */
async function startForeignGateway(gatewayUrl: string): Promise<string> {
  const upstream = new URL(gatewayUrl);
  foreign = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", upstream);
      if (url.pathname !== upstream.pathname) {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found");
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const answer = await fetch(url, {
        method: req.method ?? "GET",
        headers: {
          "content-type": req.headers["content-type"] ?? "text/plain",
        },
        ...(body.byteLength > 0 ? { body: new Uint8Array(body) } : {}),
      });
      const out = Buffer.from(await answer.arrayBuffer());
      res
        .writeHead(answer.status, {
          "content-type": answer.headers.get("content-type") ?? "text/plain",
        })
        .end(out);
    })();
  });
  const server = foreign;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}${upstream.pathname}`;
}

describe("the validator's own conduct against a configured gateway", () => {
  it("queries on the production schedule: the first query at least 3 s after the pay, then every 3–4 s", async () => {
    own = await startOwnSandbox();
    // A merchant's run against a live gateway, here with a code whose buyer takes 12 s to
    // enter the PIN; the injected clock records when each request went out.
    const report = await runConformance({
      gateway: own.gateway,
      targetKind: "configured",
      env: "live",
      timeline: own.timeline,
      codes: {
        pin_wait: scenarioCode("pin_wait_confirm", { parameter: 12, serial: 7 }),
      },
      only: ["pin_wait"],
    });
    const pinWait = step(report, "pin_wait");
    const pays = pinWait.exchanges.filter((e) => e.operation === "pay");
    const queries = pinWait.exchanges.filter((e) => e.operation === "query");
    expect(pays).toHaveLength(1);
    const times = [pays[0] as Exchange, ...queries].map(ms);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(gaps[0]).toBeGreaterThanOrEqual(3_000);
    expect(gaps[0]).toBeLessThanOrEqual(4_000);
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(3_000);
      expect(gap).toBeLessThanOrEqual(4_000);
    }
    expect(pinWait.status, pinWait.reason).toBe("passed");
    // The validator checks the same of the server it drives.
    expect(pinWait.checks.find((c) => c.name.startsWith("query schedule"))).toMatchObject({ ok: true });
  });

  it.each(["mapi", "openapi"] as const)(
    "%s: passes the SYSTEM_ERROR step when the gateway kept no trade and the identical pay was resent",
    async (protocol) => {
      own = await startOwnSandbox({ protocol });
      const report = await runConformance({
        gateway: own.gateway,
        targetKind: "own_sandbox",
        env: "sandbox",
        timeline: own.timeline,
        codes: {
          system_error_retries: scenarioCode("system_error_no_trade", {
            parameter: 2,
            serial: 11,
          }),
        },
        only: ["system_error_retries"],
      });
      const s = step(report, "system_error_retries");
      expect(s.status, s.reason).toBe("passed");
      expect(s.payments).toMatchObject([{ state: "PAID" }]);
      const pays = s.exchanges.filter((e) => e.operation === "pay");
      expect(pays).toHaveLength(3);
      const [first, ...resent] = pays;
      expect(new Set(pays.map((e) => e.partnerTransId)).size).toBe(1);
      for (const pay of resent) expect(pay.repeatOf).toBe(first?.seq);
      expect(s.checks.find((c) => c.name.startsWith("pay resent"))).toMatchObject({ ok: true });
    },
  );

  it("still passes the SYSTEM_ERROR step when the gateway kept the trade (one pay, then queries)", async () => {
    own = await startOwnSandbox();
    const report = await runConformance({
      gateway: own.gateway,
      targetKind: "own_sandbox",
      env: "sandbox",
      timeline: own.timeline,
      only: ["system_error_retries"],
    });
    const s = step(report, "system_error_retries");
    expect(s.status, s.reason).toBe("passed");
    expect(s.exchanges.filter((e) => e.operation === "pay")).toHaveLength(1);
  });

  it("fails the SYSTEM_ERROR step against a gateway whose pays always answer SYSTEM_ERROR, for the payment, not for the resends", async () => {
    own = await startOwnSandbox();
    const report = await runConformance({
      gateway: own.gateway,
      targetKind: "own_sandbox",
      env: "sandbox",
      timeline: own.timeline,
      codes: {
        system_error_retries: scenarioCode("system_error_no_trade", {
          parameter: 9999,
          serial: 12,
        }),
      },
      only: ["system_error_retries"],
    });
    const s = step(report, "system_error_retries");
    expect(s.status).toBe("failed");
    expect(s.reason).toMatch(/^payment state/);
    expect(s.payments[0]?.state).not.toBe("PAID");
    const pays = s.exchanges.filter((e) => e.operation === "pay");
    expect(pays).toHaveLength(3);
    expect(s.checks.find((c) => c.name.startsWith("pay resent"))).toMatchObject({ ok: true });
  });
});

describe("the query-schedule check", () => {
  const exchange = (seq: number, operation: string, atMs: number): Exchange => ({
    seq,
    at: new Date(Date.UTC(2026, 11, 5) + atMs).toISOString(),
    operation,
    apiName: operation,
    partnerTransId: "P1",
    request: { method: "POST", url: "http://gateway/", body: "" },
    response: null,
    signature: "verified",
    outcome: operation === "pay" ? "unknown" : "waiting_buyer",
    durationMs: 100,
  });
  const run = (times: number[]) => {
    const checks = new Checks();
    checkQuerySchedule(
      times.map((t, i) => exchange(i + 1, i === 0 ? "pay" : "query", t)),
      checks,
    );
    return checks.list;
  };

  it("passes the production schedule and fails polling faster than every 3 s or slower than 6 s", () => {
    expect(run([0, 3_500, 7_000, 10_500])).toMatchObject([{ ok: true }]);
    expect(run([0, 1_000, 2_000])).toMatchObject([
      { ok: false, detail: expect.stringContaining("query #2 1.0 s after pay #1") },
    ]);
    expect(run([0, 3_500, 5_000])).toMatchObject([{ ok: false }]);
    expect(run([0, 3_500, 12_000])).toMatchObject([{ ok: false }]);
    expect(run([0])).toEqual([]);
    // Once the trade is being cancelled, queries may be further apart (never closer).
    const cancelling = [
      exchange(1, "pay", 0),
      exchange(2, "cancel", 1_000),
      exchange(3, "query", 20_000),
      exchange(4, "query", 21_000),
    ];
    const checks = new Checks();
    checkQuerySchedule(cancelling, checks);
    expect(checks.list).toMatchObject([{ ok: false, detail: "query #4 1.0 s after query #3" }]);
  });
});

describe("steps that need our sandbox's operator switch", () => {
  it("are skipped, not failed, on a sandbox-environment gateway without the switch", async () => {
    own = await startOwnSandbox();
    const gatewayUrl = await startForeignGateway(own.gateway.gatewayUrl);
    const report = await runConformance({
      gateway: { ...own.gateway, gatewayUrl },
      targetKind: "configured",
      env: "sandbox",
      timeline: own.timeline,
      // The merchant has codes, even one for the cancel step: it still needs the switch.
      codes: {
        pay_success: scenarioCode("success", { serial: 21 }),
        cancel_retries: scenarioCode("pin_wait_never", { serial: 22 }),
      },
      only: [
        "pay_success",
        "unknown_then_query",
        "system_error_retries",
        "cancel_retries",
        "notification_proof",
        "refund_confirmed",
        "late_success_after_cancel",
      ],
    });
    expect(Object.fromEntries(report.steps.map((s) => [s.id, s.status]))).toEqual({
      pay_success: "passed",
      unknown_then_query: "skipped",
      system_error_retries: "skipped",
      cancel_retries: "skipped",
      notification_proof: "skipped",
      refund_confirmed: "skipped",
      late_success_after_cancel: "skipped",
    });
    expect(step(report, "cancel_retries").reason).toMatch(/operator switch/);
    expect(step(report, "unknown_then_query").reason).toContain("--code unknown_then_query=");
    expect(report.summary.isPassing).toBe(true);
    // Nothing was sent for the skipped cancel step beyond what it needed to find out.
    expect(step(report, "cancel_retries").exchanges).toEqual([]);
  });
});
