/**
 * An order as a caller sees it, without I/O: its view (`OrderView`, built from the row by
 * `toOrderView`) and who may see it at all (`assertOrderAccess`, which every read of an order,
 * its payment or its tickets makes on the caller's behalf).
 */
import type { OrderState } from "@kiosk/db";
import { KioskError } from "../errors.ts";
import type { Actor } from "./money-deps.ts";
import type { OrderWithLines } from "./order-reads.ts";

export interface OrderLineView {
  id: string;
  ticketTypeId: string;
  ticketTypeCode: string;
  ticketTypeName: string;
  slotId: string;
  slotStartsAt: Date;
  slotEndsAt: Date;
  quantity: number;
  unitPriceMinor: number;
  lineTotalMinor: number;
}

export interface OrderView {
  id: string;
  attractionId: string;
  channel: string;
  kioskId: string | null;
  apiClientId: string | null;
  externalRef: string | null;
  state: OrderState;
  currency: string;
  totalMinor: number;
  refundedMinor: number;
  locale: string;
  expiresAt: Date;
  createdAt: Date;
  lines: OrderLineView[];
}

export function toOrderView(o: OrderWithLines): OrderView {
  return {
    id: o.id,
    attractionId: o.attractionId,
    channel: o.channel,
    kioskId: o.kioskId,
    apiClientId: o.apiClientId,
    externalRef: o.externalRef,
    state: o.state as OrderState,
    currency: o.currency,
    totalMinor: o.totalMinor,
    refundedMinor: o.refundedMinor,
    locale: o.locale,
    expiresAt: o.expiresAt,
    createdAt: o.createdAt,
    lines: o.lines.map((l) => ({
      id: l.id,
      ticketTypeId: l.ticketTypeId,
      ticketTypeCode: l.ticketType.code,
      ticketTypeName: l.ticketType.name,
      slotId: l.slotId,
      slotStartsAt: l.slot.startsAt,
      slotEndsAt: l.slot.endsAt,
      quantity: l.quantity,
      unitPriceMinor: l.unitPriceMinor,
      lineTotalMinor: l.lineTotalMinor,
    })),
  };
}

/** Throws NOT_FOUND (not FORBIDDEN: existence is not disclosed) when `actor` may not see the order. */
export function assertOrderAccess(
  order: { id: string; kioskId: string | null; apiClientId: string | null; attractionId: string },
  actor: Actor,
): void {
  const isAllowed =
    actor.type === "system" ||
    actor.type === "staff" ||
    (actor.type === "kiosk" && order.kioskId === actor.id) ||
    (actor.type === "api_client" && order.apiClientId === actor.id);
  if (!isAllowed) throw new KioskError("NOT_FOUND", `Order ${order.id} not found`);
}
