/**
 * Talks ESC/POS to one printer over a transport: real-time status through
 * DLE EOT 1–4 (every read has a time-out, and "no answer" is a state of its
 * own), and print jobs confirmed by GS r 1, which the printer only answers
 * once everything sent before it has been processed.
 */
import type { PaperState, PrinterKind } from "@kiosk/bridge-protocol";
import type { Logger } from "../util/logger.ts";
import type { Cancellable, Timers } from "../util/timers.ts";
import { DLE, realtimeStatusRequest, TRANSMIT_PAPER_STATUS } from "./escpos.ts";
import { decodePaperSensorReply, decodeStatus, isStatusByte, type DecodedStatus } from "./status.ts";
import type { PrinterTransport } from "./transport.ts";

export interface PrinterReading extends DecodedStatus {
  /** The transport is open and the printer answered. */
  connected: boolean;
}

export const DISCONNECTED_READING: PrinterReading = {
  connected: false,
  online: false,
  paper: "unknown",
  coverOpen: false,
  error: false,
};

export type PrintOutcome =
  | { ok: true }
  /** `sentAny`: some bytes may have reached the printer, so the job must never be re-sent automatically. */
  | { ok: false; reason: string; sentAny: boolean };

/** DLE DC4 8: Epson "clear buffers", so a job stopped by paper-out does not finish after a refill. */
const CLEAR_BUFFERS = Buffer.from([DLE, 0x14, 0x08, 0x01, 0x03, 0x14, 0x01, 0x06, 0x02, 0x08]);

export interface EscPosPrinterOptions {
  transport: PrinterTransport;
  timers: Timers;
  logger: Logger;
  statusTimeoutMs?: number;
  /** Longest a job may take to print before it counts as unconfirmed. */
  printTimeoutMs?: number;
  /** How often to check for paper-out while waiting for a job's confirmation. */
  printWatchIntervalMs?: number;
}

type Waiter = { accept: (byte: number) => boolean; resolve: (byte: number | null) => void; timer: Cancellable };

