/**
 * The page-facing WebSocket endpoint. Loopback only; the Origin must be on
 * the allow-list and the first message must be `auth` with the pairing
 * token and our protocol version, otherwise the socket is closed with a
 * code and a reason. After that every message is validated against
 * @kiosk/bridge-protocol; a bad one gets an `error` reply and changes nothing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import {
  BRIDGE_CLOSE_CODES,
  BRIDGE_PROTOCOL_VERSION,
  parseClientMessage,
  type BridgeMessage,
  type ClientMessage,
  type PrintMessage,
} from "@kiosk/bridge-protocol";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import type { DeviceHub } from "../devices.ts";
import type { EscPosPrinter } from "../printer/escpos-printer.ts";
import type { PrintService } from "../printer/print-service.ts";
import type { ScanGate } from "../scanner/scan-gate.ts";
import type { Logger } from "../util/logger.ts";
import type { Cancellable, Timers } from "../util/timers.ts";
import { BRIDGE_VERSION } from "../version.ts";

export const AUTH_TIMEOUT_MS = 5000;
const MAX_MESSAGE_BYTES = 256 * 1024;

export interface WsServerOptions {
  host: string;
  port: number;
  allowedOrigins: readonly string[];
  /** The device tokens accepted in the `auth` message (normally one). */
  pairingTokens: readonly string[];
  hub: DeviceHub;
  gate: ScanGate;
  printService: PrintService;
  printer: EscPosPrinter;
  renderSelftest: () => Buffer;
  timers: Timers;
  logger: Logger;
}

export class BridgeWsServer {
  readonly #options: WsServerOptions;
  #server: WebSocketServer | null = null;
  #client: WebSocket | null = null;
  readonly #unsubscribe: (() => void)[] = [];

  constructor(options: WsServerOptions) {
    this.#options = options;
  }

  get port(): number {
    return (this.#server?.address() as AddressInfo | undefined)?.port ?? 0;
  }

  async start(): Promise<number> {
    const { host, port, hub, printService } = this.#options;
    const server = new WebSocketServer({ host, port, maxPayload: MAX_MESSAGE_BYTES });
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", reject);
    });
    server.on("connection", (socket, request) => this.#accept(socket, request));
    this.#server = server;
    this.#unsubscribe.push(
      hub.events.on("scan", (scan) =>
        this.#send({ type: "scan", data: scan.data, source: scan.source, at: scan.at.toISOString() }),
      ),
      hub.events.on("status", (status) => this.#send({ type: "device.status", ...status })),
      printService.events.on("result", (result) => this.#send({ type: "print.result", ...result })),
    );
    return this.port;
  }

  async stop(): Promise<void> {
    for (const off of this.#unsubscribe.splice(0)) off();
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    for (const socket of server.clients) socket.close(BRIDGE_CLOSE_CODES.shuttingDown, "bridge shutting down");
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(socket: WebSocket, request: IncomingMessage): void {
    const { logger, allowedOrigins, timers } = this.#options;
    const origin = request.headers.origin;
    if (origin === undefined || !allowedOrigins.includes(origin)) {
      logger.warn("connection refused: origin not allowed", { origin: origin ?? null });
      socket.close(BRIDGE_CLOSE_CODES.originNotAllowed, "origin not allowed");
      return;
    }
    let isAuthenticated = false;
    const authTimer: Cancellable = timers.setTimeout(() => {
      if (!isAuthenticated) socket.close(BRIDGE_CLOSE_CODES.authTimeout, "auth message expected");
    }, AUTH_TIMEOUT_MS);
    socket.on("close", () => {
      authTimer.cancel();
      if (this.#client === socket) {
        this.#client = null;
        // Nobody is looking at the page's scan prompt any more.
        this.#options.gate.disarm();
        this.#options.hub.publish();
      }
    });
    socket.on("error", () => undefined);
    socket.on("message", (data, isBinary) => {
      if (isAuthenticated) {
        void this.#handle(socket, data, isBinary);
        return;
      }
      authTimer.cancel();
      const failure = this.#checkAuth(data, isBinary);
      if (failure) {
        logger.warn("connection refused", { origin, reason: failure.reason });
        socket.close(failure.code, failure.reason);
        return;
      }
      isAuthenticated = true;
      const previous = this.#client;
      this.#client = socket;
      if (previous && previous !== socket)
        previous.close(BRIDGE_CLOSE_CODES.superseded, "another connection took over");
      logger.info("client authenticated", { origin });
      this.#sendTo(socket, {
        type: "hello",
        bridgeVersion: BRIDGE_VERSION,
        protocolVersion: BRIDGE_PROTOCOL_VERSION,
        devices: this.#options.hub.status(),
      });
    });
  }

  #checkAuth(data: RawData, isBinary: boolean): { code: number; reason: string } | null {
    if (isBinary) return { code: BRIDGE_CLOSE_CODES.unauthorized, reason: "first message must be auth" };
    const parsed = parseClientMessage(rawToString(data));
    if (!parsed.ok || parsed.message.type !== "auth") {
      return { code: BRIDGE_CLOSE_CODES.unauthorized, reason: "first message must be auth" };
    }
    const given = parsed.message.token;
    // Every candidate is compared (constant time each), so timing does not tell which one came close.
    if (!this.#options.pairingTokens.map((expected) => tokensMatch(given, expected)).includes(true)) {
      return { code: BRIDGE_CLOSE_CODES.unauthorized, reason: "invalid pairing token" };
    }
    if (parsed.message.protocolVersion !== BRIDGE_PROTOCOL_VERSION) {
      return {
        code: BRIDGE_CLOSE_CODES.unsupportedVersion,
        reason: `protocol version ${parsed.message.protocolVersion} not supported; bridge speaks ${BRIDGE_PROTOCOL_VERSION}`,
      };
    }
    return null;
  }

