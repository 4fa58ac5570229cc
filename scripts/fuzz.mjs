#!/usr/bin/env node
// `npm run proof:fuzz`: the fuzz and bad-input suite at a larger scale than `npm test`
// runs it (FUZZ_SCALE, default 10 times), with a fixed seed (FUZZ_SEED) printed so any
// failure reproduces. Targets: every tRPC procedure over HTTP (SQLite, and PostgreSQL when
// TEST_DATABASE_URL is set), the bridge WebSocket server, alipay-core's response and
// notification parsing for both protocols. Prints case counts per property and writes
// them to bench-report/fuzz.json.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BASE_ENV, ROOT, bin, ensureInstalled, log } from "./lib.mjs";

const FILES = [
  "packages/alipay-core/src/fuzz.test.ts",
  "apps/bridge/src/server/ws-fuzz.test.ts",
  "packages/api/src/trpc-fuzz.integration.test.ts",
];
const seed = process.env.FUZZ_SEED ?? "20261127";
const scale = process.env.FUZZ_SCALE ?? "10";

ensureInstalled();
const outDir = join(ROOT, "bench-report");
mkdirSync(outDir, { recursive: true });
const counts = join(outDir, "fuzz-cases.jsonl");
rmSync(counts, { force: true });
log(`fuzz: seed ${seed}, scale ${scale} (set FUZZ_SEED / FUZZ_SCALE to change)`);
if (!process.env.TEST_DATABASE_URL) log("TEST_DATABASE_URL is not set: the tRPC fuzz runs on SQLite only.");
const t0 = Date.now();
const r = spawnSync(bin("vitest"), ["run", ...FILES], {
  cwd: ROOT,
  stdio: "inherit",
  env: { ...process.env, ...BASE_ENV, FUZZ_SEED: seed, FUZZ_SCALE: scale, FUZZ_REPORT: counts },
});
const seconds = (Date.now() - t0) / 1000;

let rows = [];
try {
  rows = readFileSync(counts, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
} catch {
  rows = [];
}
const width = Math.max(10, ...rows.map((x) => `${x.suite}: ${x.name}`.length));
const lines = rows.map(
  (x) =>
    `${`${x.suite}: ${x.name}`.padEnd(width)}  ${String(x.cases).padStart(7)}  ${Object.entries(x.outcomes)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
);
const total = rows.reduce((sum, x) => sum + x.cases, 0);
process.stdout.write(
  `\n${"property".padEnd(width)}  ${"cases".padStart(7)}  outcomes\n${lines.join("\n")}\n${"total".padEnd(width)}  ${String(total).padStart(7)}\n`,
);
const ok = r.status === 0;
writeFileSync(
  join(outDir, "fuzz.json"),
  `${JSON.stringify({ at: new Date().toISOString(), ok, seed: Number(seed), scale: Number(scale), seconds, totalCases: total, properties: rows }, null, 2)}\n`,
);
log(
  `${ok ? "✔" : "✘"} fuzz: ${total} cases in ${seconds.toFixed(0)} s, seed ${seed}${ok ? "" : " (FAILED: rerun with the same FUZZ_SEED to reproduce)"}; counts in bench-report/fuzz.json`,
);
process.exit(ok ? 0 : 1);
