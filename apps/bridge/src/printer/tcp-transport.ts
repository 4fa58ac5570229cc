import { Socket } from "node:net";
import { Emitter } from "../util/emitter.ts";
import { TransportError, type PrinterTransport, type TransportEvents } from "./transport.ts";

export interface TcpTransportOptions {
  host: string;
  port: number;
  connectTimeoutMs?: number;
  /** Reported kind; the virtual printer is also reached over TCP. */
  kind?: "tcp" | "virtual";
}

/** Raw TCP (port 9100, "JetDirect") to a network printer, kept open between jobs. */
export class TcpTransport implements PrinterTransport {
  readonly kind: "tcp" | "virtual";
  readonly events = new Emitter<TransportEvents>();
  readonly #options: TcpTransportOptions;
  #socket: Socket | null = null;

  constructor(options: TcpTransportOptions) {
    this.#options = options;
    this.kind = options.kind ?? "tcp";
  }

  get isOpen(): boolean {
    return this.#socket !== null;
  }

  async open(): Promise<void> {
    if (this.#socket) return;
    const socket = new Socket();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new TransportError(`Printer at ${this.#options.host}:${this.#options.port} did not accept a connection`),
        );
      }, this.#options.connectTimeoutMs ?? 3000);
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(
          new TransportError(
            `Cannot connect to printer at ${this.#options.host}:${this.#options.port}: ${error.message}`,
          ),
        );
      });
      socket.connect(this.#options.port, this.#options.host, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 5000);
    socket.removeAllListeners("error");
    socket.on("error", () => undefined);
    socket.on("data", (data) => this.events.emit("data", data));
    socket.on("close", () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.events.emit("close", { reason: "connection closed" });
    });
    this.#socket = socket;
  }

  async write(data: Buffer): Promise<void> {
    const socket = this.#socket;
    if (!socket) throw new TransportError("Printer connection is not open");
    await new Promise<void>((resolve, reject) => {
      socket.write(data, (error) => (error ? reject(new TransportError(error.message)) : resolve()));
    });
  }

  async close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = null;
    if (!socket) return;
    await new Promise<void>((resolve) => {
      socket.once("close", () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 500).unref();
    });
  }
}
