import { DevicesStatusSchema, type DevicesStatus } from "@kiosk/bridge-protocol";
import type { Db } from "@kiosk/db";
import { z } from "zod";
import type { AuthService } from "../auth/auth-service.ts";
import type { Clock } from "../clock.ts";
import { KioskError } from "../errors.ts";
import { newId } from "../ids.ts";
import type { Logger } from "../log.ts";
import type { KioskMetrics } from "../metrics.ts";
import type { ActorRef, AuditService } from "./audit-service.ts";
import { parseJsonObject } from "./audit-service.ts";
import type { EventsService } from "./events-service.ts";

/** A kiosk is online when its last heartbeat is at most this old. Kiosks beat every 15 s. */
export const DEFAULT_ONLINE_WINDOW_SEC = 60;

export const HeartbeatSchema = z.strictObject({
  /** What the bridge reported last (bridge-protocol `device.status`); absent when the bridge is unreachable. */
  devices: DevicesStatusSchema.nullable().optional(),
  isBridgeConnected: z.boolean(),
  appVersion: z.string().min(1).max(64),
  bridgeVersion: z.string().min(1).max(64).nullable().optional(),
  /** Screen the visitor is on, for the staff view ("idle", "cart", "paying", …). */
  screen: z.string().max(32).optional(),
});
export type Heartbeat = z.infer<typeof HeartbeatSchema>;

export interface StoredDeviceStatus {
  devices: DevicesStatus | null;
  isBridgeConnected: boolean;
  screen: string | null;
  receivedAt: string;
}

export interface FleetKiosk {
  id: string;
  attractionId: string;
  name: string;
  location: string;
  isPaired: boolean;
  pairedAt: Date | null;
  isOnline: boolean;
  lastHeartbeatAt: Date | null;
  isInService: boolean;
  outOfServiceReason: string | null;
  appVersion: string | null;
  bridgeVersion: string | null;
  deviceStatus: StoredDeviceStatus | null;
  /** Problems a person should look at, derived from the device status. */
  alerts: string[];
  lastSaleAt: Date | null;
}

export interface FleetServiceOptions {
  db: Db;
  clock: Clock;
  log: Logger;
  audit: AuditService;
  auth: AuthService;
  events: EventsService;
  metrics: KioskMetrics;
  onlineWindowSec?: number;
}

export function deviceAlerts(status: StoredDeviceStatus | null, isOnline: boolean): string[] {
  if (!isOnline) return ["offline"];
  if (!status) return [];
  const alerts: string[] = [];
  if (!status.isBridgeConnected) alerts.push("bridge_disconnected");
  const d = status.devices;
  if (d) {
    if (!d.scanner.connected) alerts.push("scanner_disconnected");
    if (!d.printer.connected || !d.printer.online) alerts.push("printer_offline");
    if (d.printer.paper === "out") alerts.push("paper_out");
    else if (d.printer.paper === "near_end") alerts.push("paper_near_end");
    if (d.printer.coverOpen) alerts.push("printer_cover_open");
    if (d.printer.error) alerts.push("printer_error");
  }
  return alerts;
}

function parseStoredStatus(text: string): StoredDeviceStatus | null {
  const o = parseJsonObject(text);
  if (typeof o.receivedAt !== "string") return null;
  const devices = DevicesStatusSchema.safeParse(o.devices);
  return {
    devices: devices.success ? devices.data : null,
    isBridgeConnected: o.isBridgeConnected === true,
    screen: typeof o.screen === "string" ? o.screen : null,
    receivedAt: o.receivedAt,
  };
}

/** Registering, pairing, heartbeats and in/out of service for the kiosk fleet. */
export class FleetService {
  readonly onlineWindowSec: number;

  constructor(private readonly o: FleetServiceOptions) {
    this.onlineWindowSec = o.onlineWindowSec ?? DEFAULT_ONLINE_WINDOW_SEC;
  }

  async register(
    input: { attractionId: string; name: string; location?: string },
    actor: ActorRef,
  ): Promise<{ id: string }> {
    const attraction = await this.o.db.attraction.findUnique({
      where: { id: input.attractionId },
      select: { id: true },
    });
    if (!attraction) throw new KioskError("NOT_FOUND", `Attraction ${input.attractionId} does not exist.`);
    const id = newId("kio");
    await this.o.db.kiosk.create({
      data: {
        id,
        attractionId: input.attractionId,
        name: input.name,
        location: input.location ?? "",
        createdAt: this.o.clock.now(),
      },
    });
    await this.o.audit.record({
      actor,
      action: "kiosk.register",
      target: { type: "kiosk", id },
      details: { attractionId: input.attractionId, name: input.name, location: input.location ?? "" },
    });
    this.o.events.emitFleet({
      type: "kiosk.registered",
      kioskId: id,
      attractionId: input.attractionId,
      at: this.o.clock.now(),
    });
    return { id };
  }

  issuePairingCode(kioskId: string, actor: ActorRef): Promise<{ code: string; expiresAt: Date }> {
    return this.o.auth.issuePairingCode(kioskId, actor);
  }

