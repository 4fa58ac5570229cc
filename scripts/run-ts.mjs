#!/usr/bin/env node
// Runs a TypeScript entry with the workspace's tsx, installing first if needed:
// node scripts/run-ts.mjs <file.ts> [args…]
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { BASE_ENV, ROOT, bin, ensureInstalled } from "./lib.mjs";

ensureInstalled();
const [entry, ...args] = process.argv.slice(2);
const r = spawnSync(bin("tsx"), [resolve(ROOT, entry), ...args], {
  cwd: process.env.INIT_CWD ?? ROOT,
  stdio: "inherit",
  env: { ...process.env, ...BASE_ENV },
});
process.exit(r.status ?? 1);
