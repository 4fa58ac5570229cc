#!/usr/bin/env node
// `npm run bench`: runs every package's benchmark and writes ONE report
// (bench-report/report.md and report.json) with each figure beside its target and a
// met / missed mark. The PostgreSQL load run (`npm run proof:load`) is part of it when
// TEST_DATABASE_URL is set (BENCH_LOAD=skip leaves it out); otherwise the report carries the
// last load run's figures and says when that run was. The last `npm run proof:fuzz` counts
// are included the same way.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { BASE_ENV, ROOT, bin, ensureInstalled, log } from "./lib.mjs";

ensureInstalled();
const outDir = join(ROOT, "bench-report");
mkdirSync(outDir, { recursive: true });

const benches = [
  { name: "alipay-core", entry: "packages/alipay-core/bench/run.ts" },
  { name: "alipay client vs sandbox", entry: "packages/alipay-sandbox/bench/pay-overhead.ts" },
  { name: "bridge", entry: "apps/bridge/bench/run.ts" },
  { name: "server purchases", entry: "packages/api/bench/purchases.ts" },
  { name: "bridge endurance (10,000 scans, 1,000 print jobs)", entry: "apps/bridge/bench/soak.ts" },
  // These start the whole system (scripts/start.mjs, own ports) and drive Chromium.
  { name: "kiosk page weight and paint", entry: "e2e/bench/page.ts" },
  { name: "kiosk page endurance (500 sales, one page)", entry: "e2e/bench/page-soak.ts" },
];

/** "≥ 200", ">= 200", "< 50", "= 0" … → a predicate; anything else → no target. */
function parseTarget(target) {
  const m = /^\s*(>=|<=|≥|≤|>|<|=)\s*(-?[\d.]+)\s*$/.exec(String(target ?? ""));
  if (!m) return null;
  const bound = Number(m[2]);
  const op = { "≥": ">=", "≤": "<=" }[m[1]] ?? m[1];
  return {
    op,
    bound,
    test: (v) => ({ ">=": v >= bound, "<=": v <= bound, ">": v > bound, "<": v < bound, "=": v === bound })[op],
  };
}

function normalise(figures) {
  return (Array.isArray(figures) ? figures : []).map((f) => {
    const target = parseTarget(f.target);
    const value = typeof f.value === "number" ? f.value : Number(f.value);
    return {
      name: f.name,
      value,
      unit: f.unit ?? "",
      target: target ? `${target.op} ${target.bound}` : null,
      status: target ? (target.test(value) ? "met" : "missed") : "no target",
    };
  });
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

const report = { at: new Date().toISOString(), machine: { cpus: cpus().length, node: process.version }, benches: [] };
for (const b of benches) {
  if (!existsSync(join(ROOT, b.entry))) {
    log(`skip ${b.name}: ${b.entry} not present`);
    continue;
  }
  const out = join(outDir, `${b.name.replace(/\W+/g, "-")}.json`);
  rmSync(out, { force: true });
  log(`▶ bench ${b.name}`);
  const r = spawnSync(bin("tsx"), [b.entry], {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, ...BASE_ENV, BENCH_OUT: out },
  });
  report.benches.push({
    name: b.name,
    ok: r.status === 0,
    source: `ran now (${b.entry})`,
    figures: normalise(readJson(out)?.figures),
  });
}

// The load run: now when PostgreSQL is configured, else the last run's figures.
const loadJson = join(outDir, "load.json");
if (process.env.TEST_DATABASE_URL && process.env.BENCH_LOAD !== "skip") {
  rmSync(loadJson, { force: true });
  log("▶ bench load run on PostgreSQL (npm run proof:load)");
  const r = spawnSync(process.execPath, [join(ROOT, "scripts/load.mjs")], {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, ...BASE_ENV },
  });
  const load = readJson(loadJson);
  report.benches.push({
    name: "load run (PostgreSQL, 2 servers + worker)",
    ok: r.status === 0,
    source: "ran now (npm run proof:load)",
    figures: normalise(load?.figures),
  });
} else {
  const load = readJson(loadJson);
  log(
    load
      ? `load run: not run now (TEST_DATABASE_URL unset or BENCH_LOAD=skip); using the last proof:load run from ${load.at}`
      : "load run: not run now and no earlier run found (npm run proof:load)",
  );
  if (load)
    report.benches.push({
      name: "load run (PostgreSQL, 2 servers + worker)",
      ok: load.problems?.length === 0,
      source: `last npm run proof:load, ${load.at} (not re-run by this bench)`,
      figures: normalise(load.figures),
    });
}

const fuzz = readJson(join(outDir, "fuzz.json"));
if (fuzz) {
  report.benches.push({
    name: "fuzz and bad-input suite",
    ok: fuzz.ok,
    source: `last npm run proof:fuzz, ${fuzz.at}, seed ${fuzz.seed}, scale ${fuzz.scale} (not re-run by this bench)`,
    figures: normalise([
      { name: "fuzz_cases", value: fuzz.totalCases, unit: "cases", target: ">= 1000" },
      { name: "fuzz_failed_properties", value: fuzz.ok ? 0 : 1, unit: "runs", target: "= 0" },
      { name: "fuzz_seconds", value: Math.round(fuzz.seconds), unit: "s", target: null },
    ]),
  });
}

const all = report.benches.flatMap((b) => b.figures);
report.summary = {
  met: all.filter((f) => f.status === "met").length,
  missed: all.filter((f) => f.status === "missed").length,
  noTarget: all.filter((f) => f.status === "no target").length,
  failedBenches: report.benches.filter((b) => !b.ok).map((b) => b.name),
};
writeFileSync(join(outDir, "report.json"), JSON.stringify(report, null, 2) + "\n");

const mark = { met: "✅ met", missed: "❌ missed", "no target": "—" };
const lines = [
  `# Benchmark report`,
  ``,
  `${report.at}, ${report.machine.cpus} cores, Node ${report.machine.node}`,
  ``,
  `Targets: ${report.summary.met} met, ${report.summary.missed} missed; ${report.summary.noTarget} figures without a target.${report.summary.failedBenches.length ? ` Failed: ${report.summary.failedBenches.join(", ")}.` : ""}`,
  ``,
];
for (const b of report.benches) {
  lines.push(
    `## ${b.name}${b.ok ? "" : " (FAILED)"}`,
    "",
    `Source: ${b.source}`,
    "",
    "| figure | value | unit | target | |",
    "|---|---|---|---|---|",
  );
  for (const f of b.figures)
    lines.push(`| ${f.name} | ${f.value} | ${f.unit} | ${f.target ?? ""} | ${mark[f.status]} |`);
  if (b.figures.length === 0) lines.push("| (no figures written) | | | | |");
  lines.push("");
}
writeFileSync(join(outDir, "report.md"), lines.join("\n"));
log(
  `report written to bench-report/report.md and report.json: ${report.summary.met} targets met, ${report.summary.missed} missed`,
);
process.exit(report.benches.every((b) => b.ok) ? 0 : 1);
