import type { Logger } from "../util/logger.ts";
import type { Clock, Poller, Timers } from "../util/timers.ts";
import type { HidBackend } from "./hid-backend.ts";
import { HidKeyboardDecoder } from "./hid-keyboard-decoder.ts";
import { HidScanner } from "./hid-scanner.ts";
import { HidHotplugWatcher, selectByVidPid } from "./hotplug-watcher.ts";
import type { Keymap } from "./keymap.ts";

const GENERIC_DESKTOP_USAGE_PAGE = 0x01;
export const KEYBOARD_IDLE_FLUSH_MS = 80;

export interface HidKeyboardScannerOptions {
  vendorId: number;
  productId: number;
  keymap: Keymap;
  /** Must be a libusb backend, so the kernel keyboard driver is detached and no keys reach the screen. */
  backend: HidBackend;
  poller: Poller;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  hasReportId?: boolean;
}

/** A keyboard-mode (wedge) scanner read as raw keyboard reports and decoded with a keymap. */
export function createHidKeyboardScanner(options: HidKeyboardScannerOptions): HidScanner {
  const decoder = new HidKeyboardDecoder({ keymap: options.keymap, hasReportId: options.hasReportId ?? false });
  let current = decoder;
  return new HidScanner({
    kind: "hid-keyboard",
    watcher: new HidHotplugWatcher({
      backend: options.backend,
      poller: options.poller,
      select: selectByVidPid(options.vendorId, options.productId, GENERIC_DESKTOP_USAGE_PAGE),
    }),
    open: (path) => options.backend.open(path),
    decoder: {
      push: (report) => current.push(report),
      flush: () => current.flush(),
      get hasPending() {
        return current.hasPending;
      },
      reset: () => {
        current = new HidKeyboardDecoder({ keymap: options.keymap, hasReportId: options.hasReportId ?? false });
      },
    },
    clock: options.clock,
    timers: options.timers,
    logger: options.logger,
    // Scanners set up without an Enter suffix still end a scan (pretix/pretixscan-desktop#4).
    idleFlushMs: KEYBOARD_IDLE_FLUSH_MS,
  });
}
