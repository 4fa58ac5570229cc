import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PrintMessage } from "@kiosk/bridge-protocol";
import { PNG } from "pngjs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderPrintMessage } from "../app.ts";
import { silentLogger } from "../util/logger.ts";
import { systemTimers } from "../util/timers.ts";
import { VirtualPrinter } from "../virtual/virtual-printer.ts";
import { EscPosPrinter } from "./escpos-printer.ts";
import { INTERRUPTED_REASON, JobStore } from "./job-store.ts";
import { PAPER_PROFILES } from "./layout.ts";
import { PrintService, type PrintServiceEvents } from "./print-service.ts";
import { TcpTransport } from "./tcp-transport.ts";
import { CJK_TICKET, ticketJob } from "../../test/test-documents.ts";

let dir: string;
let virtual: VirtualPrinter;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "bridge-print-"));
  virtual = new VirtualPrinter({ port: 0, jobsDir: join(dir, "virtual"), shouldRenderPng: true });
  await virtual.start();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await virtual.stop();
  await rm(dir, { recursive: true, force: true });
});

function makeService(jobsDir = join(dir, "jobs")) {
  const printer = new EscPosPrinter({
    transport: new TcpTransport({ host: "127.0.0.1", port: virtual.port }),
    timers: systemTimers,
    logger: silentLogger,
    printWatchIntervalMs: 50,
    printTimeoutMs: 5000,
  });
  const service = new PrintService({
    store: new JobStore(jobsDir),
    printer,
    render: (message: PrintMessage) => renderPrintMessage(message, PAPER_PROFILES["80mm"]),
    logger: silentLogger,
  });
  const results: PrintServiceEvents["result"][] = [];
  service.events.on("result", (result) => results.push(result));
  cleanups.push(async () => {
    await service.stop();
    await printer.close();
  });
  return { service, printer, results };
}

/** Decodes the PNG and looks for a dark pixel. */
function pngHasInk(png: Buffer): boolean {
  const image = PNG.sync.read(png);
  for (let index = 0; index < image.data.length; index += 4) if ((image.data[index] ?? 255) < 128) return true;
  return false;
}

