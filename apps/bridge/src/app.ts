/**
 * Builds the bridge's object graph from a validated configuration. main.ts
 * runs it; tests and the bench build it with injected timers and ports.
 */
import { join, resolve } from "node:path";
import type { PrintMessage } from "@kiosk/bridge-protocol";
import { DeviceHub } from "./devices.ts";
import type { BridgeEnv } from "./env.ts";
import { EscPosPrinter } from "./printer/escpos-printer.ts";
import { JobStore } from "./printer/job-store.ts";
import { PAPER_PROFILES, renderReceipt, renderSelftest, renderTicket, type PaperProfile } from "./printer/layout.ts";
import { PrintService } from "./printer/print-service.ts";
import { SerialTransport } from "./printer/serial-transport.ts";
import { TcpTransport } from "./printer/tcp-transport.ts";
import type { PrinterTransport } from "./printer/transport.ts";
import { UsbTransport } from "./printer/usb-transport.ts";
import { createNodeHidBackend, type HidBackend } from "./scanner/hid-backend.ts";
import { createHidKeyboardScanner } from "./scanner/hid-keyboard-scanner.ts";
import { createHidPosScanner } from "./scanner/hid-pos-scanner.ts";
import { KEYMAPS } from "./scanner/keymap.ts";
import { ScanGate } from "./scanner/scan-gate.ts";
import type { Scanner } from "./scanner/scanner.ts";
import { openSerialPort, SerialScanner } from "./scanner/serial-scanner.ts";
import { VirtualScanner } from "./scanner/virtual-scanner.ts";
import { BridgeWsServer } from "./server/ws-server.ts";
import type { Logger } from "./util/logger.ts";
import { intervalPoller, systemClock, systemTimers, type Clock, type Poller, type Timers } from "./util/timers.ts";
import { VirtualControlServer } from "./virtual/control-server.ts";
import { VirtualPrinter } from "./virtual/virtual-printer.ts";
import { BRIDGE_VERSION } from "./version.ts";

export interface BridgeDeps {
  logger: Logger;
  clock?: Clock;
  timers?: Timers;
  poller?: Poller;
  /** Overrides the node-hid backend (tests use a fake that replays reports). */
  hidBackend?: HidBackend;
  /** Render virtual printer jobs to PNG (on by default). */
  shouldRenderPng?: boolean;
}

