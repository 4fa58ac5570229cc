#!/usr/bin/env node
// `npm run proof:fleet`: the fleet proof (tooling/proof/src/fleet). It makes its own throwaway
// PostgreSQL cluster (initdb on a free loopback port through scripts/pg-cluster.sh; the shared
// test cluster is never touched), three API servers behind a round-robin proxy, two workers and
// the sandbox, runs traffic with faults and prints its figures. Durations: FLEET_SECONDS (300),
// FLEET_OUTAGE_SECONDS (20). Writes bench-report/fleet.json.
import { BASE_ENV, bin, ensureInstalled, log, run } from "./lib.mjs";

try {
  ensureInstalled();
  run(bin("tsx"), ["tooling/proof/src/fleet/main.ts"], { env: { ...BASE_ENV } });
} catch (e) {
  log(`proof:fleet failed: ${e.message}`);
  process.exit(e.exitCode ?? 1);
}
