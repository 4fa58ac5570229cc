/**
 * Bridge endurance: SOAK_SCANS (10,000) scans and SOAK_JOBS (1,000) print jobs through one
 * bridge, over SOAK_ROUNDS (100) page connections (each: connect, authenticate, arm, its share
 * of scans and jobs, close), as a kiosk page reconnecting now and then would. Resident memory
 * (after GC) and open file descriptors are compared with the values after a warm-up round.
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
await soakRound(tb, { origin: ORIGIN, token: TOKEN, round: -1, scans: 100, jobs: 10 }); // warm-up
await new Promise((r) => setTimeout(r, 200));
const before = await settledUsage();
const started = Date.now();
for (let r = 0; r < ROUNDS; r += 1)
  await soakRound(tb, { origin: ORIGIN, token: TOKEN, round: r, scans: share(SCANS, r), jobs: share(JOBS, r) });
await new Promise((r) => setTimeout(r, 200));
const after = await settledUsage();
await tb.stop();

const rssGrowthMb = Math.round(((after.rss - before.rss) / 1048576) * 100) / 100;
console.log(
  `${SCANS} scans and ${JOBS} print jobs over ${ROUNDS} connections in ${Math.round((Date.now() - started) / 1000)} s`,
);
console.log(
  `RSS after GC: ${(before.rss / 1048576).toFixed(1)} → ${(after.rss / 1048576).toFixed(1)} MB (growth ${rssGrowthMb} MB, target < 20); JS heap after GC: ${(before.heapUsed / 1048576).toFixed(1)} → ${(after.heapUsed / 1048576).toFixed(1)} MB; open fds: ${before.fds} → ${after.fds}`,
);
const figures = [
  { name: "bridge_soak_scans", value: SCANS, unit: "scans", target: ">= 10000" },
  { name: "bridge_soak_print_jobs", value: JOBS, unit: "jobs", target: ">= 1000" },
  { name: "bridge_soak_rss_growth_after_gc", value: rssGrowthMb, unit: "MB", target: "< 20" },
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
