/**
 * A virtual ESC/POS printer on 127.0.0.1 for development and tests. It
 * parses what it receives, answers DLE EOT and GS r status requests from
 * its simulated state, can run out of paper (now or after N more lines),
 * and renders each job (ended by a cut) to a PNG and a plain-text file.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { PaperState } from "@kiosk/bridge-protocol";
import { decodeWpc1252 } from "../printer/escpos.ts";
import { encodePaperSensorReply, encodeStatus } from "../printer/status.ts";
import { Emitter } from "../util/emitter.ts";
import { EscPosStreamParser, type EscPosCommand } from "./escpos-parser.ts";
import { renderJobPng, type JobBlock } from "./job-renderer.ts";

export interface VirtualJob {
  seq: number;
  /** Plain-text rendering: text lines, "[QR …]" and "[raster WxH]" markers. */
  text: string;
  blocks: JobBlock[];
  /** Paper ran out (or the buffer was cleared) before the job's end. */
  isTruncated: boolean;
  pngPath: string | null;
  textPath: string | null;
}

export type VirtualPrinterEvents = { job: VirtualJob };

export interface VirtualPrinterOptions {
  /** 0 picks a free port. */
  port: number;
  /** Where each job's PNG and text go; null keeps them in memory only. */
  jobsDir: string | null;
  widthDots?: number;
  /** Render PNGs (slower); text is always kept. */
  shouldRenderPng?: boolean;
}

interface Style {
  align: 0 | 1 | 2;
  bold: boolean;
  width: number;
  height: number;
}

const DEFAULT_STYLE: Style = { align: 0, bold: false, width: 1, height: 1 };

export class VirtualPrinter {
  readonly events = new Emitter<VirtualPrinterEvents>();
  /** The last KEPT_JOBS jobs, oldest first (a bridge running for weeks on the virtual printer must not keep them all). */
  readonly jobs: VirtualJob[] = [];
  static readonly KEPT_JOBS = 200;
  readonly #options: VirtualPrinterOptions;
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();
  #paper: PaperState = "ok";
  #linesUntilOut: number | null = null;
  #coverOpen = false;
  #blocks: JobBlock[] = [];
  #line = "";
  #style: Style = { ...DEFAULT_STYLE };
  #qrModuleSize = 3;
  #qrData: Buffer | null = null;
  #isTruncated = false;
  #seq = 0;
  #pendingWrites: Promise<void>[] = [];
  /** Simulated print speed: time each printed line takes (0 prints instantly). */
  #msPerLine = 0;
  /** Bytes received, for throughput checks. */
  bytesReceived = 0;

  constructor(options: VirtualPrinterOptions) {
    this.#options = options;
  }

  get port(): number {
    const address = this.#server?.address();
    return typeof address === "object" && address ? address.port : 0;
  }

  get paper(): PaperState {
    return this.#paper;
  }

  async start(): Promise<number> {
    if (this.#options.jobsDir) await mkdir(this.#options.jobsDir, { recursive: true });
    const server = createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.#options.port, "127.0.0.1", () => resolve());
    });
    this.#server = server;
    return this.port;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all(this.#pendingWrites);
  }

