import type { Cancellable, Timers } from "../util/timers.ts";
import type { ScanEvent } from "./scanner.ts";

export const DEFAULT_ARM_TIMEOUT_MS = 60_000;

/**
 * Lets scans through only while the page has armed the scanner. A scan
 * outside that window is dropped and counted, so a code read while the
 * visitor is on another screen never acts later.
 */
export class ScanGate {
  readonly #timers: Timers;
  #disarmTimer: Cancellable | null = null;
  #armed = false;
  #dropped = 0;

  constructor(timers: Timers) {
    this.#timers = timers;
  }

  get isArmed(): boolean {
    return this.#armed;
  }

  get droppedScans(): number {
    return this.#dropped;
  }

  arm(timeoutMs: number = DEFAULT_ARM_TIMEOUT_MS, onExpire?: () => void): void {
    this.#disarmTimer?.cancel();
    this.#armed = true;
    this.#disarmTimer = this.#timers.setTimeout(() => {
      this.#armed = false;
      this.#disarmTimer = null;
      onExpire?.();
    }, timeoutMs);
  }

  disarm(): void {
    this.#disarmTimer?.cancel();
    this.#disarmTimer = null;
    this.#armed = false;
  }

  /** Returns the scan if it may be delivered, or null after counting it as dropped. */
  admit(scan: ScanEvent): ScanEvent | null {
    if (this.#armed) return scan;
    this.#dropped += 1;
    return null;
  }
}
