/**
 * Bridge benchmark: scan-to-WebSocket latency and print-job throughput to
 * the virtual printer, over real loopback sockets.
 *   npx tsx bench/run.ts            (BENCH_OUT=path.json to also write JSON)
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { buildBridge } from "../src/app.ts";
import { parseEnv } from "../src/env.ts";
import { CJK_TICKET, ticketJob } from "../test/test-documents.ts";
import { TestClient } from "../test/test-client.ts";
import { silentLogger } from "../src/util/logger.ts";

const ORIGIN = "http://localhost:3000";
const TOKEN = "bench-pairing-token-0123456789";
const SCANS = 1000;
const PRINT_JOBS = 100;
const CJK_JOBS = 20;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "bridge-bench-"));
  const env = parseEnv({
    BRIDGE_PORT: "0",
    BRIDGE_VIRTUAL_PRINTER_PORT: "0",
    BRIDGE_VIRTUAL_CONTROL_PORT: "0",
    BRIDGE_ALLOWED_ORIGINS: ORIGIN,
    BRIDGE_PAIRING_TOKEN: TOKEN,
    BRIDGE_DATA_DIR: dir,
    BRIDGE_PRINTER_STATUS_POLL_MS: "60000",
  });
  const bridge = await buildBridge(env, { logger: silentLogger, shouldRenderPng: false });
  await bridge.start();
  const client = new TestClient(`ws://127.0.0.1:${bridge.wsPort}`, ORIGIN);
  await client.opened();
  client.send({ type: "auth", token: TOKEN, protocolVersion: 1 });
  await client.next("hello");
  client.send({ type: "scanner.arm", id: "bench-arm", timeoutMs: 600_000 });
  await client.next("ack");

  const scanner = bridge.virtualScanner;
  if (!scanner) throw new Error("bench needs the virtual scanner");
  const latencies: number[] = [];
  for (let i = 0; i < SCANS; i += 1) {
    const data = `T1.bench-${i}.c2lnbmF0dXJl`;
    const started = performance.now();
    const arrived = client.next("scan", (scan) => scan.data === data);
    scanner.feed(data);
    await arrived;
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);

  const printer = bridge.virtualPrinter;
  if (!printer) throw new Error("bench needs the virtual printer");
  const runJobs = async (prefix: string, count: number, cjk: boolean): Promise<{ seconds: number; bytes: number }> => {
    const bytesBefore = printer.bytesReceived;
    const started = performance.now();
    const results = [];
    for (let i = 0; i < count; i += 1) {
      const id = `${prefix}-${i}`;
      results.push(client.next("print.result", (result) => result.id === id));
      client.send(cjk ? ticketJob(id, CJK_TICKET) : ticketJob(id));
    }
    const outcomes = await Promise.all(results);
    const failed = outcomes.filter((outcome) => outcome.status !== "printed");
    if (failed.length > 0) throw new Error(`${failed.length} bench jobs failed`);
    return { seconds: (performance.now() - started) / 1000, bytes: printer.bytesReceived - bytesBefore };
  };
  const ascii = await runJobs("ascii", PRINT_JOBS, false);
  const cjk = await runJobs("cjk", CJK_JOBS, true);

  client.close();
  await bridge.stop();
  await rm(dir, { recursive: true, force: true });

  const report = {
    scanToWebSocket: {
      samples: SCANS,
      medianMs: Number(percentile(latencies, 50).toFixed(3)),
      p99Ms: Number(percentile(latencies, 99).toFixed(3)),
      maxMs: Number((latencies.at(-1) ?? 0).toFixed(3)),
    },
    printAsciiTicket: {
      jobs: PRINT_JOBS,
      jobsPerSecond: Number((PRINT_JOBS / ascii.seconds).toFixed(1)),
      kibPerJob: Number((ascii.bytes / PRINT_JOBS / 1024).toFixed(2)),
    },
    printCjkTicket: {
      jobs: CJK_JOBS,
      jobsPerSecond: Number((CJK_JOBS / cjk.seconds).toFixed(1)),
      kibPerJob: Number((cjk.bytes / CJK_JOBS / 1024).toFixed(2)),
    },
    node: process.version,
  };
  const rows: [string, string][] = [
    ["scan → WebSocket median", `${report.scanToWebSocket.medianMs} ms`],
    ["scan → WebSocket p99", `${report.scanToWebSocket.p99Ms} ms`],
    [
      "print ASCII ticket (durable, confirmed)",
      `${report.printAsciiTicket.jobsPerSecond} jobs/s, ${report.printAsciiTicket.kibPerJob} KiB/job`,
    ],
    [
      "print CJK ticket (raster lines)",
      `${report.printCjkTicket.jobsPerSecond} jobs/s, ${report.printCjkTicket.kibPerJob} KiB/job`,
    ],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  process.stdout.write(`${rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join("\n")}\n`);
  const out = process.env["BENCH_OUT"];
  // `figures` is what the root bench report reads; the issue sets no targets for the bridge.
  const figures = [
    { name: "scan_to_websocket_ms_p50", value: report.scanToWebSocket.medianMs, unit: "ms", target: null },
    { name: "scan_to_websocket_ms_p99", value: report.scanToWebSocket.p99Ms, unit: "ms", target: null },
    {
      name: "print_ascii_ticket_jobs_per_second",
      value: report.printAsciiTicket.jobsPerSecond,
      unit: "jobs/s",
      target: null,
    },
    {
      name: "print_cjk_ticket_jobs_per_second",
      value: report.printCjkTicket.jobsPerSecond,
      unit: "jobs/s",
      target: null,
    },
  ];
  if (out) await writeFile(out, `${JSON.stringify({ ...report, figures }, null, 2)}\n`);
}

await main();
