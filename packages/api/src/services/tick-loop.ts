/**
 * A real-time loop around an async `tick`: one tick at a time, the next `intervalMs` after
 * the previous one ended, stopped by `stop()` or an abort signal; `stop()` waits for the tick
 * in flight. Used by the payment worker and the maintenance job.
 *
 * Failures are reported per state change, not per tick: `onError` once when ticks start failing
 * (the database went away), `onRecover` once when one succeeds again. While failing, the wait
 * doubles up to `maxBackoffMs`, so a dead database is not hammered.
 */
export interface TickLoop {
  start(signal?: AbortSignal): void;
  stop(): Promise<void>;
}

export function createTickLoop(
  tick: () => Promise<unknown>,
  options: {
    intervalMs: number;
    onError: (message: string) => void;
    onRecover?: (info: { failedTicks: number; downMs: number }) => void;
    /** @default max(10 × intervalMs, 5 s) */
    maxBackoffMs?: number;
    unref?: boolean;
  },
): TickLoop {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<unknown> | undefined;
  let isStopped = true;
  let failedTicks = 0;
  let failingSinceMs = 0;
  const maxBackoffMs = options.maxBackoffMs ?? Math.max(10 * options.intervalMs, 5_000);

  function start(signal?: AbortSignal): void {
    if (!isStopped) return;
    isStopped = false;
    const loop = (): void => {
      if (isStopped) return;
      running = tick()
        .then(
          () => {
            if (failedTicks > 0) options.onRecover?.({ failedTicks, downMs: Date.now() - failingSinceMs });
            failedTicks = 0;
          },
          (error: unknown) => {
            if (failedTicks === 0) {
              failingSinceMs = Date.now();
              options.onError(error instanceof Error ? error.message : String(error));
            }
            failedTicks += 1;
          },
        )
        .finally(() => {
          running = undefined;
          if (!isStopped) {
            const waitMs =
              failedTicks === 0 ? options.intervalMs : Math.min(maxBackoffMs, options.intervalMs * 2 ** failedTicks);
            timer = setTimeout(loop, waitMs);
            if (options.unref) timer.unref();
          }
        });
    };
    signal?.addEventListener("abort", () => void stop(), { once: true });
    loop();
  }

  async function stop(): Promise<void> {
    isStopped = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
    await running;
  }

  return { start, stop };
}
