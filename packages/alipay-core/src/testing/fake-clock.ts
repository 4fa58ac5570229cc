import type { Clock } from "../clock.ts";

type Timer = {
  at: number;
  seq: number;
  resolve: () => void;
  reject: (e: unknown) => void;
  cleanup: () => void;
};

/**
 * Deterministic clock for tests (XState `SimulatedClock` style). Time only moves when the test
 * calls {@link FakeClock.advance} — or, with `autoAdvance`, whenever every pending sleep is the
 * only thing left to do (time jumps straight to the earliest timer).
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];
  readonly #isAutoAdvance: boolean;
  /** Every sleep duration requested, in order (for asserting schedules). */
  readonly sleeps: number[] = [];

  constructor(options: { startMs?: number; autoAdvance?: boolean } = {}) {
    this.#now = options.startMs ?? Date.UTC(2024, 0, 1, 4, 0, 0);
    this.#isAutoAdvance = options.autoAdvance ?? false;
  }

  now(): number {
    return this.#now;
  }

  get pendingTimers(): number {
    return this.#timers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer: Timer = {
        at: this.#now + Math.max(0, ms),
        seq: this.#seq++,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener("abort", onAbort),
      };
      const onAbort = (): void => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#timers.push(timer);
      if (this.#isAutoAdvance) {
        setImmediate(() => this.#fireNextIfAlone(timer));
      }
    });
  }

  #fireNextIfAlone(timer: Timer): void {
    if (!this.#timers.includes(timer)) return;
    const next = this.#earliest();
    if (next === undefined) return;
    this.#now = Math.max(this.#now, next.at);
    this.#fire(next);
  }

  #earliest(): Timer | undefined {
    return [...this.#timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
  }

  #fire(timer: Timer): void {
    this.#timers = this.#timers.filter((t) => t !== timer);
    timer.cleanup();
    timer.resolve();
  }

  /** Moves time forward by `ms`, firing due timers in order and letting their continuations run. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      const next = this.#earliest();
      if (next === undefined || next.at > target) break;
      this.#now = next.at;
      this.#fire(next);
      await flushMacrotask();
    }
    this.#now = target;
    await flushMacrotask();
  }

  /** Sets the absolute time (never backwards). */
  async set(ms: number): Promise<void> {
    await this.advance(Math.max(0, ms - this.#now));
  }
}

function flushMacrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
