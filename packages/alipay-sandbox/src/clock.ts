/** Source of "now" for every time-driven rule of the sandbox (PIN waits, notification retries, bill days). */
export type Clock = { now(): number };

/** Wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to; tests advance it instead of sleeping. */
export type ManualClock = Clock & {
  advance(ms: number): number;
  set(epochMs: number): void;
};

/** Creates a manual clock starting at `startMs` (default 2024-01-01T04:00:00Z = 12:00 in GMT+8). */
export function createManualClock(startMs = Date.UTC(2024, 0, 1, 4, 0, 0)): ManualClock {
  let current = startMs;
  return {
    now: () => current,
    advance(ms: number): number {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`Cannot advance the clock by ${ms} ms`);
      current += ms;
      return current;
    },
    set(epochMs: number): void {
      current = epochMs;
    },
  };
}
