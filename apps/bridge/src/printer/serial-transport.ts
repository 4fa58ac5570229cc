import { Emitter } from "../util/emitter.ts";
import { TransportError, type PrinterTransport, type TransportEvents } from "./transport.ts";

interface SerialPortLike {
  on(event: "data", listener: (data: Buffer) => void): unknown;
  on(event: "close", listener: () => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  write(data: Buffer, callback: (error: Error | null | undefined) => void): unknown;
  drain(callback: (error: Error | null) => void): void;
  close(callback?: (error?: Error | null) => void): void;
}

/** An ESC/POS printer on a serial port (RS-232 or USB CDC). */
export class SerialTransport implements PrinterTransport {
  readonly kind = "serial" as const;
  readonly events = new Emitter<TransportEvents>();
  readonly #path: string;
  readonly #baudRate: number;
  #port: SerialPortLike | null = null;

  constructor(path: string, baudRate = 115_200) {
    this.#path = path;
    this.#baudRate = baudRate;
  }

  get isOpen(): boolean {
    return this.#port !== null;
  }

  async open(): Promise<void> {
    if (this.#port) return;
    const { SerialPort } = await import("serialport");
    const port = new SerialPort({ path: this.#path, baudRate: this.#baudRate, autoOpen: false, rtscts: true });
    await new Promise<void>((resolve, reject) =>
      port.open((error) =>
        error ? reject(new TransportError(`Cannot open ${this.#path}: ${error.message}`)) : resolve(),
      ),
    );
    port.on("data", (data: Buffer) => this.events.emit("data", data));
    port.on("error", () => undefined);
    port.on("close", () => {
      if (this.#port !== port) return;
      this.#port = null;
      this.events.emit("close", { reason: "serial port closed" });
    });
    this.#port = port;
  }

  async write(data: Buffer): Promise<void> {
    const port = this.#port;
    if (!port) throw new TransportError("Serial port is not open");
    await new Promise<void>((resolve, reject) =>
      port.write(data, (error) => (error ? reject(new TransportError(error.message)) : resolve())),
    );
    await new Promise<void>((resolve, reject) =>
      port.drain((error) => (error ? reject(new TransportError(error.message)) : resolve())),
    );
  }

  async close(): Promise<void> {
    const port = this.#port;
    this.#port = null;
    if (port) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
