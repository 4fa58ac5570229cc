import { Emitter } from "../util/emitter.ts";
import type { Clock } from "../util/timers.ts";
import { encodeHidPosReports, HidPosDecoder } from "./hid-pos-decoder.ts";
import type { Scanner, ScannerEvents } from "./scanner.ts";

/**
 * A scanner for development and tests. Fed data is encoded into the same
 * HID POS reports a real scanner sends and decoded by the real decoder.
 */
export class VirtualScanner implements Scanner {
  readonly kind = "virtual" as const;
  readonly events = new Emitter<ScannerEvents>();
  readonly #decoder = new HidPosDecoder();
  readonly #clock: Clock;
  #connected = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get isConnected(): boolean {
    return this.#connected;
  }

  async start(): Promise<void> {
    this.setConnected(true);
  }

  async stop(): Promise<void> {
    this.#connected = false;
  }

  /** Simulates unplugging (false) and plugging back (true). */
  setConnected(connected: boolean): void {
    if (this.#connected === connected) return;
    this.#connected = connected;
    this.events.emit("connection", { connected });
  }

  /** Scans `data` as if a barcode had been read. Ignored while "unplugged". */
  feed(data: string): void {
    if (!this.#connected) return;
    for (const report of encodeHidPosReports(data)) {
      const scan = this.#decoder.push(report);
      if (scan) this.events.emit("scan", { data: scan.data, source: this.kind, at: new Date(this.#clock.now()) });
    }
  }
}
