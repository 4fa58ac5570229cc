/**
 * The fleet proof, small (runs in `npm test`; `npm run proof:fleet` is the full run): its own
 * PostgreSQL cluster (needs the server binaries under /usr/lib/postgresql, as CI has), three API
 * servers behind the round-robin proxy, two workers, 60 s of traffic with a worker SIGKILLed, a
 * server SIGKILLed, PostgreSQL stopped for 5 s, the key switched and two rate limits hit. Fails
 * on any checker finding or missed target.
 */
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { hasPostgresBinaries } from "./cluster.ts";
import { runFleetProof } from "./fleet-proof.ts";

describe("fleet proof (small)", () => {
  it("loses nothing, charges nothing twice, keeps limits, key and daily jobs fleet-wide through kills and an outage", async () => {
    expect(hasPostgresBinaries(), "PostgreSQL server binaries (apt-get install postgresql)").toBe(true);
    const result = await runFleetProof({
      seconds: 50,
      outageSeconds: 5,
      kiosks: 4,
      bookingSystems: 2,
      parentEnv: process.env,
    });
    for (const f of result.figures)
      console.log(`[fleet] ${f.name}: ${f.value} ${f.unit} ${f.target ?? ""} ${f.met === false ? "MISSED" : ""}`);
    console.log(`[fleet] failed calls: ${JSON.stringify(result.failures)}`);
    expect(result.problems).toEqual([]);
    expect(result.report.findings).toEqual([]);
    expect(result.report.paidOrders).toBeGreaterThan(0);
    expect(result.served.every((n) => n > 0)).toBe(true);
    rmSync(dirname(result.logFile), { recursive: true, force: true }); // kept only when the proof failed
  }, 420_000);
});
