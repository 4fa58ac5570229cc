#!/usr/bin/env node
// `npm run bench`: runs every package's benchmark and writes one report
// (bench-report/report.md and report.json) with each figure beside its target.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BASE_ENV, ROOT, bin, ensureInstalled, log } from "./lib.mjs";

ensureInstalled();
const outDir = join(ROOT, "bench-report");
mkdirSync(outDir, { recursive: true });

const benches = [
  { name: "alipay-core", entry: "packages/alipay-core/bench/run.ts" },
  { name: "alipay client vs sandbox", entry: "packages/alipay-sandbox/bench/pay-overhead.ts" },
  { name: "bridge", entry: "apps/bridge/bench/run.ts" },
  { name: "server purchases", entry: "apps/kiosk/bench/purchases.ts" },
];

const report = { at: new Date().toISOString(), machine: { cpus: (await import("node:os")).cpus().length, node: process.version }, benches: [] };
for (const b of benches) {
  if (!existsSync(join(ROOT, b.entry))) {
    log(`skip ${b.name}: ${b.entry} not present`);
    continue;
  }
  const out = join(outDir, `${b.name.replace(/\W+/g, "-")}.json`);
  log(`▶ bench ${b.name}`);
  const r = spawnSync(bin("tsx"), [b.entry], { cwd: ROOT, stdio: "inherit", env: { ...process.env, ...BASE_ENV, BENCH_OUT: out } });
  let figures;
  try {
    figures = JSON.parse(readFileSync(out, "utf8"));
  } catch {
    figures = undefined;
  }
  report.benches.push({ name: b.name, ok: r.status === 0, figures });
}

writeFileSync(join(outDir, "report.json"), JSON.stringify(report, null, 2) + "\n");
const lines = [`# Benchmark report`, ``, `${report.at}, ${report.machine.cpus} cores, Node ${report.machine.node}`, ``];
for (const b of report.benches) {
  lines.push(`## ${b.name}${b.ok ? "" : " (FAILED)"}`, "", "| figure | value | unit | target |", "|---|---|---|---|");
  const rows = Array.isArray(b.figures?.figures) ? b.figures.figures : [];
  for (const f of rows) lines.push(`| ${f.name} | ${f.value} | ${f.unit ?? ""} | ${f.target ?? ""} |`);
  if (rows.length === 0) lines.push(`| (raw) | \`${JSON.stringify(b.figures ?? null).slice(0, 200)}\` | | |`);
  lines.push("");
}
writeFileSync(join(outDir, "report.md"), lines.join("\n"));
log(`report written to bench-report/report.md and report.json`);
process.exit(report.benches.every((b) => b.ok) ? 0 : 1);
