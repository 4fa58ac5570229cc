/**
 * The page's WebSocket client to the local device bridge (apps/bridge), typed and validated
 * by @kiosk/bridge-protocol. It authenticates first (pairing token + protocol version),
 * reconnects with capped back-off, re-sends print jobs that have no result yet after a
 * reconnect (job ids are idempotent on the bridge, so nothing prints twice), and exposes an
 * immutable snapshot for `useSyncExternalStore`.
 */
import type { ClientMessage, DevicesStatus, PrintMessage, PrintResultMessage } from "@kiosk/bridge-protocol";
// The zod-free run-time part: zod stays out of the kiosk page's JavaScript.
import { BRIDGE_CLOSE_CODES, BRIDGE_PROTOCOL_VERSION, parseBridgeMessage } from "@kiosk/bridge-protocol/page";

export type BridgeConnection = "idle" | "connecting" | "authenticating" | "ready" | "closed";

export interface BridgeSnapshot {
  connection: BridgeConnection;
  devices: DevicesStatus | null;
  bridgeVersion: string | null;
  /** Why the last connection ended, e.g. "invalid pairing token" (close reason from the bridge). */
  lastCloseReason: string | null;
  /** When the connection last became ready or stopped being ready (ms since epoch); for grace periods. */
  changedAt: number;
}

export interface ScanEvent {
  data: string;
  at: string;
}

/** The subset of the browser WebSocket this client uses (a fake in unit tests). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface BridgeClientOptions {
  url: string;
  token: string;
  createSocket?: (url: string) => WebSocketLike;
  now?: () => number;
  /** Back-off steps between reconnects; the last one repeats. */
  reconnectDelaysMs?: readonly number[];
  /** How long a command waits for its ack. */
  ackTimeoutMs?: number;
  /** How often to ask for `status.get` while connected (doubles as a liveness check). */
  statusPollMs?: number;
}

export const DEFAULT_RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 4000] as const;
const OPEN = 1;

type Listener = () => void;

interface PendingAck {
  resolve: () => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class BridgeCommandError extends Error {
  override readonly name = "BridgeCommandError";
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export class BridgeClient {
  readonly #o: Required<Omit<BridgeClientOptions, "createSocket" | "now">> &
    Pick<BridgeClientOptions, "createSocket" | "now">;
  #socket: WebSocketLike | null = null;
  #snapshot: BridgeSnapshot;
  #listeners = new Set<Listener>();
  #scanListeners = new Set<(scan: ScanEvent) => void>();
  #printListeners = new Set<(result: PrintResultMessage) => void>();
  #acks = new Map<string, PendingAck>();
  /** Print jobs sent but without a print.result yet: re-sent after a reconnect. */
  #unfinishedPrints = new Map<string, PrintMessage>();
  #attempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  #pollTimer: ReturnType<typeof setInterval> | null = null;
  #isStopped = true;
  #seq = 0;

  constructor(options: BridgeClientOptions) {
    this.#o = {
      reconnectDelaysMs: DEFAULT_RECONNECT_DELAYS_MS,
      ackTimeoutMs: 5000,
      statusPollMs: 10_000,
      ...options,
    };
    this.#snapshot = {
      connection: "idle",
      devices: null,
      bridgeVersion: null,
      lastCloseReason: null,
      changedAt: this.#now(),
    };
  }

