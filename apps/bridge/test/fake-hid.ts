/** A fake node-hid backend for tests: a device list to edit and devices that replay report bytes. */
import type { HidBackend, HidDeviceInfo, HidHandle } from "../src/scanner/hid-backend.ts";

export class FakeHidDevice implements HidHandle {
  #onData: ((report: Buffer) => void) | null = null;
  #onError: ((error: Error) => void) | null = null;
  isClosed = false;

  onData(listener: (report: Buffer) => void): void {
    this.#onData = listener;
  }

  onError(listener: (error: Error) => void): void {
    this.#onError = listener;
  }

  async close(): Promise<void> {
    this.isClosed = true;
  }

  emitReports(reports: Buffer[]): void {
    for (const report of reports) this.#onData?.(report);
  }

  fail(message: string): void {
    this.#onError?.(new Error(message));
  }
}

export class FakeHidBackend implements HidBackend {
  devices: HidDeviceInfo[] = [];
  readonly opened: FakeHidDevice[] = [];

  async list(): Promise<HidDeviceInfo[]> {
    return [...this.devices];
  }

  async open(path: string): Promise<HidHandle> {
    if (!this.devices.some((device) => device.path === path)) throw new Error(`no device at ${path}`);
    const device = new FakeHidDevice();
    this.opened.push(device);
    return device;
  }

  get last(): FakeHidDevice {
    const device = this.opened.at(-1);
    if (!device) throw new Error("no device opened");
    return device;
  }
}
