/** Time sources, injectable so tests drive them instead of sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface Cancellable {
  cancel(): void;
}

/** Runs a task repeatedly; the real one uses setInterval, tests tick by hand. */
export interface Poller {
  every(intervalMs: number, task: () => void | Promise<void>): Cancellable;
}

export const intervalPoller: Poller = {
  every(intervalMs, task) {
    let running = false;
    const handle = setInterval(() => {
      // Skip a tick rather than overlap a slow task (device enumeration can stall).
      if (running) return;
      running = true;
      void Promise.resolve()
        .then(task)
        .catch(() => undefined)
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    handle.unref();
    return { cancel: () => clearInterval(handle) };
  },
};

/** A poller whose tasks run only when the test calls `tick()`. */
export class ManualPoller implements Poller {
  readonly #tasks = new Set<() => void | Promise<void>>();

  every(_intervalMs: number, task: () => void | Promise<void>): Cancellable {
    this.#tasks.add(task);
    return { cancel: () => this.#tasks.delete(task) };
  }

  async tick(): Promise<void> {
    for (const task of [...this.#tasks]) await task();
  }

  get size(): number {
    return this.#tasks.size;
  }
}

/** One-shot timers (arming windows, read time-outs). */
export interface Timers {
  setTimeout(callback: () => void, ms: number): Cancellable;
}

export const systemTimers: Timers = {
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};

/** Timers that fire only when the test advances time. */
export class ManualTimers implements Timers, Clock {
  #now = 0;
  #pending: { at: number; callback: () => void; active: boolean }[] = [];

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): Cancellable {
    const entry = { at: this.#now + ms, callback, active: true };
    this.#pending.push(entry);
    return { cancel: () => void (entry.active = false) };
  }

  advance(ms: number): void {
    this.#now += ms;
    const due = this.#pending.filter((entry) => entry.active && entry.at <= this.#now);
    this.#pending = this.#pending.filter((entry) => entry.active && entry.at > this.#now);
    for (const entry of due) entry.callback();
  }
}
