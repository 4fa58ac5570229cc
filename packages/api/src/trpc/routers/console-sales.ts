/**
 * Staff console sales figures (spread into `consoleRouter`, so their paths stay `console.<name>`).
 */
import { dayInZone, type PaymentStateName } from "@kiosk/db";
import { z } from "zod";
import { KioskError } from "../../errors.ts";
import { terminalsOfOrders } from "../../partner/till.ts";
import { requireRole } from "../init.ts";
import { DaySchema } from "./catalog.ts";
import { dayRange, IdSchema, zoneOf } from "./console-shared.ts";

export const SalesQuerySchema = z.strictObject({
  fromDay: DaySchema,
  toDay: DaySchema,
  attractionId: IdSchema.optional(),
  zone: z.string().max(64).optional(),
});

const PAID_LIKE: PaymentStateName[] = ["PAID", "REFUNDING", "PARTIALLY_REFUNDED", "REFUNDED"];

function hourInZone(date: Date, zone: string): number {
  const h = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", hourCycle: "h23" }).format(date);
  return Number(h) % 24;
}

/** The period of a sales query as instants, in the console's (or the named) zone; at most a year. */
export function salesPeriodOf(input: z.infer<typeof SalesQuerySchema>): {
  zone: string;
  range: { gte?: Date; lt?: Date };
} {
  const zone = zoneOf(input.zone);
  if (input.toDay < input.fromDay) throw new KioskError("BAD_REQUEST", "The period ends before it starts");
  const range = dayRange(input.fromDay, input.toDay, zone);
  if (range.lt && range.gte && range.lt.getTime() - range.gte.getTime() > 367 * 86_400_000)
    throw new KioskError("BAD_REQUEST", "Choose at most a year");
  return { zone, range };
}

export const consoleSalesProcedures = {
  /**
   * Sales for a period: completed payments (paid, including later refunded ones) by ticket
   * type, kiosk and hour of day, with refunds completed in the period. Minor units.
   */
  sales: requireRole("viewer")
    .input(SalesQuerySchema)
    .query(async ({ ctx, input }) => {
      const { zone, range } = salesPeriodOf(input);
      const db = ctx.services.db;
      const payments = await db.payment.findMany({
        where: {
          state: { in: PAID_LIKE },
          paidAt: range,
          ...(input.attractionId ? { order: { attractionId: input.attractionId } } : {}),
        },
        select: {
          amountMinor: true,
          currency: true,
          paidAt: true,
          order: {
            select: {
              id: true,
              kioskId: true,
              channel: true,
              lines: {
                select: {
                  ticketTypeId: true,
                  quantity: true,
                  lineTotalMinor: true,
                  ticketType: { select: { name: true, code: true } },
                },
              },
            },
          },
        },
      });
      const refunds = await db.refund.findMany({
        where: {
          state: "succeeded",
          completedAt: range,
          ...(input.attractionId ? { payment: { order: { attractionId: input.attractionId } } } : {}),
        },
        select: { amountMinor: true, payment: { select: { currency: true } } },
      });
      const kiosks = await db.kiosk.findMany({ select: { id: true, name: true } });
      const kioskName = new Map(kiosks.map((k) => [k.id, k.name]));
      // Partner terminals' sales (issue 18): one row per terminal.
      const terminalOf = await terminalsOfOrders(
        db,
        payments.filter((p) => p.order.channel === "terminal").map((p) => p.order.id),
      );
      const byType = new Map<
        string,
        { ticketTypeId: string; name: string; code: string; tickets: number; amountMinor: number }
      >();
      const byKiosk = new Map<
        string,
        { kioskId: string | null; terminalId: string | null; name: string; orders: number; amountMinor: number }
      >();
      const byHour = Array.from({ length: 24 }, (_, hour) => ({ hour, orders: 0, amountMinor: 0 }));
      const byDay = new Map<string, { day: string; orders: number; amountMinor: number }>();
      const currencies = new Set<string>();
      let totalMinor = 0;
      let tickets = 0;
      for (const p of payments) {
        currencies.add(p.currency);
        totalMinor += p.amountMinor;
        for (const l of p.order.lines) {
          const t = byType.get(l.ticketTypeId) ?? {
            ticketTypeId: l.ticketTypeId,
            name: l.ticketType.name,
            code: l.ticketType.code,
            tickets: 0,
            amountMinor: 0,
          };
          t.tickets += l.quantity;
          t.amountMinor += l.lineTotalMinor;
          tickets += l.quantity;
          byType.set(l.ticketTypeId, t);
        }
        const terminal = terminalOf.get(p.order.id);
        const kKey = p.order.kioskId ?? (terminal ? `terminal:${terminal.terminalId}` : `channel:${p.order.channel}`);
        const k = byKiosk.get(kKey) ?? {
          kioskId: p.order.kioskId,
          terminalId: terminal?.terminalId ?? null,
          name: p.order.kioskId
            ? (kioskName.get(p.order.kioskId) ?? p.order.kioskId)
            : (terminal?.label ?? `(${p.order.channel})`),
          orders: 0,
          amountMinor: 0,
        };
        k.orders += 1;
        k.amountMinor += p.amountMinor;
        byKiosk.set(kKey, k);
        if (p.paidAt) {
          const h = byHour[hourInZone(p.paidAt, zone)];
          if (h) {
            h.orders += 1;
            h.amountMinor += p.amountMinor;
          }
          const day = dayInZone(p.paidAt.getTime(), zone);
          const d = byDay.get(day) ?? { day, orders: 0, amountMinor: 0 };
          d.orders += 1;
          d.amountMinor += p.amountMinor;
          byDay.set(day, d);
        }
      }
      const refundedMinor = refunds.reduce((s, r) => s + r.amountMinor, 0);
      return {
        fromDay: input.fromDay,
        toDay: input.toDay,
        zone,
        currency:
          currencies.size === 1
            ? [...currencies][0]!
            : currencies.size === 0
              ? (refunds[0]?.payment.currency ?? "CNY")
              : "MIXED",
        orders: payments.length,
        tickets,
        totalMinor,
        refundedMinor,
        netMinor: totalMinor - refundedMinor,
        byType: [...byType.values()].sort((a, b) => b.amountMinor - a.amountMinor),
        byKiosk: [...byKiosk.values()].sort((a, b) => b.amountMinor - a.amountMinor),
        byHour,
        byDay: [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day)),
      };
    }),

  /** Today's day string in the console's zone (so the browser does not guess). */
  today: requireRole("viewer")
    .input(z.strictObject({ zone: z.string().max(64).optional() }).optional())
    .query(({ ctx, input }) => {
      const zone = zoneOf(input?.zone);
      return { day: dayInZone(ctx.clock.now().getTime(), zone), zone };
    }),
};
