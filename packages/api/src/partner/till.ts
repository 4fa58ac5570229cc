/**
 * Terminal sales in the console's figures (issue 18): each terminal's till for a period (the
 * counter till's totals, `totalsOf`, over the terminal's payments created in the period and
 * their refunds) and the terminal behind each terminal order (the sales report's per-terminal
 * rows).
 */
import type { Db } from "@kiosk/db";
import { totalsOf, type ShiftTotals } from "../services/shift-totals.ts";

export interface TerminalTill {
  terminalId: string;
  attractionId: string;
  name: string;
  storeId: string;
  terminalCode: string;
  isActive: boolean;
  currency: string | null;
  totals: ShiftTotals;
}

export interface TerminalLabel {
  terminalId: string;
  /** "<name> (<store>/<terminal>)", as the sales report shows it. */
  label: string;
}

/** Every terminal (of the attraction), with the totals of its payments created in [gte, lt). */
export async function terminalTills(
  db: Db,
  input: { attractionId?: string; range: { gte?: Date; lt?: Date } },
): Promise<TerminalTill[]> {
  const terminals = await db.terminal.findMany({
    where: input.attractionId ? { attractionId: input.attractionId } : {},
    orderBy: [{ storeId: "asc" }, { terminalCode: "asc" }],
  });
  const sold = await db.terminalPayment.findMany({
    where: { createdAt: input.range, terminalId: { in: terminals.map((t) => t.id) } },
    select: { terminalId: true, orderId: true, currency: true },
  });
  const payments = await db.payment.findMany({
    where: { orderId: { in: sold.map((s) => s.orderId) } },
    select: {
      id: true,
      orderId: true,
      partnerTransId: true,
      state: true,
      amountMinor: true,
      currency: true,
      refunds: { select: { amountMinor: true, state: true } },
    },
  });
  const paymentsOf = new Map<string, typeof payments>();
  for (const p of payments) paymentsOf.set(p.orderId, [...(paymentsOf.get(p.orderId) ?? []), p]);
  return terminals.map((t) => {
    const mine = sold.filter((s) => s.terminalId === t.id);
    return {
      terminalId: t.id,
      attractionId: t.attractionId,
      name: t.name,
      storeId: t.storeId,
      terminalCode: t.terminalCode,
      isActive: t.isActive,
      currency: mine[0]?.currency ?? null,
      totals: totalsOf(mine.flatMap((s) => paymentsOf.get(s.orderId) ?? [])),
    };
  });
}

/** The terminal of each of these orders that is a terminal order (others are absent). */
export async function terminalsOfOrders(db: Db, orderIds: readonly string[]): Promise<Map<string, TerminalLabel>> {
  if (orderIds.length === 0) return new Map();
  const rows = await db.terminalPayment.findMany({
    where: { orderId: { in: [...orderIds] } },
    select: { orderId: true, terminal: { select: { id: true, name: true, storeId: true, terminalCode: true } } },
  });
  return new Map(
    rows.map((r) => [
      r.orderId,
      {
        terminalId: r.terminal.id,
        label: `${r.terminal.name} (${r.terminal.storeId}/${r.terminal.terminalCode})`,
      },
    ]),
  );
}
