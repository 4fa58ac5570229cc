import { describe, expect, it } from "vitest";
import { BRIDGE_GRACE_MS, computeService, type HealthInput } from "./health.ts";

const devices = {
  scanner: { kind: "virtual", connected: true, armed: false, droppedScans: 0 },
  printer: {
    kind: "virtual",
    connected: true,
    online: true,
    paper: "ok",
    coverOpen: false,
    error: false,
    queuedJobs: 0,
  },
} as const;

const healthy: HealthInput = {
  server: { isReachable: true, isInService: true },
  bridge: { connection: "ready", changedAt: 0, devices },
  startedAt: 0,
  now: 60_000,
  isBrowserOnline: true,
};

describe("computeService", () => {
  it("is ok when the server, the bridge and the devices are fine", () => {
    expect(computeService(healthy)).toEqual({ status: "ok" });
  });

  it("is unknown until the first heartbeat", () => {
    expect(computeService({ ...healthy, server: null })).toEqual({ status: "unknown" });
  });

  it.each([
    [{ server: { isReachable: false, isInService: true } }, "server_unreachable"],
    [{ server: { isReachable: true, isInService: false } }, "taken_out_of_service"],
    [{ isBrowserOnline: false, server: { isReachable: false, isInService: true } }, "offline"],
    [{ bridge: { connection: "closed", changedAt: 0, devices: null } }, "bridge_unreachable"],
    [
      {
        bridge: {
          connection: "ready",
          changedAt: 0,
          devices: { ...devices, printer: { ...devices.printer, paper: "out" } },
        },
      },
      "paper_out",
    ],
    [
      {
        bridge: {
          connection: "ready",
          changedAt: 0,
          devices: { ...devices, scanner: { ...devices.scanner, connected: false } },
        },
      },
      "scanner_disconnected",
    ],
    [
      {
        bridge: {
          connection: "ready",
          changedAt: 0,
          devices: { ...devices, printer: { ...devices.printer, online: false } },
        },
      },
      "printer_offline",
    ],
    [
      {
        bridge: {
          connection: "ready",
          changedAt: 0,
          devices: { ...devices, printer: { ...devices.printer, coverOpen: true } },
        },
      },
      "printer_cover_open",
    ],
  ] as const)("%j → out of service (%s)", (patch, reason) => {
    expect(computeService({ ...healthy, ...(patch as Partial<HealthInput>) })).toEqual({ status: "out", reason });
  });

  it("rides out a short bridge reconnect", () => {
    const reconnecting = { ...healthy, bridge: { connection: "connecting" as const, changedAt: 59_000, devices } };
    expect(computeService(reconnecting)).toEqual({ status: "ok" });
    expect(computeService({ ...reconnecting, now: 59_000 + BRIDGE_GRACE_MS })).toEqual({
      status: "out",
      reason: "bridge_unreachable",
    });
  });

  it("names running out of paper even when the printer also reports offline", () => {
    expect(
      computeService({
        ...healthy,
        bridge: {
          ...healthy.bridge,
          devices: { ...devices, printer: { ...devices.printer, online: false, paper: "out" } },
        },
      }),
    ).toEqual({ status: "out", reason: "paper_out" });
  });

  it("paper near its end still sells", () => {
    expect(
      computeService({
        ...healthy,
        bridge: { ...healthy.bridge, devices: { ...devices, printer: { ...devices.printer, paper: "near_end" } } },
      }),
    ).toEqual({ status: "ok" });
  });
});
