/**
 * A real-time loop around an async `tick`: one tick at a time, the next `intervalMs` after
 * the previous one ended, a failed tick logged (never thrown), stopped by `stop()` or an
 * abort signal; `stop()` waits for the tick in flight. Used by the payment worker and the
 * maintenance job.
 */
export interface TickLoop {
  start(signal?: AbortSignal): void;
  stop(): Promise<void>;
}

export function createTickLoop(
  tick: () => Promise<unknown>,
  options: { intervalMs: number; onError: (message: string) => void; unref?: boolean },
): TickLoop {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<unknown> | undefined;
  let isStopped = true;

  function start(signal?: AbortSignal): void {
    if (!isStopped) return;
    isStopped = false;
    const loop = (): void => {
      if (isStopped) return;
      running = tick()
        .catch((error: unknown) => options.onError(error instanceof Error ? error.message : String(error)))
        .finally(() => {
          running = undefined;
          if (!isStopped) {
            timer = setTimeout(loop, options.intervalMs);
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
