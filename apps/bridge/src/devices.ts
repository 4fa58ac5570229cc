import type { DevicesStatus, PrinterStatus, ScannerStatus } from "@kiosk/bridge-protocol";
import { DISCONNECTED_READING, type EscPosPrinter, type PrinterReading } from "./printer/escpos-printer.ts";
import type { PrintService } from "./printer/print-service.ts";
import type { ScanGate } from "./scanner/scan-gate.ts";
import type { ScanEvent, Scanner } from "./scanner/scanner.ts";
import { Emitter } from "./util/emitter.ts";
import type { Logger } from "./util/logger.ts";
import type { Cancellable, Poller } from "./util/timers.ts";

export type DeviceHubEvents = {
  /** A scan that passed the arming gate. */
  scan: ScanEvent;
  status: DevicesStatus;
};

export interface DeviceHubOptions {
  scanner: Scanner;
  gate: ScanGate;
  printer: EscPosPrinter;
  printService: PrintService;
  poller: Poller;
  statusPollMs: number;
  logger: Logger;
  /** For the dropped-scan log throttle (ms since epoch). */
  now?: () => number;
}

/** A scanner fed codes while disarmed (a stuck key, someone waving codes) logs at most one line per interval. */
export const DROPPED_SCAN_LOG_INTERVAL_MS = 60_000;

/** Owns the devices' live state and publishes it whenever it changes. */
export class DeviceHub {
  readonly events = new Emitter<DeviceHubEvents>();
  readonly #options: DeviceHubOptions;
  #reading: PrinterReading = DISCONNECTED_READING;
  #poll: Cancellable | null = null;
  #lastPublished = "";
  #droppedLogAt: number | null = null;
  #droppedAtLastLog = 0;

  constructor(options: DeviceHubOptions) {
    this.#options = options;
    options.scanner.events.on("scan", (scan) => {
      const admitted = options.gate.admit(scan);
      if (admitted) this.events.emit("scan", admitted);
      else {
        this.#logDropped();
        this.publish(true);
      }
    });
    options.scanner.events.on("connection", () => this.publish());
    options.printService.events.on("queue", () => this.publish());
  }

  #logDropped(): void {
    const now = (this.#options.now ?? Date.now)();
    if (this.#droppedLogAt !== null && now - this.#droppedLogAt < DROPPED_SCAN_LOG_INTERVAL_MS) return;
    const dropped = this.#options.gate.droppedScans;
    this.#options.logger.info("scan dropped: scanner not armed", {
      dropped,
      droppedSinceLastLog: dropped - this.#droppedAtLastLog,
    });
    this.#droppedLogAt = now;
    this.#droppedAtLastLog = dropped;
  }

  async start(): Promise<void> {
    await this.#options.scanner.start();
    await this.refreshPrinter();
    this.#poll = this.#options.poller.every(this.#options.statusPollMs, () => this.refreshPrinter());
  }

  async stop(): Promise<void> {
    this.#poll?.cancel();
    await this.#options.scanner.stop();
  }

  async refreshPrinter(): Promise<void> {
    this.#reading = await this.#options.printer.status();
    this.publish();
  }

  status(): DevicesStatus {
    const { scanner, gate, printer, printService } = this.#options;
    const scannerStatus: ScannerStatus = {
      kind: scanner.kind,
      connected: scanner.isConnected,
      armed: gate.isArmed,
      droppedScans: gate.droppedScans,
    };
    const printerStatus: PrinterStatus = {
      kind: printer.kind,
      connected: this.#reading.connected,
      online: this.#reading.online,
      paper: this.#reading.paper,
      coverOpen: this.#reading.coverOpen,
      error: this.#reading.error,
      queuedJobs: printService.queuedCount,
    };
    return { scanner: scannerStatus, printer: printerStatus };
  }

  /** Emits the status if it changed since the last emission (or always, when forced). */
  publish(force = false): void {
    const status = this.status();
    const key = JSON.stringify(status);
    if (!force && key === this.#lastPublished) return;
    this.#lastPublished = key;
    this.events.emit("status", status);
  }
}
