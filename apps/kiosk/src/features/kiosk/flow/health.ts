/**
 * Whether the kiosk may sell, from what the page knows: the server's last heartbeat answer,
 * the bridge connection and the devices it reports. Pure, so the rules are unit-tested.
 */
import type { DevicesStatus } from "@kiosk/bridge-protocol";
import type { OutOfServiceReason, ServiceStatus } from "./kiosk-machine.ts";

export interface HealthInput {
  /** null until the first heartbeat answered or failed. */
  server: { isReachable: boolean; isInService: boolean } | null;
  bridge: {
    connection: "idle" | "connecting" | "authenticating" | "ready" | "closed";
    changedAt: number;
    devices: DevicesStatus | null;
  };
  /** When the page started (ms), for the start-up grace period. */
  startedAt: number;
  now: number;
  isBrowserOnline: boolean;
}

/** A bridge that reconnects within this window does not take the kiosk out of service. */
export const BRIDGE_GRACE_MS = 4_000;

export function deviceFault(devices: DevicesStatus): OutOfServiceReason | null {
  if (!devices.scanner.connected) return "scanner_disconnected";
  // Printers go offline when the paper runs out or the cover opens: name the specific cause first.
  if (devices.printer.connected && devices.printer.paper === "out") return "paper_out";
  if (devices.printer.connected && devices.printer.coverOpen) return "printer_cover_open";
  if (!devices.printer.connected || !devices.printer.online) return "printer_offline";
  if (devices.printer.error) return "printer_error";
  return null;
}

export function computeService(h: HealthInput): ServiceStatus {
  if (!h.isBrowserOnline && (h.server === null || !h.server.isReachable)) return { status: "out", reason: "offline" };
  if (h.server && !h.server.isReachable) return { status: "out", reason: "server_unreachable" };
  if (h.server && !h.server.isInService) return { status: "out", reason: "taken_out_of_service" };
  if (h.bridge.connection !== "ready") {
    const since = Math.max(h.bridge.changedAt, h.startedAt);
    if (h.now - since >= BRIDGE_GRACE_MS) return { status: "out", reason: "bridge_unreachable" };
    return h.server === null || h.bridge.devices === null ? { status: "unknown" } : checkDevices(h.bridge.devices);
  }
  if (!h.bridge.devices) return { status: "unknown" };
  const fault = deviceFault(h.bridge.devices);
  if (fault) return { status: "out", reason: fault };
  return h.server === null ? { status: "unknown" } : { status: "ok" };
}

function checkDevices(devices: DevicesStatus): ServiceStatus {
  const fault = deviceFault(devices);
  return fault ? { status: "out", reason: fault } : { status: "ok" };
}

export function sameService(a: ServiceStatus, b: ServiceStatus): boolean {
  return a.status === b.status && (a.status !== "out" || (b.status === "out" && a.reason === b.reason));
}