  /** Drops every open connection, as a printer power cycle would. */
  dropConnections(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  /** Sets the paper state now, or (with `afterLines`) runs out after that many more printed lines. */
  setPaper(state: PaperState, afterLines?: number): void {
    if (state === "out" && afterLines !== undefined && afterLines > 0) {
      this.#linesUntilOut = afterLines;
      return;
    }
    this.#linesUntilOut = null;
    this.#paper = state;
  }

  /**
   * Simulates a printer's mechanical speed: each printed line (text, feed, QR, raster band)
   * takes `msPerLine`. Real-time requests (DLE EOT, DLE DC4) are still answered at once, as a
   * real printer does; everything else, including GS r (the end-of-job paper check), waits
   * its turn behind the lines before it.
   */
  setSpeed(msPerLine: number): void {
    this.#msPerLine = Math.max(0, Math.floor(msPerLine));
  }

  setCoverOpen(isOpen: boolean): void {
    this.#coverOpen = isOpen;
  }

  /** Resolves with the next finished job. */
  nextJob(): Promise<VirtualJob> {
    return new Promise((resolve) => {
      const off = this.events.on("job", (job) => {
        off();
        resolve(job);
      });
    });
  }

  async flushFiles(): Promise<void> {
    await Promise.all(this.#pendingWrites);
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    const parser = new EscPosStreamParser();
    const queue: EscPosCommand[] = [];
    let isDraining = false;
    const drain = async (): Promise<void> => {
      isDraining = true;
      while (queue.length > 0 && !socket.destroyed) {
        const command = queue.shift()!;
        this.#apply(command, socket);
        const lines = printedLines(command);
        if (lines > 0 && this.#msPerLine > 0)
          await new Promise((resolve) => setTimeout(resolve, lines * this.#msPerLine));
      }
      isDraining = false;
    };
    socket.on("data", (chunk) => {
      this.bytesReceived += chunk.length;
      for (const command of parser.push(chunk)) {
        const isRealtime = command.kind === "realtime-status" || command.kind === "clear-buffers";
        if (isRealtime && command.kind === "clear-buffers") queue.length = 0;
        if (isRealtime || (this.#msPerLine === 0 && !isDraining && queue.length === 0)) this.#apply(command, socket);
        else queue.push(command);
      }
      if (queue.length > 0 && !isDraining) void drain();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => this.#sockets.delete(socket));
  }

  get #canPrint(): boolean {
    return this.#paper !== "out" && !this.#coverOpen;
  }

  #apply(command: EscPosCommand, socket: Socket): void {
    switch (command.kind) {
      case "realtime-status": {
        const status = encodeStatus({ online: true, coverOpen: this.#coverOpen, paper: this.#paper, error: false });
        const byN = [status.printer, status.offlineCause, status.errorCause, status.paperSensor];
        const reply = byN[command.n - 1];
        if (reply !== undefined) socket.write(Buffer.from([reply]));
        return;
      }
      case "paper-status":
        socket.write(Buffer.from([encodePaperSensorReply(this.#paper)]));
        return;
      case "clear-buffers":
        if (this.#blocks.length > 0) {
          this.#isTruncated = true;
          this.#endJob();
        }
        return;
      case "init":
        this.#style = { ...DEFAULT_STYLE };
        return;
      case "align":
        this.#style.align = command.value;
        return;
      case "bold":
        this.#style.bold = command.on;
        return;
      case "size":
        this.#style.width = command.width;
        this.#style.height = command.height;
        return;
      case "text":
        this.#line += decodeWpc1252(command.bytes);
        return;
      case "newline":
        this.#emitBlock({
          kind: "text",
          text: this.#line,
          align: this.#style.align,
          bold: this.#style.bold,
          size: this.#style.height,
        });
        this.#line = "";
        return;
      case "feed":
        for (let i = 0; i < command.lines; i += 1)
          this.#emitBlock({ kind: "text", text: "", align: 0, bold: false, size: 1 });
        return;
      case "qr-module-size":
        this.#qrModuleSize = command.value;
        return;
      case "qr-store":
        this.#qrData = command.data;
        return;
      case "qr-print":
        if (this.#qrData) {
          this.#emitBlock({
            kind: "qr",
            data: this.#qrData.toString("latin1"),
            moduleSize: this.#qrModuleSize,
            align: this.#style.align,
          });
        }
        return;
      case "raster":
        this.#emitBlock({ kind: "raster", widthBytes: command.widthBytes, height: command.height, data: command.data });
        return;
      case "cut":
        if (this.#line) this.#apply({ kind: "newline" }, socket);
        this.#endJob();
        return;
      case "code-page":
      case "qr-setting":
      case "ignored":
        return;
    }
  }

  #emitBlock(block: JobBlock): void {
    if (!this.#canPrint) {
      this.#isTruncated = true;
      return;
    }
    this.#blocks.push(block);
    if (this.#linesUntilOut !== null) {
      const lines = block.kind === "raster" ? Math.ceil(block.height / 24) : 1;
      this.#linesUntilOut -= lines;
      if (this.#linesUntilOut <= 0) {
        this.#linesUntilOut = null;
        this.#paper = "out";
      }
    }
  }

  #endJob(): void {
    if (this.#blocks.length === 0 && !this.#isTruncated) return;
    this.#seq += 1;
    const job: VirtualJob = {
      seq: this.#seq,
      text: jobText(this.#blocks, this.#isTruncated),
      blocks: this.#blocks,
      isTruncated: this.#isTruncated,
      pngPath: null,
      textPath: null,
    };
    this.#blocks = [];
    this.#line = "";
    this.#isTruncated = false;
    this.#qrData = null;
    const dir = this.#options.jobsDir;
    if (dir) {
      const base = join(dir, `job-${String(job.seq).padStart(5, "0")}`);
      job.textPath = `${base}.txt`;
      const writes = [writeFile(job.textPath, job.text)];
      if (this.#options.shouldRenderPng !== false) {
        job.pngPath = `${base}.png`;
        writes.push(writeFile(job.pngPath, renderJobPng(job.blocks, this.#options.widthDots ?? 576)));
      }
      const done = Promise.all(writes).then(() => undefined);
      this.#pendingWrites.push(done);
      void done.finally(() => {
        this.#pendingWrites = this.#pendingWrites.filter((pending) => pending !== done);
      });
    }
    this.jobs.push(job);
    if (this.jobs.length > VirtualPrinter.KEPT_JOBS) this.jobs.splice(0, this.jobs.length - VirtualPrinter.KEPT_JOBS);
    this.events.emit("job", job);
  }
}

function jobText(blocks: JobBlock[], isTruncated: boolean): string {
  const lines = blocks.map((block) => {
    if (block.kind === "text") return block.text;
    if (block.kind === "qr") return `[QR ${block.data}]`;
    return `[raster ${block.widthBytes * 8}x${block.height}]`;
  });
  if (isTruncated) lines.push("[paper out: job truncated]");
  return `${lines.join("\n")}\n`;
}

/** How many lines of paper a command advances, for the simulated print speed. */
function printedLines(command: EscPosCommand): number {
  switch (command.kind) {
    case "newline":
    case "qr-print":
      return 1;
    case "feed":
      return command.lines;
    case "raster":
      return Math.ceil(command.height / 24);
    default:
      return 0;
  }
}
