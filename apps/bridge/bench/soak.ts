/**
 * Bridge endurance: SOAK_SCANS (10,000) scans and SOAK_JOBS (1,000) print jobs through one
 * bridge, over SOAK_ROUNDS (100) page connections (each: connect, authenticate, arm, its share
 * of scans and jobs, close), as a kiosk page reconnecting now and then would. Resident memory
 * (after GC) and open file descriptors are compared with the values after a warm-up (half as many
 * connections again, see below).
 * The short version is src/server/soak.test.ts. Writes `{ figures }` to BENCH_OUT if set.
 *   npx tsx bench/soak.ts
 */
import { writeFile } from "node:fs/promises";
import { startTestBridge } from "../test/test-bridge.ts";
import { settledUsage, soakRound } from "../test/test-soak.ts";

const ORIGIN = "http://localhost:3000";
const TOKEN = "bench-pairing-token-0123456789";
const SCANS = Number(process.env.SOAK_SCANS ?? 10_000);
const JOBS = Number(process.env.SOAK_JOBS ?? 1_000);
const ROUNDS = Number(process.env.SOAK_ROUNDS ?? 100);

const tb = await startTestBridge({ origin: ORIGIN, token: TOKEN });
const share = (total: number, r: number) => Math.floor((total * (r + 1)) / ROUNDS) - Math.floor((total * r) / ROUNDS);
// Warm-up: half as many connections again (not counted), so the working set is in place
// before the baseline: measured on this machine, V8's heap capacity and the allocator
// (zlib for the virtual printer's PNGs, socket buffers) settle after ~40 connections and
// RSS is flat from there. A leak keeps growing after it; the growth over the second half
// of the measured run is the leak's slope. The RSS growth over the warm-up is printed too.
const WARM_UP = Math.max(1, Math.round(ROUNDS / 2));
const cold = await settledUsage();
for (let r = 0; r < WARM_UP; r += 1)
  await soakRound(tb, { origin: ORIGIN, token: TOKEN, round: -1 - r, scans: share(SCANS, r), jobs: share(JOBS, r) });
await new Promise((r) => setTimeout(r, 200));
const before = await settledUsage();
const started = Date.now();
let middle = before;
for (let r = 0; r < ROUNDS; r += 1) {
  await soakRound(tb, { origin: ORIGIN, token: TOKEN, round: r, scans: share(SCANS, r), jobs: share(JOBS, r) });
  if (r === Math.floor(ROUNDS / 2) - 1) middle = await settledUsage();
}
await new Promise((r) => setTimeout(r, 200));
const after = await settledUsage();
await tb.stop();

const mb = (bytes: number) => Math.round((bytes / 1048576) * 100) / 100;
const rssGrowthMb = mb(after.rss - before.rss);
const secondHalfMb = mb(after.rss - middle.rss);
console.log(
  `${SCANS} scans and ${JOBS} print jobs over ${ROUNDS} connections in ${Math.round((Date.now() - started) / 1000)} s`,
);
console.log(
  `RSS after GC: ${(before.rss / 1048576).toFixed(1)} → ${(after.rss / 1048576).toFixed(1)} MB (growth ${rssGrowthMb} MB, target < 20; second half ${secondHalfMb} MB; warm-up ${mb(before.rss - cold.rss)} MB); JS heap after GC: ${(before.heapUsed / 1048576).toFixed(1)} → ${(after.heapUsed / 1048576).toFixed(1)} MB; open fds: ${before.fds} → ${after.fds}`,
);
const figures = [
  { name: "bridge_soak_scans", value: SCANS, unit: "scans", target: ">= 10000" },
  { name: "bridge_soak_print_jobs", value: JOBS, unit: "jobs", target: ">= 1000" },
  { name: "bridge_soak_rss_growth_after_gc", value: rssGrowthMb, unit: "MB", target: "< 20" },
  { name: "bridge_soak_rss_growth_second_half", value: secondHalfMb, unit: "MB", target: null },
  {
    name: "bridge_soak_heap_growth_after_gc",
    value: Math.round(((after.heapUsed - before.heapUsed) / 1048576) * 100) / 100,
    unit: "MB",
    target: null,
  },
  { name: "bridge_soak_fd_growth", value: after.fds - before.fds, unit: "fds", target: "<= 0" },
];
const out = process.env["BENCH_OUT"];
if (out) await writeFile(out, `${JSON.stringify({ figures, before, after }, null, 2)}\n`);
