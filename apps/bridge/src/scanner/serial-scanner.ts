import { Emitter } from "../util/emitter.ts";
import type { Logger } from "../util/logger.ts";
import type { Cancellable, Clock, Poller } from "../util/timers.ts";
import type { Scanner, ScannerEvents } from "./scanner.ts";

/** The part of a serial port the scanner uses (serialport's SerialPort and SerialPortMock both fit). */
export interface SerialLink {
  on(event: "data", listener: (chunk: Buffer) => void): unknown;
  on(event: "close", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  close(callback?: (error?: Error | null) => void): void;
}

export interface SerialScannerOptions {
  path: string;
  open: (path: string) => Promise<SerialLink>;
  poller: Poller;
  clock: Clock;
  logger: Logger;
  reconnectIntervalMs?: number;
}

/**
 * A scanner in USB-serial (CDC) or RS-232 mode: each barcode is a line of
 * text ending in CR and/or LF. A port that disappears is re-opened when it
 * comes back.
 */
export class SerialScanner implements Scanner {
  readonly kind = "serial" as const;
  readonly events = new Emitter<ScannerEvents>();
  readonly #options: SerialScannerOptions;
  #link: SerialLink | null = null;
  #pending = "";
  #task: Cancellable | null = null;
  #isOpening = false;

  constructor(options: SerialScannerOptions) {
    this.#options = options;
  }

  get isConnected(): boolean {
    return this.#link !== null;
  }

  async start(): Promise<void> {
    await this.#tryOpen();
    this.#task = this.#options.poller.every(this.#options.reconnectIntervalMs ?? 500, () => this.#tryOpen());
  }

  async stop(): Promise<void> {
    this.#task?.cancel();
    const link = this.#link;
    this.#link = null;
    if (link) await new Promise<void>((resolve) => link.close(() => resolve()));
  }

  async #tryOpen(): Promise<void> {
    if (this.#link || this.#isOpening) return;
    this.#isOpening = true;
    try {
      const link = await this.#options.open(this.#options.path);
      this.#link = link;
      this.#pending = "";
      link.on("data", (chunk) => this.#onData(chunk));
      link.on("close", () => this.#lost("port closed"));
      link.on("error", (error) => this.#lost(error.message));
      this.#options.logger.info("scanner connected", { path: this.#options.path, kind: this.kind });
      this.events.emit("connection", { connected: true });
    } catch {
      // Not plugged in yet; the poller tries again.
    } finally {
      this.#isOpening = false;
    }
  }

  #lost(reason: string): void {
    if (!this.#link) return;
    this.#link = null;
    this.#options.logger.warn("scanner disconnected", { reason });
    this.events.emit("connection", { connected: false });
  }

  #onData(chunk: Buffer): void {
    this.#pending += chunk.toString("utf-8");
    const parts = this.#pending.split(/\r\n|\r|\n/);
    this.#pending = parts.pop() ?? "";
    for (const data of parts) {
      if (data.length > 0)
        this.events.emit("scan", { data, source: this.kind, at: new Date(this.#options.clock.now()) });
    }
  }
}

export async function openSerialPort(path: string, baudRate = 9600): Promise<SerialLink> {
  const { SerialPort } = await import("serialport");
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    port.open((error) => (error ? reject(error) : resolve(port)));
  });
}