export class EscPosPrinter {
  #options: EscPosPrinterOptions;
  readonly #incoming: number[] = [];
  #waiter: Waiter | null = null;
  /** A GS r reply that arrived while a status read was waiting. */
  #pendingReply: number | null = null;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(options: EscPosPrinterOptions) {
    this.#options = options;
    this.#attach(options.transport);
  }

  /** Swaps the transport (the virtual printer's port is only known once it listens). */
  replaceTransport(transport: PrinterTransport): void {
    this.#options = { ...this.#options, transport };
    this.#attach(transport);
  }

  #attach(transport: PrinterTransport): void {
    transport.events.on("data", (data) => {
      for (const byte of data) this.#incoming.push(byte);
      this.#deliver();
    });
    transport.events.on("close", () => {
      this.#incoming.length = 0;
      this.#settle(null);
    });
  }

  get kind(): PrinterKind {
    return this.#options.transport.kind;
  }

  /** Reads the four real-time status bytes; a printer that does not answer reads as disconnected. */
  status(): Promise<PrinterReading> {
    return this.#exclusive(async () => {
      if (!(await this.#ensureOpen())) return DISCONNECTED_READING;
      return (await this.#readStatus()) ?? DISCONNECTED_READING;
    });
  }

  print(bytes: Buffer): Promise<PrintOutcome> {
    return this.#exclusive(async () => {
      if (!(await this.#ensureOpen())) return { ok: false, reason: "printer_unreachable", sentAny: false };
      const before = await this.#readStatus();
      if (!before) return { ok: false, reason: "printer_not_responding", sentAny: false };
      const notReady = notReadyReason(before);
      if (notReady) return { ok: false, reason: notReady, sentAny: false };
      this.#pendingReply = null;
      try {
        await this.#options.transport.write(bytes);
        await this.#options.transport.write(TRANSMIT_PAPER_STATUS);
      } catch {
        return { ok: false, reason: "connection_lost_during_print", sentAny: true };
      }
      return this.#awaitCompletion();
    });
  }

  async close(): Promise<void> {
    await this.#exclusive(() => this.#options.transport.close());
  }

  async #awaitCompletion(): Promise<PrintOutcome> {
    const { printTimeoutMs = 60_000, printWatchIntervalMs = 500 } = this.#options;
    let waited = 0;
    while (waited < printTimeoutMs) {
      // A GS r reply has bit 4 clear; DLE EOT replies have it set.
      const reply =
        this.#takePendingReply() ?? (await this.#readByte(printWatchIntervalMs, (byte) => !isStatusByte(byte)));
      if (reply !== null) {
        const paper = decodePaperSensorReply(reply);
        return paper === "out" ? this.#abandon("paper_out_during_print") : { ok: true };
      }
      if (!this.#options.transport.isOpen) return { ok: false, reason: "connection_lost_during_print", sentAny: true };
      waited += printWatchIntervalMs;
      const now = await this.#readStatus();
      if (this.#pendingReply !== null) continue;
      if (now && now.paper === "out") return this.#abandon("paper_out_during_print");
      if (now && now.coverOpen) return this.#abandon("cover_opened_during_print");
    }
    return { ok: false, reason: "print_unconfirmed", sentAny: true };
  }

  async #abandon(reason: string): Promise<PrintOutcome> {
    try {
      await this.#options.transport.write(CLEAR_BUFFERS);
    } catch {
      // The job is failed either way.
    }
    return { ok: false, reason, sentAny: true };
  }

  async #ensureOpen(): Promise<boolean> {
    const { transport, logger } = this.#options;
    if (transport.isOpen) return true;
    try {
      await transport.open();
      this.#incoming.length = 0;
      logger.info("printer connected", { kind: transport.kind });
      return true;
    } catch (error) {
      logger.debug("printer open failed", { error });
      return false;
    }
  }

  async #readStatus(): Promise<PrinterReading | null> {
    const values: number[] = [];
    for (const byte of this.#incoming) if (!isStatusByte(byte)) this.#pendingReply = byte;
    this.#incoming.length = 0;
    for (const n of [1, 2, 3, 4] as const) {
      try {
        await this.#options.transport.write(realtimeStatusRequest(n));
      } catch {
        return null;
      }
      const byte = await this.#readByte(this.#options.statusTimeoutMs ?? 1000, isStatusByte);
      if (byte === null) return null;
      values.push(byte);
    }
    const [printer = 0, offlineCause = 0, errorCause = 0, paperSensor = 0] = values;
    return { connected: true, ...decodeStatus({ printer, offlineCause, errorCause, paperSensor }) };
  }

  #takePendingReply(): number | null {
    const reply = this.#pendingReply;
    this.#pendingReply = null;
    return reply;
  }

  #readByte(timeoutMs: number, accept: (byte: number) => boolean): Promise<number | null> {
    return new Promise((resolve) => {
      const timer = this.#options.timers.setTimeout(() => this.#settle(null), timeoutMs);
      this.#waiter = { accept, resolve, timer };
      this.#deliver();
    });
  }

  #deliver(): void {
    while (this.#waiter && this.#incoming.length > 0) {
      const byte = this.#incoming.shift() ?? 0;
      if (this.#waiter.accept(byte)) this.#settle(byte);
      else if (!isStatusByte(byte)) this.#pendingReply = byte;
    }
  }

  #settle(value: number | null): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    this.#waiter = null;
    waiter.timer.cancel();
    waiter.resolve(value);
  }

  #exclusive<TResult>(task: () => Promise<TResult>): Promise<TResult> {
    const run = this.#chain.then(task, task);
    this.#chain = run.catch(() => undefined);
    return run;
  }
}

export function notReadyReason(reading: {
  online: boolean;
  paper: PaperState;
  coverOpen: boolean;
  error: boolean;
}): string | null {
  if (reading.paper === "out") return "paper_out";
  if (reading.coverOpen) return "cover_open";
  if (reading.error) return "printer_error";
  if (!reading.online) return "printer_offline";
  return null;
}
