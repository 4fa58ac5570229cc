#!/usr/bin/env node
// Runs the pinned pnpm (corepack does not work on our machines): node scripts/pnpm.mjs <args>
import { spawnSync } from "node:child_process";
import { PNPM, ROOT } from "./lib.mjs";

const r = spawnSync("npx", [...PNPM, ...process.argv.slice(2)], { cwd: ROOT, stdio: "inherit" });
process.exit(r.status ?? 1);