describe("printing to the virtual printer over TCP", () => {
  it("prints a CJK ticket: raster lines, QR, and a PNG with ink", async () => {
    const { service, results } = makeService();
    await service.start();
    const printed = virtual.nextJob();
    await service.submit(ticketJob("job-cjk", CJK_TICKET));
    const job = await printed;
    await service.idle();
    expect(results).toEqual([{ id: "job-cjk", status: "printed" }]);
    expect(job.isTruncated).toBe(false);
    expect(job.text).toContain(`[QR ${CJK_TICKET.qrPayload}]`);
    expect(job.text).toContain("[raster 576x");
    await virtual.flushFiles();
    const { readFile } = await import("node:fs/promises");
    const png = await readFile(job.pngPath ?? "");
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(pngHasInk(png)).toBe(true);
    expect(await readFile(job.textPath ?? "", "utf-8")).toBe(job.text);
  });

  it("fails a job without sending it when the paper is already out", async () => {
    const { service, printer, results } = makeService();
    virtual.setPaper("out");
    expect((await printer.status()).paper).toBe("out");
    await service.start();
    await service.submit(ticketJob("job-nopaper"));
    await service.idle();
    expect(results).toEqual([{ id: "job-nopaper", status: "failed", reason: "paper_out" }]);
    expect(virtual.jobs).toHaveLength(0);
  });

  it("fails a job whose paper runs out mid-job, and does not print it again", async () => {
    const { service, results } = makeService();
    virtual.setPaper("out", 4);
    await service.start();
    const truncated = virtual.nextJob();
    await service.submit(ticketJob("job-midway"));
    const job = await truncated;
    await service.idle();
    expect(job.isTruncated).toBe(true);
    expect(results).toEqual([{ id: "job-midway", status: "failed", reason: "paper_out_during_print" }]);
    virtual.setPaper("ok");
    expect((await service.submit(ticketJob("job-midway"))).kind).toBe("duplicate");
    await service.idle();
    expect(virtual.jobs).toHaveLength(1);
  });

  it("reports paper near end but still prints", async () => {
    const { service, printer, results } = makeService();
    virtual.setPaper("near_end");
    expect((await printer.status()).paper).toBe("near_end");
    await service.start();
    await service.submit(ticketJob("job-near"));
    await service.idle();
    expect(results).toEqual([{ id: "job-near", status: "printed" }]);
  });

  it("reconnects after the printer drops the connection and prints each job once", async () => {
    const { service, results } = makeService();
    await service.start();
    await service.submit(ticketJob("job-1"));
    await service.idle();
    virtual.dropConnections();
    await service.submit(ticketJob("job-2"));
    await service.idle();
    await service.submit(ticketJob("job-1"));
    await service.idle();
    expect(results.map((result) => `${result.id}:${result.status}`)).toEqual(["job-1:printed", "job-2:printed"]);
    expect(virtual.jobs).toHaveLength(2);
  });

  it("after a restart, fails an interrupted job instead of reprinting it and prints queued jobs once", async () => {
    const jobsDir = join(dir, "jobs");
    // The previous bridge process: job A was being sent when it died, job B was still queued.
    const crashed = new JobStore(jobsDir);
    await crashed.load();
    const a = await crashed.create(ticketJob("job-a"));
    await crashed.update(a, { state: "printing", attempts: 1 });
    await crashed.create(ticketJob("job-b"));
    // Half of job A reached the printer before the crash.
    const partial = renderPrintMessage(ticketJob("job-a"), PAPER_PROFILES["80mm"]);
    const raw = new TcpTransport({ host: "127.0.0.1", port: virtual.port });
    await raw.open();
    await raw.write(partial.subarray(0, Math.floor(partial.length / 2)));
    await raw.close();

    const { service, results } = makeService(jobsDir);
    const interrupted = await service.start();
    await service.idle();
    expect(interrupted.map((job) => [job.id, job.state, job.reason])).toEqual([
      ["job-a", "failed", INTERRUPTED_REASON],
    ]);
    expect(results).toEqual([{ id: "job-b", status: "printed" }]);
    expect(service.getJob("job-a")?.state).toBe("failed");
    expect((await service.submit(ticketJob("job-a"))).kind).toBe("duplicate");
    expect((await service.submit(ticketJob("job-b"))).kind).toBe("duplicate");
    await service.idle();
    expect(virtual.jobs.filter((job) => !job.isTruncated)).toHaveLength(1);

    // A second restart changes nothing.
    const again = makeService(jobsDir);
    expect(await again.service.start()).toEqual([]);
    await again.service.idle();
    expect(again.results).toEqual([]);
    expect(virtual.jobs.filter((job) => !job.isTruncated)).toHaveLength(1);
  });

  it("reads as disconnected when nothing listens", async () => {
    const port = virtual.port;
    await virtual.stop();
    const printer = new EscPosPrinter({
      transport: new TcpTransport({ host: "127.0.0.1", port }),
      timers: systemTimers,
      logger: silentLogger,
    });
    expect((await printer.status()).connected).toBe(false);
    expect(await printer.print(Buffer.from("x"))).toEqual({ ok: false, reason: "printer_unreachable", sentAny: false });
    virtual = new VirtualPrinter({ port: 0, jobsDir: null });
    await virtual.start();
  });
  it("at a simulated print speed, answers DLE EOT at once but GS r only after the lines before it printed", async () => {
    virtual.setSpeed(5);
    const { connect } = await import("node:net");
    const socket = connect(virtual.port, "127.0.0.1");
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const order: string[] = [];
    virtual.events.on("job", () => order.push("job printed"));
    const replies = new Promise<void>((resolve) => {
      socket.on("data", (chunk: Buffer) => {
        for (const byte of chunk) order.push((byte & 0x10) === 0x10 ? "realtime status" : "paper status");
        if (order.includes("paper status")) resolve();
      });
    });
    const lines = Buffer.from(Array.from({ length: 40 }, (_, i) => `line ${i}\n`).join(""), "latin1");
    // 40 lines, a cut, then GS r 1 (paper sensor) queued behind them and DLE EOT 1 (real time).
    socket.write(
      Buffer.concat([
        Buffer.from([0x1b, 0x40]),
        lines,
        Buffer.from([0x1d, 0x56, 0x00]),
        Buffer.from([0x1d, 0x72, 0x01]),
        Buffer.from([0x10, 0x04, 0x01]),
      ]),
    );
    await replies;
    socket.destroy();
    expect(order).toEqual(["realtime status", "job printed", "paper status"]);
    expect(
      virtual.jobs
        .at(-1)
        ?.text.split("\n")
        .filter((l) => l.startsWith("line ")),
    ).toHaveLength(40);
  });
});
