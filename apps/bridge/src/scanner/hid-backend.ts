/**
 * The node-hid edge. Everything above it is tested with a fake backend that
 * replays recorded report bytes; only `createNodeHidBackend` touches the
 * native module, and it loads it lazily so virtual mode never needs libusb.
 */
export interface HidDeviceInfo {
  vendorId: number;
  productId: number;
  path?: string | undefined;
  usagePage?: number | undefined;
  usage?: number | undefined;
  interface: number;
  product?: string | undefined;
}

export interface HidHandle {
  onData(listener: (report: Buffer) => void): void;
  onError(listener: (error: Error) => void): void;
  close(): Promise<void>;
}

export interface HidBackend {
  list(): Promise<HidDeviceInfo[]>;
  open(path: string): Promise<HidHandle>;
}

/**
 * `driver: "libusb"` makes hidapi detach the kernel's keyboard driver from
 * the interface it opens, so a keyboard-mode scanner stops typing into the
 * focused window while the bridge holds it.
 */
export async function createNodeHidBackend(driver: "hidraw" | "libusb"): Promise<HidBackend> {
  const hid = await import("node-hid");
  hid.setDriverType(driver);
  return {
    async list() {
      return hid.devicesAsync();
    },
    async open(path) {
      const device = await hid.HIDAsync.open(path);
      return {
        onData: (listener) => void device.on("data", (data: Buffer) => listener(Buffer.from(data))),
        onError: (listener) =>
          void device.on("error", (error: unknown) =>
            listener(error instanceof Error ? error : new Error(String(error))),
          ),
        close: () => device.close(),
      };
    },
  };
}