  async heartbeat(
    kioskId: string,
    beat: Heartbeat,
  ): Promise<{ isInService: boolean; outOfServiceReason: string | null; serverTime: Date }> {
    const now = this.o.clock.now();
    const status: StoredDeviceStatus = {
      devices: beat.devices ?? null,
      isBridgeConnected: beat.isBridgeConnected,
      screen: beat.screen ?? null,
      receivedAt: now.toISOString(),
    };
    const k = await this.o.db.kiosk.update({
      where: { id: kioskId },
      data: {
        lastHeartbeatAt: now,
        deviceStatus: JSON.stringify(status),
        appVersion: beat.appVersion,
        bridgeVersion: beat.bridgeVersion ?? null,
      },
      select: { attractionId: true, isInService: true, outOfServiceReason: true },
    });
    this.o.metrics.kioskHeartbeatsTotal.inc({ kiosk: kioskId });
    this.o.events.emitFleet({ type: "kiosk.heartbeat", kioskId, attractionId: k.attractionId, at: now });
    return { isInService: k.isInService, outOfServiceReason: k.outOfServiceReason, serverTime: now };
  }

  async status(kioskId: string): Promise<FleetKiosk> {
    const list = await this.list({ kioskId });
    const k = list[0];
    if (!k) throw new KioskError("NOT_FOUND", `Kiosk ${kioskId} is not registered.`);
    return k;
  }

  async setInService(
    input: { kioskId: string; isInService: boolean; reason: string },
    actor: ActorRef,
  ): Promise<FleetKiosk> {
    const k = await this.o.db.kiosk.findUnique({
      where: { id: input.kioskId },
      select: { id: true, attractionId: true, isInService: true },
    });
    if (!k) throw new KioskError("NOT_FOUND", `Kiosk ${input.kioskId} is not registered.`);
    await this.o.db.kiosk.update({
      where: { id: k.id },
      data: { isInService: input.isInService, outOfServiceReason: input.isInService ? null : input.reason },
    });
    await this.o.audit.record({
      actor,
      action: input.isInService ? "kiosk.return_to_service" : "kiosk.take_out_of_service",
      target: { type: "kiosk", id: k.id },
      reason: input.reason,
      details: { wasInService: k.isInService },
    });
    this.o.events.emitFleet({
      type: "kiosk.service_changed",
      kioskId: k.id,
      attractionId: k.attractionId,
      at: this.o.clock.now(),
    });
    return this.status(k.id);
  }

  /** Kiosks with a heartbeat within the online window; also sets the kiosks_online gauge. */
  async countOnline(): Promise<number> {
    const since = new Date(this.o.clock.now().getTime() - this.onlineWindowSec * 1000);
    const n = await this.o.db.kiosk.count({ where: { lastHeartbeatAt: { gte: since } } });
    this.o.metrics.kiosksOnline.set(n);
    return n;
  }

  /**
   * Money-path code calls this when a kiosk sale completes and its order's kiosk was not known
   * to the payment (a payment driven to PAID later, by the worker or a notification).
   */
  async recordSale(kioskId: string, at: Date = this.o.clock.now()): Promise<void> {
    const k = await this.o.db.kiosk.update({
      where: { id: kioskId },
      data: { lastSaleAt: at },
      select: { attractionId: true },
    });
    this.o.events.emitFleet({ type: "kiosk.sale", kioskId, attractionId: k.attractionId, at });
  }

  /** A kiosk sale whose `lastSaleAt` committed with the sale (payment-effects.ts): the fleet event only. */
  announceSale(kioskId: string, attractionId: string, at: Date = this.o.clock.now()): void {
    this.o.events.emitFleet({ type: "kiosk.sale", kioskId, attractionId, at });
  }

  async list(filter: { attractionId?: string; kioskId?: string } = {}): Promise<FleetKiosk[]> {
    const now = this.o.clock.now().getTime();
    const rows = await this.o.db.kiosk.findMany({
      where: { attractionId: filter.attractionId, id: filter.kioskId },
      orderBy: [{ attractionId: "asc" }, { name: "asc" }],
    });
    const sales = await this.o.db.order.groupBy({
      by: ["kioskId"],
      where: { kioskId: { in: rows.map((r) => r.id) }, state: { in: ["paid", "partially_refunded", "refunded"] } },
      _max: { updatedAt: true },
    });
    const lastSaleByKiosk = new Map(sales.map((s) => [s.kioskId, s._max.updatedAt]));
    let online = 0;
    const list = rows.map((r): FleetKiosk => {
      const isOnline = r.lastHeartbeatAt !== null && now - r.lastHeartbeatAt.getTime() <= this.onlineWindowSec * 1000;
      if (isOnline) online++;
      const deviceStatus = parseStoredStatus(r.deviceStatus);
      const fromOrders = lastSaleByKiosk.get(r.id) ?? null;
      const lastSaleAt =
        r.lastSaleAt && fromOrders
          ? r.lastSaleAt > fromOrders
            ? r.lastSaleAt
            : fromOrders
          : (r.lastSaleAt ?? fromOrders);
      return {
        id: r.id,
        attractionId: r.attractionId,
        name: r.name,
        location: r.location,
        isPaired: r.credentialHash !== null,
        pairedAt: r.pairedAt,
        isOnline,
        lastHeartbeatAt: r.lastHeartbeatAt,
        isInService: r.isInService,
        outOfServiceReason: r.outOfServiceReason,
        appVersion: r.appVersion,
        bridgeVersion: r.bridgeVersion,
        deviceStatus,
        alerts: deviceAlerts(deviceStatus, isOnline),
        lastSaleAt,
      };
    });
    if (!filter.attractionId && !filter.kioskId) this.o.metrics.kiosksOnline.set(online);
    return list;
  }
}
