// The fault-injection proof (`npm run proof:faults`): runs of purchases through a real server
// process that is SIGKILLed and restarted, behind a fault proxy; then the checker. Prints the
// figures; exits 1 on any loss, double charge, stale hold, unsettled payment or reconciliation
// difference. See README.md ("Fault-injection proof").
// usage: npm run proof:faults -- [--purchases 200] [--seed N] [--db sqlite|postgresql] [--runs 2] [--kills 10] [--protocol mapi|openapi|antom]
// (DRILL_PROTOCOL=antom does the same as --protocol antom.)
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { FAULT_KINDS } from "@kiosk/alipay-sandbox";
import { runFaultDrill, type DrillResult } from "./fault-drill.ts";

const { values } = parseArgs({
  options: {
    purchases: { type: "string", default: "200" },
    seed: { type: "string" },
    db: { type: "string", default: "sqlite" },
    runs: { type: "string", default: "2" },
    kills: { type: "string" },
    protocol: { type: "string" },
  },
});

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`--${name} must be a whole number of at least 1, got "${raw}"\n`);
    process.exit(2);
  }
  return n;
}

const purchases = positiveInt("purchases", values.purchases, 200);
const runs = positiveInt("runs", values.runs, 2);
const minKills = positiveInt("kills", values.kills, Math.max(3, Math.ceil(purchases / 20)));
const seed = positiveInt("seed", values.seed, 1 + Math.floor(Math.random() * 1_000_000));
if (values.db !== "sqlite" && values.db !== "postgresql") {
  process.stderr.write(`--db must be sqlite or postgresql, got "${values.db}"\n`);
  process.exit(2);
}
const protocolArg = values.protocol ?? (process.env["DRILL_PROTOCOL"] || undefined);
if (protocolArg !== undefined && protocolArg !== "mapi" && protocolArg !== "openapi" && protocolArg !== "antom") {
  process.stderr.write(`--protocol must be mapi, openapi or antom, got "${protocolArg}"\n`);
  process.exit(2);
}
const pgUrl = process.env.TEST_DATABASE_URL;
if (values.db === "postgresql" && !pgUrl) {
  process.stderr.write("--db postgresql needs TEST_DATABASE_URL (a server the drill may create a database on)\n");
  process.exit(2);
}

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const results: DrillResult[] = [];
const startedAt = Date.now();
for (let run = 0; run < runs; run++) {
  // Runs alternate the protocols, so both XML (MAPI) and JSON (OpenAPI) answers get garbled.
  const protocol = (protocolArg as "mapi" | "openapi" | "antom" | undefined) ?? (run % 2 === 0 ? "mapi" : "openapi");
  say(
    `run ${run + 1}/${runs}: ${purchases} purchases, ${values.db}, ${protocol}, seed ${seed + run}, at least ${minKills} kills`,
  );
  const result = await runFaultDrill({
    purchases,
    seed: seed + run,
    provider: values.db,
    ...(pgUrl ? { pgUrl } : {}),
    protocol,
    minKills,
    parentEnv: process.env,
    onProgress: (line) => say(`  ${line}`),
  });
  results.push(result);
  const c = result.report.counts;
  say(
    `  run ${run + 1}: ${result.kills} kills, ${result.terminalPayments} terminal payments, losses ${c.loss}, double charges ${c.double_charge}, stale holds ${c.stale_hold}, reconciliation differences ${c.reconciliation_difference}, ${Math.round(result.wallTimeMs / 1000)} s (server log ${result.logFile})`,
  );
  for (const [what, n] of Object.entries(result.refusals)) say(`  refused ${n}× ${what}`);
  for (const f of result.report.findings) say(`  FINDING ${f.kind} ${f.subject}: ${f.detail}`);
}

const sum = (pick: (r: DrillResult) => number): number => results.reduce((s, r) => s + pick(r), 0);
const proxyFaults = Object.fromEntries(FAULT_KINDS.map((k) => [k, sum((r) => r.proxyFaults[k])]));
const scenarioFaults: Record<string, number> = {};
for (const r of results)
  for (const [k, v] of Object.entries(r.scenarioFaults)) scenarioFaults[k] = (scenarioFaults[k] ?? 0) + (v ?? 0);
const states: Record<string, number> = {};
for (const r of results) for (const [k, v] of Object.entries(r.paymentStates)) states[k] = (states[k] ?? 0) + v;
const faultsTotal =
  Object.values(proxyFaults).reduce((a, b) => a + b, 0) + Object.values(scenarioFaults).reduce((a, b) => a + b, 0);
