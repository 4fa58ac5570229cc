import { describe, expect, it } from "vitest";
import { silentLogger } from "../util/logger.ts";
import { ManualPoller, ManualTimers } from "../util/timers.ts";
import { FakeHidBackend } from "../../test/fake-hid.ts";
import { encodeKeyboardReports } from "./hid-keyboard-decoder.ts";
import { createHidKeyboardScanner, KEYBOARD_IDLE_FLUSH_MS } from "./hid-keyboard-scanner.ts";
import { encodeHidPosReports } from "./hid-pos-decoder.ts";
import { createHidPosScanner } from "./hid-pos-scanner.ts";
import { HOTPLUG_POLL_INTERVAL_MS } from "./hotplug-watcher.ts";
import { KEYMAPS } from "./keymap.ts";
import type { ScanEvent } from "./scanner.ts";

const SCANNER = { vendorId: 0x0c2e, productId: 0x0b61 };

function setup() {
  const backend = new FakeHidBackend();
  const poller = new ManualPoller();
  const timers = new ManualTimers();
  const deps = { ...SCANNER, backend, poller, clock: timers, timers, logger: silentLogger };
  return { backend, poller, timers, deps };
}

describe("HID POS scanner with hot-plug", () => {
  it("finds a scanner that is plugged in after start and decodes its reports", async () => {
    const { backend, poller, deps } = setup();
    const scanner = createHidPosScanner(deps);
    const scans: ScanEvent[] = [];
    scanner.events.on("scan", (scan) => scans.push(scan));
    await scanner.start();
    expect(scanner.isConnected).toBe(false);
    backend.devices = [
      { ...SCANNER, path: "/dev/hidraw3", usagePage: 0x01, interface: 0 },
      { ...SCANNER, path: "/dev/hidraw4", usagePage: 0x8c, interface: 1 },
    ];
    await poller.tick();
    await Promise.resolve();
    expect(scanner.isConnected).toBe(true);
    backend.last.emitReports(encodeHidPosReports("T1.ABC.sig"));
    expect(scans.map((scan) => [scan.data, scan.source])).toEqual([["T1.ABC.sig", "hid-pos"]]);
    await scanner.stop();
  });

  it("is found again within 2 s after being unplugged and plugged back", async () => {
    const { backend, poller, deps } = setup();
    backend.devices = [{ ...SCANNER, path: "/dev/hidraw4", usagePage: 0x8c, interface: 0 }];
    const scanner = createHidPosScanner(deps);
    const connections: boolean[] = [];
    scanner.events.on("connection", ({ connected }) => connections.push(connected));
    await scanner.start();
    await Promise.resolve();
    expect(scanner.isConnected).toBe(true);

    const plugged = backend.devices;
    backend.devices = [];
    await poller.tick();
    await Promise.resolve();
    expect(scanner.isConnected).toBe(false);

    // Re-enumerated under a new hidraw node, as Linux does.
    backend.devices = [{ ...plugged[0]!, path: "/dev/hidraw5" }];
    let ticks = 0;
    while (!scanner.isConnected && ticks < 10) {
      await poller.tick();
      await Promise.resolve();
      ticks += 1;
    }
    expect(ticks * HOTPLUG_POLL_INTERVAL_MS).toBeLessThanOrEqual(2000);
    expect(connections).toEqual([true, false, true]);
    await scanner.stop();
  });

  it("re-opens after a read error while the device stays listed", async () => {
    const { backend, poller, deps } = setup();
    backend.devices = [{ ...SCANNER, path: "/dev/hidraw4", usagePage: 0x8c, interface: 0 }];
    const scanner = createHidPosScanner(deps);
    await scanner.start();
    await Promise.resolve();
    backend.last.fail("EIO");
    await Promise.resolve();
    expect(scanner.isConnected).toBe(false);
    await poller.tick();
    await Promise.resolve();
    expect(scanner.isConnected).toBe(true);
    expect(backend.opened).toHaveLength(2);
    await scanner.stop();
  });
});

describe("HID keyboard-mode scanner", () => {
  it("decodes keyboard reports to one scan per Enter", async () => {
    const { backend, deps } = setup();
    backend.devices = [{ ...SCANNER, path: "/dev/hidraw2", usagePage: 0x01, interface: 0 }];
    const scanner = createHidKeyboardScanner({ ...deps, keymap: KEYMAPS.us });
    const scans: string[] = [];
    scanner.events.on("scan", (scan) => scans.push(scan.data));
    await scanner.start();
    await Promise.resolve();
    backend.last.emitReports([
      ...encodeKeyboardReports("ORDER-42", KEYMAPS.us),
      ...encodeKeyboardReports("X9", KEYMAPS.us),
    ]);
    expect(scans).toEqual(["ORDER-42", "X9"]);
    await scanner.stop();
  });

  it("ends a scan without Enter after the idle time", async () => {
    const { backend, timers, deps } = setup();
    backend.devices = [{ ...SCANNER, path: "/dev/hidraw2", usagePage: 0x01, interface: 0 }];
    const scanner = createHidKeyboardScanner({ ...deps, keymap: KEYMAPS.us });
    const scans: string[] = [];
    scanner.events.on("scan", (scan) => scans.push(scan.data));
    await scanner.start();
    await Promise.resolve();
    backend.last.emitReports(encodeKeyboardReports("NOENTER", KEYMAPS.us).slice(0, -2));
    expect(scans).toEqual([]);
    timers.advance(KEYBOARD_IDLE_FLUSH_MS);
    expect(scans).toEqual(["NOENTER"]);
    await scanner.stop();
  });
});
