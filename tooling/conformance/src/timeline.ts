/**
 * How a conformance run passes time. Against a sandbox the run started itself, time is
 * simulated: one fake clock drives the server code and the sandbox, so PIN waits and
 * deadlines take no real time. Against a configured gateway (live, or a sandbox another
 * process runs) it is the wall clock.
 */
import type { Clock as CoreClock } from "@kiosk/alipay-core";
import { systemClock as coreSystemClock } from "@kiosk/alipay-core";
import { FakeClock, systemClock, type Clock } from "@kiosk/api/clock.ts";

export interface ConformanceTimeline {
  /** The server code's clock. */
  clock: Clock;
  /** alipay-core's clock (epoch ms, sleeps). */
  coreClock: CoreClock;
  isSimulated: boolean;
  /** Lets `ms` pass (simulated: advance the clock and let the sandbox act on it). */
  wait(ms: number): Promise<void>;
  /** Poll step while waiting for the worker. */
  stepMs: number;
}

export function realTimeline(): ConformanceTimeline {
  return {
    clock: systemClock,
    coreClock: coreSystemClock,
    isSimulated: false,
    wait: (ms) => coreSystemClock.sleep(ms),
    stepMs: 250,
  };
}

/** @param afterAdvance e.g. the in-process sandbox's `tick()` (PIN waits, notifications). */
export function simulatedTimeline(clock: FakeClock, afterAdvance: () => Promise<void>): ConformanceTimeline {
  return {
    clock,
    coreClock: {
      now: () => clock.now().getTime(),
      sleep: () => Promise.resolve(),
    },
    isSimulated: true,
    async wait(ms) {
      clock.advance(ms);
      await afterAdvance();
    },
    stepMs: 500,
  };
}
