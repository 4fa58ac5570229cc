/**
 * The bridge endurance driver, shared by the short soak test (soak.test.ts, in `npm test`) and
 * the long one (bench/soak.ts, in `npm run bench`): page connections that each authenticate,
 * arm the scanner, take their share of scans and print jobs, and close.
 */
import { readdirSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { ticketJob } from "./test-documents.ts";
import type { TestBridge } from "./test-bridge.ts";
import { TestClient } from "./test-client.ts";

/** One page connection: auth, arm, `scans` scans (each awaited), `jobs` print jobs (all printed), close. */
export async function soakRound(
  tb: TestBridge,
  options: { origin: string; token: string; round: number; scans: number; jobs: number },
): Promise<void> {
  const scanner = tb.bridge.virtualScanner;
  if (!scanner) throw new Error("the soak needs the virtual scanner");
  const client = new TestClient(tb.url, options.origin);
  await client.opened();
  client.send({ type: "auth", token: options.token, protocolVersion: 1 });
  await client.next("hello");
  client.send({ type: "scanner.arm", id: `arm-${options.round}`, timeoutMs: 600_000 });
  await client.next("ack");
  for (let i = 0; i < options.scans; i += 1) {
    const data = `T1.soak-${options.round}-${i}.c2lnbmF0dXJl`;
    const arrived = client.next("scan", (scan) => scan.data === data);
    scanner.feed(data);
    await arrived;
  }
  const results = [];
  for (let i = 0; i < options.jobs; i += 1) {
    const id = `soak-${options.round}-${i}`;
    results.push(client.next("print.result", (result) => result.id === id));
    client.send(ticketJob(id));
  }
  const outcomes = await Promise.all(results);
  if (outcomes.some((o) => o.status !== "printed")) throw new Error(`round ${options.round}: a job did not print`);
  client.close();
}

/** Open file descriptors of this process (Linux /proc), or -1 elsewhere. */
export function openFds(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return -1;
  }
}

let gc: (() => void) | undefined;
/** Resident memory, JS heap and open descriptors after a full GC (and a few turns of the event loop for closes to land). */
export async function settledUsage(): Promise<{ rss: number; heapUsed: number; fds: number }> {
  if (!gc) {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  for (let i = 0; i < 3; i += 1) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, fds: openFds() };
}