  #now(): number {
    return this.#o.now ? this.#o.now() : Date.now();
  }

  // ------------------------------------------------------------- store API

  getSnapshot = (): BridgeSnapshot => this.#snapshot;

  subscribe = (listener: Listener): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  onScan(listener: (scan: ScanEvent) => void): () => void {
    this.#scanListeners.add(listener);
    return () => this.#scanListeners.delete(listener);
  }

  onPrintResult(listener: (result: PrintResultMessage) => void): () => void {
    this.#printListeners.add(listener);
    return () => this.#printListeners.delete(listener);
  }

  #update(patch: Partial<BridgeSnapshot>): void {
    // changedAt marks ready ↔ not ready only, so a bridge that keeps failing to reconnect stays "down since".
    const isReadinessChange =
      patch.connection !== undefined && (patch.connection === "ready") !== (this.#snapshot.connection === "ready");
    this.#snapshot = { ...this.#snapshot, ...patch, ...(isReadinessChange ? { changedAt: this.#now() } : {}) };
    for (const l of this.#listeners) l();
  }

  // ------------------------------------------------------------- lifecycle

  start(): void {
    if (!this.#isStopped) return;
    this.#isStopped = false;
    this.#connect();
  }

  stop(): void {
    this.#isStopped = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
    this.#stopPolling();
    const socket = this.#socket;
    this.#socket = null;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.onerror = null;
      socket.close(1000, "page closed");
    }
    this.#failAcks("bridge client stopped");
    this.#update({ connection: "closed" });
  }

  #connect(): void {
    if (this.#isStopped) return;
    const create = this.#o.createSocket ?? ((url: string) => new WebSocket(url) as unknown as WebSocketLike);
    let socket: WebSocketLike;
    try {
      socket = create(this.#o.url);
    } catch (e) {
      this.#update({ connection: "closed", lastCloseReason: e instanceof Error ? e.message : "cannot open WebSocket" });
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    this.#update({ connection: "connecting" });
    socket.onopen = () => {
      this.#update({ connection: "authenticating" });
      socket.send(
        JSON.stringify({
          type: "auth",
          token: this.#o.token,
          protocolVersion: BRIDGE_PROTOCOL_VERSION,
        } satisfies ClientMessage),
      );
    };
    socket.onmessage = (ev) => this.#handle(typeof ev.data === "string" ? ev.data : String(ev.data));
    socket.onerror = () => {
      // A close event always follows; reconnecting happens there.
    };
    socket.onclose = (ev) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#stopPolling();
      this.#failAcks("bridge connection lost");
      const reason =
        ev.reason || (ev.code === BRIDGE_CLOSE_CODES.unauthorized ? "unauthorized" : `closed (${ev.code})`);
      this.#update({ connection: "closed", lastCloseReason: reason });
      this.#scheduleReconnect();
    };
  }

  #scheduleReconnect(): void {
    if (this.#isStopped || this.#reconnectTimer) return;
    const delays = this.#o.reconnectDelaysMs;
    const delay = delays[Math.min(this.#attempt, delays.length - 1)] ?? 1000;
    this.#attempt += 1;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#connect();
    }, delay);
  }

  #startPolling(): void {
    this.#stopPolling();
    this.#pollTimer = setInterval(() => {
      this.requestStatus().catch(() => {
        // No answer: the socket is half-dead; closing it starts a reconnect.
        this.#socket?.close(4000, "status timeout");
      });
    }, this.#o.statusPollMs);
  }

  #stopPolling(): void {
    if (this.#pollTimer) clearInterval(this.#pollTimer);
    this.#pollTimer = null;
  }

  #failAcks(message: string): void {
    for (const [id, p] of this.#acks) {
      clearTimeout(p.timer);
      p.reject(new BridgeCommandError(message, "disconnected"));
      this.#acks.delete(id);
    }
  }

  // ------------------------------------------------------------- messages

  #handle(raw: string): void {
    const parsed = parseBridgeMessage(raw);
    if (!parsed.ok) return;
    const m = parsed.message;
    switch (m.type) {
      case "hello":
        this.#attempt = 0;
        this.#update({
          connection: "ready",
          devices: m.devices,
          bridgeVersion: m.bridgeVersion,
          lastCloseReason: null,
        });
        this.#startPolling();
        for (const job of this.#unfinishedPrints.values()) this.#sendRaw(job);
        break;
      case "device.status":
        this.#update({ devices: { scanner: m.scanner, printer: m.printer } });
        break;
      case "ack": {
        const p = this.#acks.get(m.id);
        if (p) {
          clearTimeout(p.timer);
          this.#acks.delete(m.id);
          p.resolve();
        }
        break;
      }
      case "error": {
        const p = m.id ? this.#acks.get(m.id) : undefined;
        if (p && m.id) {
          clearTimeout(p.timer);
          this.#acks.delete(m.id);
          p.reject(new BridgeCommandError(m.message, m.code));
        }
        break;
      }
      case "scan":
        for (const l of this.#scanListeners) l({ data: m.data, at: m.at });
        break;
      case "print.result":
        this.#unfinishedPrints.delete(m.id);
        for (const l of this.#printListeners) l(m);
        break;
    }
  }

  #sendRaw(message: ClientMessage): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== OPEN || this.#snapshot.connection !== "ready") return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  #command(message: ClientMessage & { id: string }): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (!this.#sendRaw(message)) {
        reject(new BridgeCommandError("bridge not connected", "disconnected"));
        return;
      }
      const timer = setTimeout(() => {
        this.#acks.delete(message.id);
        reject(new BridgeCommandError(`no ack for ${message.type}`, "timeout"));
      }, this.#o.ackTimeoutMs);
      this.#acks.set(message.id, { resolve, reject, timer });
    });
  }

  #nextId(prefix: string): string {
    this.#seq += 1;
    return `${prefix}-${this.#now().toString(36)}-${this.#seq}`;
  }

  // ------------------------------------------------------------- commands

  armScanner(timeoutMs: number): Promise<void> {
    return this.#command({ type: "scanner.arm", id: this.#nextId("arm"), timeoutMs });
  }

  disarmScanner(): Promise<void> {
    return this.#command({ type: "scanner.disarm", id: this.#nextId("disarm") });
  }

  requestStatus(): Promise<void> {
    return this.#command({ type: "status.get", id: this.#nextId("status") });
  }

  /**
   * Queues a print job. The result arrives through `onPrintResult`; if the connection drops
   * first, the job is re-sent with the same id after the reconnect.
   */
  print(job: PrintMessage): Promise<void> {
    this.#unfinishedPrints.set(job.id, job);
    return this.#command(job);
  }

  /** Forgets a job that the page has given up on (it will not be re-sent). */
  forgetPrint(id: string): void {
    this.#unfinishedPrints.delete(id);
  }
}