const figures = {
  runs: results.length,
  purchases: sum((r) => r.purchases),
  ordersCreated: sum((r) => r.ordersCreated),
  paymentsStarted: sum((r) => r.paymentsStarted),
  terminalPayments: sum((r) => r.terminalPayments),
  abandonedCarts: sum((r) => r.abandonedCarts),
  visitorCancels: sum((r) => r.visitorCancels),
  refused: sum((r) => r.refused),
  refundsRequested: sum((r) => r.refundsRequested),
  paymentStates: states,
  gatewayCalls: sum((r) => r.gatewayCalls),
  notifications: sum((r) => r.notifications),
  faultsInjected: faultsTotal,
  proxyFaults,
  scenarioFaults,
  kills: sum((r) => r.kills),
  restarts: sum((r) => r.restarts),
  gatewayTrades: sum((r) => r.report.gatewayTrades),
  chargedTrades: sum((r) => r.report.chargedTrades),
  paidOrders: sum((r) => r.report.paidOrders),
  ticketsIssued: sum((r) => r.report.ticketsIssued),
  losses: sum((r) => r.report.counts.loss),
  doubleCharges: sum((r) => r.report.counts.double_charge),
  ticketsIssuedTwice: sum((r) => r.report.counts.tickets_twice),
  staleHolds: sum((r) => r.report.counts.stale_hold),
  longestHoldOverrunSec: Math.max(0, ...results.map((r) => r.report.longestHoldOverrunMs)) / 1000,
  heldCounterDrift: sum((r) => r.report.counts.held_counter_drift),
  unsettledPayments: sum((r) => r.report.counts.unsettled),
  gatewayMismatches: sum((r) => r.report.counts.gateway_mismatch),
  reconciliationRuns: sum((r) => r.reconciliation.runs.length),
  reconciliationDifferences: sum((r) => r.report.counts.reconciliation_difference),
  seed,
  database: values.db,
  wallTimeSec: Math.round((Date.now() - startedAt) / 1000),
};
const line = (label: string, value: unknown): void =>
  say(
    `${label.padEnd(28)} ${
      typeof value === "object"
        ? Object.entries(value as Record<string, number>)
            .map(([k, v]) => `${k} ${v}`)
            .join(", ")
        : String(value)
    }`,
  );
say("");
say("== proof:faults ==");
line("runs", figures.runs);
line(
  "purchases",
  `${figures.purchases} (orders ${figures.ordersCreated}, payments ${figures.paymentsStarted}, abandoned carts ${figures.abandonedCarts}, visitor cancels ${figures.visitorCancels}, staff refunds acknowledged ${figures.refundsRequested}, refused ${figures.refused})`,
);
line("payments by end state", figures.paymentStates);
line("gateway calls / notifications", `${figures.gatewayCalls} / ${figures.notifications}`);
line("faults injected", figures.faultsInjected);
line("  by the proxy", figures.proxyFaults);
line("  by scenario codes", figures.scenarioFaults);
line("kills / restarts", `${figures.kills} / ${figures.restarts}`);
line("gateway trades (charged)", `${figures.gatewayTrades} (${figures.chargedTrades})`);
line("paid orders / tickets", `${figures.paidOrders} / ${figures.ticketsIssued}`);
line("losses", figures.losses);
line("double charges", figures.doubleCharges);
line("tickets issued twice", figures.ticketsIssuedTwice);
line(
  "stale holds",
  `${figures.staleHolds} (longest hold past its expiry: ${figures.longestHoldOverrunSec.toFixed(1)} s; allowed 15 s)`,
);
line("held counter drift", figures.heldCounterDrift);
line("unsettled payments", figures.unsettledPayments);
line("ledger/gateway mismatches", figures.gatewayMismatches);
line("reconciliation differences", `${figures.reconciliationDifferences} (${figures.reconciliationRuns} runs)`);
line("wall time", `${figures.wallTimeSec} s`);
if (process.env.PROOF_OUT) writeFileSync(process.env.PROOF_OUT, JSON.stringify({ figures }, null, 2));
const isFailed =
  figures.losses +
    figures.doubleCharges +
    figures.ticketsIssuedTwice +
    figures.staleHolds +
    figures.heldCounterDrift +
    figures.unsettledPayments +
    figures.gatewayMismatches +
    figures.reconciliationDifferences >
  0;
say(isFailed ? "FAILED: see the findings above" : "OK: nothing lost, nothing charged twice");
process.exit(isFailed ? 1 : 0);