export interface Bridge {
  readonly wsPort: number;
  readonly controlPort: number;
  readonly virtualPrinter: VirtualPrinter | null;
  readonly virtualScanner: VirtualScanner | null;
  readonly printService: PrintService;
  readonly hub: DeviceHub;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function renderPrintMessage(message: PrintMessage, profile: PaperProfile): Buffer {
  return message.kind === "ticket" ? renderTicket(message.document, profile) : renderReceipt(message.document, profile);
}

export async function buildBridge(env: BridgeEnv, deps: BridgeDeps): Promise<Bridge> {
  const clock = deps.clock ?? systemClock;
  const timers = deps.timers ?? systemTimers;
  const poller = deps.poller ?? intervalPoller;
  const logger = deps.logger;
  const dataDir = resolve(env.BRIDGE_DATA_DIR);
  const profile = PAPER_PROFILES[env.BRIDGE_PAPER_WIDTH];

  const virtualPrinter =
    env.BRIDGE_PRINTER.kind === "virtual"
      ? new VirtualPrinter({
          port: env.BRIDGE_VIRTUAL_PRINTER_PORT,
          jobsDir: join(dataDir, "virtual-printer"),
          widthDots: profile.widthDots,
          shouldRenderPng: deps.shouldRenderPng ?? true,
        })
      : null;
  const virtualScanner = env.BRIDGE_SCANNER.kind === "virtual" ? new VirtualScanner(clock) : null;

  let transport: PrinterTransport;
  const printerTarget = env.BRIDGE_PRINTER;
  if (printerTarget.kind === "virtual") {
    // Filled in at start(), once the virtual printer has its port.
    transport = new TcpTransport({ host: "127.0.0.1", port: env.BRIDGE_VIRTUAL_PRINTER_PORT, kind: "virtual" });
  } else if (printerTarget.kind === "tcp") {
    transport = new TcpTransport({ host: printerTarget.host, port: printerTarget.port });
  } else if (printerTarget.kind === "usb") {
    transport = new UsbTransport(printerTarget.vendorId, printerTarget.productId);
  } else {
    transport = new SerialTransport(printerTarget.path, printerTarget.baudRate);
  }

  const scannerTarget = env.BRIDGE_SCANNER;
  let scanner: Scanner;
  if (scannerTarget.kind === "virtual") {
    scanner = virtualScanner ?? new VirtualScanner(clock);
  } else if (scannerTarget.kind === "serial") {
    scanner = new SerialScanner({
      path: scannerTarget.path,
      open: (path) => openSerialPort(path, scannerTarget.baudRate),
      poller,
      clock,
      logger: logger.child("scanner"),
    });
  } else {
    const backend =
      deps.hidBackend ?? (await createNodeHidBackend(scannerTarget.kind === "hid-keyboard" ? "libusb" : "hidraw"));
    const common = {
      vendorId: scannerTarget.vendorId,
      productId: scannerTarget.productId,
      backend,
      poller,
      clock,
      timers,
      logger: logger.child("scanner"),
    };
    scanner =
      scannerTarget.kind === "hid-pos"
        ? createHidPosScanner(common)
        : createHidKeyboardScanner({ ...common, keymap: KEYMAPS[env.BRIDGE_SCANNER_KEYMAP] });
  }

  const gate = new ScanGate(timers);
  const printer = new EscPosPrinter({ transport, timers, logger: logger.child("printer") });
  const printService = new PrintService({
    store: new JobStore(join(dataDir, "jobs"), () => new Date(clock.now())),
    printer,
    render: (message) => renderPrintMessage(message, profile),
    logger: logger.child("jobs"),
  });
  const hub = new DeviceHub({
    scanner,
    gate,
    printer,
    printService,
    poller,
    statusPollMs: env.BRIDGE_PRINTER_STATUS_POLL_MS,
    logger: logger.child("devices"),
    now: () => clock.now(),
  });
  const ws = new BridgeWsServer({
    host: env.BRIDGE_HOST,
    port: env.BRIDGE_PORT,
    allowedOrigins: env.BRIDGE_ALLOWED_ORIGINS,
    pairingTokens: env.BRIDGE_PAIRING_TOKEN,
    hub,
    gate,
    printService,
    printer,
    renderSelftest: () =>
      renderSelftest({ bridgeVersion: BRIDGE_VERSION, at: new Date(clock.now()).toISOString() }, profile),
    timers,
    logger: logger.child("ws"),
  });
  const control =
    virtualPrinter || virtualScanner
      ? new VirtualControlServer({
          host: "127.0.0.1",
          port: env.BRIDGE_VIRTUAL_CONTROL_PORT,
          scanner: virtualScanner,
          printer: virtualPrinter,
        })
      : null;

  let wsPort = 0;
  let controlPort = 0;
  return {
    get wsPort() {
      return wsPort;
    },
    get controlPort() {
      return controlPort;
    },
    virtualPrinter,
    virtualScanner,
    printService,
    hub,
    async start() {
      if (virtualPrinter && transport instanceof TcpTransport) {
        const port = await virtualPrinter.start();
        transport = new TcpTransport({ host: "127.0.0.1", port, kind: "virtual" });
        printer.replaceTransport(transport);
      }
      if (control) controlPort = await control.start();
      await printService.start();
      await hub.start();
      wsPort = await ws.start();
      logger.info("bridge started", {
        version: BRIDGE_VERSION,
        wsPort,
        controlPort,
        printer: printerTarget.kind,
        scanner: scannerTarget.kind,
      });
    },
    async stop() {
      // Try every component, even when one fails (zigbee2mqtt Controller.stop).
      const steps: [string, () => Promise<void>][] = [
        ["ws", () => ws.stop()],
        ["devices", () => hub.stop()],
        ["jobs", () => printService.stop()],
        ["printer", () => printer.close()],
        ["control", async () => control?.stop()],
        ["virtual-printer", async () => virtualPrinter?.stop()],
      ];
      const failures: string[] = [];
      for (const [name, step] of steps) {
        try {
          await step();
        } catch (error) {
          failures.push(name);
          logger.error("stop step failed", { step: name, error });
        }
      }
      if (failures.length > 0) throw new Error(`Bridge stopped with failures in: ${failures.join(", ")}`);
    },
  };
}
