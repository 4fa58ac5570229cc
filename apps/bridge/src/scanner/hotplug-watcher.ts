import { Emitter } from "../util/emitter.ts";
import type { Cancellable, Poller } from "../util/timers.ts";
import type { HidBackend, HidDeviceInfo } from "./hid-backend.ts";

export const HOTPLUG_POLL_INTERVAL_MS = 500;

export type HotplugEvents = {
  attach: HidDeviceInfo & { path: string };
  detach: { path: string };
};

export interface HotplugWatcherOptions {
  backend: HidBackend;
  poller: Poller;
  /** Picks the interface to use among the devices listed (null: none present). */
  select: (devices: HidDeviceInfo[]) => HidDeviceInfo | undefined;
  intervalMs?: number;
}

/**
 * Polls the HID device list and reports when the selected device appears
 * or disappears. node-hid has no plug events of its own; at 500 ms a
 * re-plugged scanner is found again well inside 2 s.
 */
export class HidHotplugWatcher {
  readonly events = new Emitter<HotplugEvents>();
  readonly #options: HotplugWatcherOptions;
  #current: string | null = null;
  #task: Cancellable | null = null;

  constructor(options: HotplugWatcherOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    await this.check();
    this.#task = this.#options.poller.every(this.#options.intervalMs ?? HOTPLUG_POLL_INTERVAL_MS, () => this.check());
  }

  stop(): void {
    this.#task?.cancel();
    this.#task = null;
  }

  /** Forget the current device so the next poll attaches it again (after an open failure or I/O error). */
  forget(): void {
    this.#current = null;
  }

  async check(): Promise<void> {
    let devices: HidDeviceInfo[];
    try {
      devices = await this.#options.backend.list();
    } catch {
      devices = [];
    }
    const selected = this.#options.select(devices);
    const path = selected?.path ?? null;
    if (this.#current !== null && this.#current !== path) {
      const gone = this.#current;
      this.#current = null;
      this.events.emit("detach", { path: gone });
    }
    if (selected && path !== null && this.#current === null) {
      this.#current = path;
      this.events.emit("attach", { ...selected, path });
    }
  }
}

/** Selects a vid:pid device, preferring the interface with the wanted usage page. */
export function selectByVidPid(
  vendorId: number,
  productId: number,
  preferredUsagePage?: number,
): (devices: HidDeviceInfo[]) => HidDeviceInfo | undefined {
  return (devices) => {
    const candidates = devices.filter(
      (device) => device.vendorId === vendorId && device.productId === productId && device.path !== undefined,
    );
    return candidates.find((device) => device.usagePage === preferredUsagePage) ?? candidates[0];
  };
}