  async #handle(socket: WebSocket, data: RawData, isBinary: boolean): Promise<void> {
    if (isBinary) {
      this.#sendTo(socket, { type: "error", code: "malformed_message", message: "Binary messages are not accepted" });
      return;
    }
    const parsed = parseClientMessage(rawToString(data));
    if (!parsed.ok) {
      this.#sendTo(socket, {
        type: "error",
        code: parsed.code,
        message: parsed.message,
        ...(parsed.id === undefined ? {} : { id: parsed.id }),
      });
      return;
    }
    try {
      await this.#dispatch(socket, parsed.message);
    } catch (error) {
      this.#options.logger.error("command failed", { error, type: parsed.message.type });
      const id = "id" in parsed.message ? parsed.message.id : undefined;
      this.#sendTo(socket, {
        type: "error",
        code: "internal_error",
        message: "The bridge could not handle the command",
        ...(id === undefined ? {} : { id }),
      });
    }
  }

  async #dispatch(socket: WebSocket, message: ClientMessage): Promise<void> {
    const { gate, hub } = this.#options;
    switch (message.type) {
      case "auth":
        this.#sendTo(socket, { type: "error", code: "already_authenticated", message: "Already authenticated" });
        return;
      case "scanner.arm":
        gate.arm(message.timeoutMs, () => hub.publish());
        this.#sendTo(socket, { type: "ack", id: message.id });
        hub.publish();
        return;
      case "scanner.disarm":
        gate.disarm();
        this.#sendTo(socket, { type: "ack", id: message.id });
        hub.publish();
        return;
      case "print":
        await this.#print(socket, message);
        return;
      case "status.get":
        this.#sendTo(socket, { type: "ack", id: message.id });
        await hub.refreshPrinter();
        this.#sendTo(socket, { type: "device.status", ...hub.status() });
        return;
      case "selftest":
        await this.#selftest(socket, message.id);
        return;
    }
  }

  async #print(socket: WebSocket, message: PrintMessage): Promise<void> {
    let result;
    try {
      result = await this.#options.printService.submit(message);
    } catch (error) {
      this.#options.logger.warn("print job rejected", { jobId: message.id, error });
      this.#sendTo(socket, {
        type: "error",
        id: message.id,
        code: "render_failed",
        message: `Job ${message.id} could not be laid out`,
      });
      return;
    }
    this.#sendTo(socket, { type: "ack", id: message.id });
    const job = result.job;
    if (result.kind === "duplicate" && (job.state === "printed" || job.state === "failed")) {
      this.#sendTo(socket, {
        type: "print.result",
        id: job.id,
        status: job.state,
        ...(job.reason === undefined ? {} : { reason: job.reason }),
      });
    }
  }

  /** Reads fresh status and prints a test page directly (not a durable job). */
  async #selftest(socket: WebSocket, id: string): Promise<void> {
    const { hub, printer, renderSelftest } = this.#options;
    this.#sendTo(socket, { type: "ack", id });
    await hub.refreshPrinter();
    this.#sendTo(socket, { type: "device.status", ...hub.status() });
    const outcome = await printer.print(renderSelftest());
    this.#sendTo(
      socket,
      outcome.ok
        ? { type: "print.result", id, status: "printed" }
        : { type: "print.result", id, status: "failed", reason: outcome.reason },
    );
  }

  #send(message: BridgeMessage): void {
    if (this.#client) this.#sendTo(this.#client, message);
  }

  #sendTo(socket: WebSocket, message: BridgeMessage): void {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  }
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf-8");
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf-8");
  return data.toString("utf-8");
}

function tokensMatch(given: string, expected: string): boolean {
  // Compare digests: equal length always, so the length of the expected token does not leak either.
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
