import type { ScannerKind } from "@kiosk/bridge-protocol";
import { Emitter } from "../util/emitter.ts";
import type { Logger } from "../util/logger.ts";
import type { Cancellable, Clock, Timers } from "../util/timers.ts";
import type { HidHandle } from "./hid-backend.ts";
import type { HidHotplugWatcher } from "./hotplug-watcher.ts";
import type { Scanner, ScannerEvents } from "./scanner.ts";

/** Turns raw reports into completed scans; flush() ends a scan on idle. */
export interface ReportDecoder {
  push(report: Buffer): string[];
  flush(): string | null;
  readonly hasPending: boolean;
  reset(): void;
}

export interface HidScannerOptions {
  kind: Extract<ScannerKind, "hid-pos" | "hid-keyboard">;
  watcher: HidHotplugWatcher;
  open: (path: string) => Promise<HidHandle>;
  decoder: ReportDecoder;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  /** End a scan this long after the last report when no terminator came (0: never). */
  idleFlushMs?: number;
}

/** A HID scanner that follows its device through unplug and re-plug. */
export class HidScanner implements Scanner {
  readonly events = new Emitter<ScannerEvents>();
  readonly kind: Extract<ScannerKind, "hid-pos" | "hid-keyboard">;
  readonly #options: HidScannerOptions;
  #handle: HidHandle | null = null;
  #idleTimer: Cancellable | null = null;
  #stopped = false;

  constructor(options: HidScannerOptions) {
    this.#options = options;
    this.kind = options.kind;
  }

  get isConnected(): boolean {
    return this.#handle !== null;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    const watcher = this.#options.watcher;
    watcher.events.on("attach", (device) => void this.#open(device.path));
    watcher.events.on("detach", () => void this.#close("device unplugged"));
    await watcher.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#options.watcher.stop();
    await this.#close("bridge stopping");
  }

  async #open(path: string): Promise<void> {
    if (this.#stopped || this.#handle) return;
    const { logger } = this.#options;
    try {
      const handle = await this.#options.open(path);
      this.#handle = handle;
      this.#options.decoder.reset();
      handle.onData((report) => this.#onReport(report));
      handle.onError((error) => {
        logger.warn("scanner read failed", { error });
        void this.#close("read error");
        // The device may still be listed (e.g. a glitch); let the next poll re-open it.
        this.#options.watcher.forget();
      });
      logger.info("scanner connected", { path, kind: this.kind });
      this.events.emit("connection", { connected: true });
    } catch (error) {
      logger.warn("scanner open failed", { path, error });
      this.#options.watcher.forget();
    }
  }

  async #close(reason: string): Promise<void> {
    const handle = this.#handle;
    if (!handle) return;
    this.#handle = null;
    this.#idleTimer?.cancel();
    try {
      await handle.close();
    } catch {
      // Closing an unplugged device fails; it is gone either way.
    }
    this.#options.logger.info("scanner disconnected", { reason });
    this.events.emit("connection", { connected: false });
  }

  #onReport(report: Buffer): void {
    const { decoder, idleFlushMs = 0 } = this.#options;
    for (const data of decoder.push(report)) this.#emit(data);
    this.#idleTimer?.cancel();
    if (idleFlushMs > 0 && decoder.hasPending) {
      this.#idleTimer = this.#options.timers.setTimeout(() => {
        const data = decoder.flush();
        if (data !== null) this.#emit(data);
      }, idleFlushMs);
    }
  }

  #emit(data: string): void {
    this.events.emit("scan", { data, source: this.kind, at: new Date(this.#options.clock.now()) });
  }
}
