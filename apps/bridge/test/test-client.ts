/** A WebSocket test client that queues what the bridge sends and awaits by predicate. */
import { parseBridgeMessage, type BridgeMessage } from "@kiosk/bridge-protocol";
import WebSocket from "ws";

export class TestClient {
  readonly socket: WebSocket;
  readonly received: BridgeMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: { match: (message: BridgeMessage) => boolean; resolve: (message: BridgeMessage) => void }[] = [];

  constructor(url: string, origin?: string) {
    this.socket = new WebSocket(url, origin === undefined ? {} : { origin });
    this.socket.on("message", (data) => {
      const parsed = parseBridgeMessage(data.toString());
      if (!parsed.ok) throw new Error(`bridge sent an invalid message: ${parsed.message}`);
      this.received.push(parsed.message);
      for (const waiter of [...this.#waiters]) {
        if (waiter.match(parsed.message)) {
          this.#waiters = this.#waiters.filter((other) => other !== waiter);
          waiter.resolve(parsed.message);
        }
      }
    });
    this.closed = new Promise((resolve) =>
      this.socket.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState === WebSocket.OPEN) resolve();
      this.socket.once("open", () => resolve());
      this.socket.once("error", reject);
    });
  }

  send(message: unknown): void {
    this.socket.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** Resolves with the first message (already received or future) that matches. */
  next<TType extends BridgeMessage["type"]>(
    type: TType,
    where: (message: Extract<BridgeMessage, { type: TType }>) => boolean = () => true,
  ): Promise<Extract<BridgeMessage, { type: TType }>> {
    const match = (message: BridgeMessage): boolean =>
      message.type === type && where(message as Extract<BridgeMessage, { type: TType }>);
    const index = this.received.findIndex(match);
    if (index >= 0) {
      const [message] = this.received.splice(index, 1);
      return Promise.resolve(message as Extract<BridgeMessage, { type: TType }>);
    }
    return new Promise((resolve) => {
      this.#waiters.push({
        match,
        resolve: (message) => {
          this.received.splice(this.received.indexOf(message), 1);
          resolve(message as Extract<BridgeMessage, { type: TType }>);
        },
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}
