import type { Device, InEndpoint, Interface, OutEndpoint } from "usb";
import { Emitter } from "../util/emitter.ts";
import { TransportError, type PrinterTransport, type TransportEvents } from "./transport.ts";

/**
 * An ESC/POS printer on USB (printer class, bulk OUT for data, bulk IN for
 * status replies) through usb 2.18 (libusb). The kernel's usblp driver is
 * detached from the interface while the bridge holds it.
 */
export class UsbTransport implements PrinterTransport {
  readonly kind = "usb" as const;
  readonly events = new Emitter<TransportEvents>();
  readonly #vendorId: number;
  readonly #productId: number;
  #device: Device | null = null;
  #iface: Interface | null = null;
  #out: OutEndpoint | null = null;
  #in: InEndpoint | null = null;

  constructor(vendorId: number, productId: number) {
    this.#vendorId = vendorId;
    this.#productId = productId;
  }

  get isOpen(): boolean {
    return this.#device !== null;
  }

  async open(): Promise<void> {
    if (this.#device) return;
    const usb = await import("usb");
    const device = usb.findByIds(this.#vendorId, this.#productId);
    if (!device) throw new TransportError(`No USB printer ${hex(this.#vendorId)}:${hex(this.#productId)} attached`);
    device.open();
    const iface =
      device.interfaces?.find((candidate) => candidate.descriptor.bInterfaceClass === 0x07) ?? device.interfaces?.[0];
    if (!iface) {
      device.close();
      throw new TransportError("USB printer has no interface");
    }
    if (process.platform === "linux" && iface.isKernelDriverActive()) iface.detachKernelDriver();
    iface.claim();
    const out = iface.endpoints.find((endpoint) => endpoint.direction === "out") as OutEndpoint | undefined;
    const inbound = iface.endpoints.find((endpoint) => endpoint.direction === "in") as InEndpoint | undefined;
    if (!out) {
      device.close();
      throw new TransportError("USB printer has no bulk OUT endpoint");
    }
    if (inbound) {
      inbound.on("data", (data: Buffer) => {
        if (data.length > 0) this.events.emit("data", data);
      });
      inbound.on("error", () => void this.#lost("USB read failed"));
      inbound.startPoll(1, 64);
    }
    this.#device = device;
    this.#iface = iface;
    this.#out = out;
    this.#in = inbound ?? null;
  }

  async write(data: Buffer): Promise<void> {
    const out = this.#out;
    if (!out) throw new TransportError("USB printer is not open");
    try {
      await out.transferAsync(data);
    } catch (error) {
      await this.#lost("USB write failed");
      throw new TransportError(error instanceof Error ? error.message : String(error));
    }
  }

  async close(): Promise<void> {
    await this.#release();
  }

  async #lost(reason: string): Promise<void> {
    if (!this.#device) return;
    await this.#release();
    this.events.emit("close", { reason });
  }

  async #release(): Promise<void> {
    const device = this.#device;
    this.#device = null;
    if (!device) return;
    try {
      if (this.#in) await new Promise<void>((resolve) => this.#in?.stopPoll(() => resolve()));
      await this.#iface?.releaseAsync();
    } catch {
      // An unplugged device cannot be released; closing below frees the handle.
    }
    try {
      device.close();
    } catch {
      // Already gone.
    }
    this.#iface = null;
    this.#out = null;
    this.#in = null;
  }
}

function hex(value: number): string {
  return value.toString(16).padStart(4, "0");
}
