#!/usr/bin/env node
// `npm test`: every test. Lint and type checks, unit and integration tests (SQLite always,
// PostgreSQL when TEST_DATABASE_URL names a server), then the Playwright suite against
// the whole system built and started the way `npm start` does.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BASE_ENV, ROOT, bin, buildKiosk, ensureInstalled, log } from "./lib.mjs";
import { classifySkips, playwrightSkips, vitestSkips } from "./skips.mjs";

const args = new Set(process.argv.slice(2));
const only = (name) => args.size === 0 || args.has(name);
const results = [];

function step(name, cmd, cmdArgs, options = {}) {
  const t0 = Date.now();
  log(`▶ ${name}`);
  const r = spawnSync(cmd, cmdArgs, {
    cwd: options.cwd ?? ROOT,
    stdio: "inherit",
    env: { ...process.env, ...BASE_ENV, ...options.env },
  });
  const ok = r.status === 0;
  results.push({ name, ok, seconds: (Date.now() - t0) / 1000 });
  log(`${ok ? "✔" : "✘"} ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return ok;
}

ensureInstalled();

if (!process.env.TEST_DATABASE_URL) {
  log("TEST_DATABASE_URL is not set: the PostgreSQL tests are SKIPPED (SQLite tests still run).");
  log(
    "  To run them: scripts/pg-cluster.sh start  then  TEST_DATABASE_URL=postgresql://kiosk:kiosk@127.0.0.1:55432/postgres npm test",
  );
} else {
  log(`PostgreSQL tests run against ${process.env.TEST_DATABASE_URL.replace(/\/\/([^:]+):[^@]*@/, "//$1:***@")}`);
}

if (only("lint")) step("lint (eslint)", bin("eslint"), [".", "--max-warnings=0"]);
if (only("lint"))
  step("format (prettier --check; `npm run format` fixes)", bin("prettier"), ["--check", "--log-level=warn", "."]);
if (only("typecheck")) {
  const pkgs = [
    ...["packages", "apps"].flatMap((d) => readdirSync(join(ROOT, d)).map((name) => `${d}/${name}`)),
    "e2e",
    "tooling/conformance",
    "tooling/proof",
  ];
  for (const p of pkgs)
    if (existsSync(join(ROOT, p, "tsconfig.json")))
      step(`typecheck ${p}`, bin("tsc"), ["--noEmit", "-p", join(p, "tsconfig.json")]);
}
const counts = { passed: 0, failed: 0, skipped: 0 };
/** Every skipped test, checked against scripts/skips.mjs at the end. */
const skips = [];
const reportDir = join(ROOT, "test-results");
if (only("unit")) {
  const out = join(reportDir, "vitest.json");
  rmSync(out, { force: true });
  step("unit and integration tests (vitest)", bin("vitest"), [
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${out}`,
  ]);
  const j = readJsonFile(out);
  if (j) {
    counts.passed += j.numPassedTests;
    counts.failed += j.numFailedTests;
    counts.skipped += j.numPendingTests + (j.numTodoTests ?? 0);
    skips.push(...vitestSkips(j, ROOT));
  }
}
if (only("e2e")) {
  let built = true;
  try {
    buildKiosk();
  } catch {
    built = false;
    results.push({ name: "next build", ok: false, seconds: 0 });
  }
  const out = join(reportDir, "playwright.json");
  rmSync(out, { force: true });
  if (built)
    step("end-to-end tests (Playwright, Chromium)", bin("playwright", "e2e"), ["test"], {
      cwd: join(ROOT, "e2e"),
      env: { PLAYWRIGHT_JSON_OUTPUT_NAME: out },
    });
  const j = readJsonFile(out);
  if (j) {
    counts.passed += j.stats.expected + j.stats.flaky;
    counts.failed += j.stats.unexpected;
    counts.skipped += j.stats.skipped;
    skips.push(...playwrightSkips(j));
    if (j.stats.flaky > 0)
      log(`Playwright: ${j.stats.flaky} test(s) passed only on their retry (flaky); see e2e/artifacts/test-output`);
  }
}

function readJsonFile(path) {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

// Skips are printed; one that no test documents (scripts/skips.mjs) fails the run.
const { allowed, unexpected } = classifySkips(skips, process.env);
if (allowed.length > 0) {
  log(`skipped as documented (${allowed.length}):`);
  for (const s of allowed) log(`  ○ ${s.file} › ${s.name} — ${s.why}${s.reason ? ` (${s.reason})` : ""}`);
}
if (unexpected.length > 0) {
  log(`UNEXPECTED skips (${unexpected.length}) — fix the cause, or document the skip in scripts/skips.mjs:`);
  for (const s of unexpected) log(`  ✘ ${s.runner}: ${s.file} › ${s.name}${s.reason ? ` (${s.reason})` : ""}`);
  results.push({ name: `unexpected skipped tests (${unexpected.length})`, ok: false, seconds: 0 });
}

const failed = results.filter((r) => !r.ok);
log("summary:");
for (const r of results) log(`  ${r.ok ? "✔" : "✘"} ${r.name}  ${r.seconds.toFixed(1)} s`);
log(`steps: ${results.length - failed.length} passed, ${failed.length} failed`);
// A failed step without failed tests (lint, typecheck, a crashed runner) still counts as a failure.
const failedCount = counts.failed + (counts.failed === 0 && failed.length > 0 ? failed.length : 0);
process.stdout.write(`tests: ${counts.passed} passed, ${failedCount} failed, ${counts.skipped} skipped\n`);
process.exit(failed.length === 0 ? 0 : 1);
