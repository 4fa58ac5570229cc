/**
 * `npm run proof:fleet` (scripts/fleet.mjs runs this): the fleet proof at full size, figures
 * printed with met/MISSED and written to bench-report/fleet.json; exits 1 when anything was found.
 * env: FLEET_SECONDS (default 300), FLEET_OUTAGE_SECONDS (20), FLEET_KIOSKS (6), FLEET_BOOKING_SYSTEMS (3),
 * FLEET_OUT (bench-report/fleet.json).
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { findRepoRoot } from "@kiosk/api/env.ts";
import { runFleetProof } from "./fleet-proof.ts";

const num = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
};
const seconds = num("FLEET_SECONDS", 300);
const outageSeconds = num("FLEET_OUTAGE_SECONDS", 20);
const out = process.env.FLEET_OUT ?? join(findRepoRoot(), "bench-report/fleet.json");
const say = (line: string) => process.stdout.write(`[fleet] ${line}\n`);
const loadBefore = loadavg()[0]!;

const result = await runFleetProof({
  seconds,
  outageSeconds,
  kiosks: num("FLEET_KIOSKS", 6),
  bookingSystems: num("FLEET_BOOKING_SYSTEMS", 3),
  parentEnv: process.env,
  onProgress: say,
});
const load = `load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after, ${cpus().length} cores`;
say(`${seconds} s of traffic, ${outageSeconds} s database outage; ${load}`);
say(`requests per server through the proxy: ${result.served.join(", ")}`);
for (const f of result.figures) {
  const verdict = f.met === null ? "" : f.met ? "  met" : "  MISSED";
  say(`${f.name.padEnd(66)} ${String(f.value).padStart(9)} ${f.unit.padEnd(12)} ${f.target ?? ""}${verdict}`);
}
if (Object.keys(result.failures).length > 0)
  say(`calls that failed around the faults: ${JSON.stringify(result.failures)}`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ at: new Date().toISOString(), seconds, outageSeconds, load, served: result.served, figures: result.figures, problems: result.problems, failures: result.failures }, null, 2)}\n`,
);
if (result.problems.length > 0) {
  say(`FLEET PROOF FAILED (log: ${result.logFile}):\n- ${result.problems.join("\n- ")}`);
  process.exit(1);
}
rmSync(dirname(result.logFile), { recursive: true, force: true });
say(
  "fleet proof passed: nothing lost, nothing charged twice, no stale hold, no oversell; limits, key and jobs fleet-wide",
);
process.exit(0);
