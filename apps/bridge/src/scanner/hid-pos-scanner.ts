import type { Logger } from "../util/logger.ts";
import type { Clock, Poller, Timers } from "../util/timers.ts";
import type { HidBackend } from "./hid-backend.ts";
import { HidPosDecoder, HID_POS_LAYOUT, type HidPosReportLayout } from "./hid-pos-decoder.ts";
import { HidScanner } from "./hid-scanner.ts";
import { HidHotplugWatcher, selectByVidPid } from "./hotplug-watcher.ts";

export const HID_POS_USAGE_PAGE = 0x8c;

export interface HidPosScannerOptions {
  vendorId: number;
  productId: number;
  backend: HidBackend;
  poller: Poller;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  layout?: HidPosReportLayout;
}

/** A scanner in HID POS mode (usage page 0x8C): whole barcodes in data reports, no keystrokes. */
export function createHidPosScanner(options: HidPosScannerOptions): HidScanner {
  const decoder = new HidPosDecoder(options.layout ?? HID_POS_LAYOUT);
  return new HidScanner({
    kind: "hid-pos",
    watcher: new HidHotplugWatcher({
      backend: options.backend,
      poller: options.poller,
      select: selectByVidPid(options.vendorId, options.productId, HID_POS_USAGE_PAGE),
    }),
    open: (path) => options.backend.open(path),
    decoder: {
      push: (report) => {
        const scan = decoder.push(report);
        return scan ? [scan.data] : [];
      },
      flush: () => null,
      hasPending: false,
      reset: () => decoder.reset(),
    },
    clock: options.clock,
    timers: options.timers,
    logger: options.logger,
  });
}
