/**
 * A ticket as a caller sees it, without I/O: its view (`TicketView`, built from a row with its
 * ticket type and slot by `toTicketView`) and what a read of one includes (`ticketInclude`).
 */
import type { TicketState } from "@kiosk/db";

export interface TicketView {
  id: string;
  orderId: string;
  ticketTypeId: string;
  ticketTypeCode: string;
  ticketTypeName: string;
  slotId: string;
  validFrom: Date;
  validUntil: Date;
  code: string;
  state: TicketState;
  printedAt: Date | null;
  printFailedAt: Date | null;
  redeemedAt: Date | null;
  voidedAt: Date | null;
}

/** What a ticket read includes for its view: its ticket type and its slot. */
export const ticketInclude = { ticketType: true, slot: true } as const;

/** A ticket row with its ticket type and slot, as its view is built from. */
export type TicketRow = {
  id: string;
  orderId: string;
  ticketTypeId: string;
  slotId: string;
  code: string;
  state: string;
  printedAt: Date | null;
  printFailedAt: Date | null;
  redeemedAt: Date | null;
  voidedAt: Date | null;
  ticketType: { code: string; name: string };
  slot: { startsAt: Date; endsAt: Date };
};

export function toTicketView(t: TicketRow): TicketView {
  return {
    id: t.id,
    orderId: t.orderId,
    ticketTypeId: t.ticketTypeId,
    ticketTypeCode: t.ticketType.code,
    ticketTypeName: t.ticketType.name,
    slotId: t.slotId,
    validFrom: t.slot.startsAt,
    validUntil: t.slot.endsAt,
    code: t.code,
    state: t.state as TicketState,
    printedAt: t.printedAt,
    printFailedAt: t.printFailedAt,
    redeemedAt: t.redeemedAt,
    voidedAt: t.voidedAt,
  };
}
