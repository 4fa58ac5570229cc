/**
 * A counter and a shift as a caller sees them: their views (`CounterView`, `ShiftView`), who may
 * see a shift (`assertShiftAccess`) and the reads that build a shift's view (`createShiftReads`):
 * a closed shift's totals as its close wrote them, an open one's from the ledger as it stands.
 */
import type { Db, ShiftState } from "@kiosk/db";
import { hasRoleAtLeast } from "../auth/roles.ts";
import { KioskError } from "../errors.ts";
import type { Actor } from "./money-deps.ts";
import {
  ledgerPayments,
  totalsOf,
  type ClosingSummary,
  type LedgerRow,
  type ShiftDifference,
  type ShiftLedgerPayment,
  type ShiftTotals,
} from "./shift-totals.ts";

export type StaffActor = Extract<Actor, { type: "staff" }>;

export interface CounterView {
  id: string;
  attractionId: string;
  name: string;
  location: string;
  isActive: boolean;
}

export interface ShiftView {
  id: string;
  counter: CounterView;
  staffUserId: string;
  staffName: string;
  state: ShiftState;
  currency: string;
  openedAt: Date;
  closedAt: Date | null;
  closeNote: string | null;
  totals: ShiftTotals;
  /** Net charged according to the gateway (null until closed). */
  gatewayNetMinor: number | null;
  differences: ShiftDifference[];
  /** Per payment, as the ledger has it (live while open, frozen at close). */
  payments: ShiftLedgerPayment[];
}

/** What a shift's view reads with the shift: its counter and its cashier's name. */
export const shiftInclude = { counter: true, staffUser: { select: { name: true } } } as const;

export function counterView(c: {
  id: string;
  attractionId: string;
  name: string;
  location: string;
  isActive: boolean;
}): CounterView {
  return { id: c.id, attractionId: c.attractionId, name: c.name, location: c.location, isActive: c.isActive };
}

/** Only the shift's cashier, or a supervisor and above, may see or close it. */
export function assertShiftAccess(s: { id: string; staffUserId: string }, actor: StaffActor): void {
  if (s.staffUserId !== actor.id && !hasRoleAtLeast(actor.role, "supervisor"))
    throw new KioskError("NOT_FOUND", `Shift ${s.id} not found`);
}

export function createShiftReads(db: Db) {
  async function ledger(shiftId: string): Promise<LedgerRow[]> {
    return db.payment.findMany({
      where: { order: { shiftId } },
      orderBy: { createdAt: "asc" },
      select: {
        id: true,
        partnerTransId: true,
        state: true,
        amountMinor: true,
        currency: true,
        refunds: { select: { amountMinor: true, state: true } },
      },
    });
  }

  async function load(shiftId: string) {
    const s = await db.shift.findUnique({ where: { id: shiftId }, include: shiftInclude });
    if (!s) throw new KioskError("NOT_FOUND", `Shift ${shiftId} not found`);
    return s;
  }

  type ShiftRow = Awaited<ReturnType<typeof load>>;

  async function view(s: ShiftRow): Promise<ShiftView> {
    const common = {
      id: s.id,
      counter: counterView(s.counter),
      staffUserId: s.staffUserId,
      staffName: s.staffUser.name,
      state: s.state as ShiftView["state"],
      currency: s.currency,
      openedAt: s.openedAt,
      closedAt: s.closedAt,
      closeNote: s.closeNote,
    };
    if (s.state === "closed") {
      const summary = JSON.parse(s.summary) as ClosingSummary;
      return Object.assign({}, common, {
        totals: {
          salesCount: s.salesCount,
          salesTotalMinor: s.salesTotalMinor,
          refundsCount: s.refundsCount,
          refundsTotalMinor: s.refundsTotalMinor,
          cancellationsCount: s.cancellationsCount,
          failedCount: summary.failedCount,
          netTotalMinor: s.netTotalMinor,
        },
        gatewayNetMinor: s.gatewayNetMinor,
        differences: summary.differences,
        payments: summary.payments,
      });
    }
    const rows = await ledger(s.id);
    return Object.assign({}, common, {
      totals: totalsOf(rows),
      gatewayNetMinor: null,
      differences: [],
      payments: ledgerPayments(rows),
    });
  }

  return { ledger, load, view };
}

export type ShiftReads = ReturnType<typeof createShiftReads>;
