/**
 * Counter sale and the till (staff console). Selling itself goes through the kiosk's own
 * procedures (order.create, payment.start/follow/cancel, ticket.markPrinted: seller
 * procedures that accept a cashier); this router opens, reads and closes shifts. Opening
 * and closing are audited.
 */
import { z } from "zod";
import { requireRole, router } from "../init.ts";
import { staffActor } from "./money-actors.ts";

const IdSchema = z.string().min(1).max(64);

export const CreateCounterSchema = z.strictObject({
  attractionId: IdSchema,
  name: z.string().trim().min(1).max(64),
  location: z.string().trim().max(200).optional(),
});

export const counterRouter = router({
  /** Counters to open a shift at. */
  list: requireRole("cashier")
    .input(z.strictObject({ attractionId: IdSchema.optional() }).optional())
    .query(({ ctx, input }) => ctx.services.money.counter.listCounters(input ?? {})),

  create: requireRole("supervisor")
    .input(CreateCounterSchema)
    .mutation(async ({ ctx, input }) => {
      const counter = await ctx.services.money.counter.createCounter(input);
      await ctx.services.audit.record({
        actor: { type: "staff", id: ctx.staff.id },
        action: "counter.created",
        target: { type: "counter", id: counter.id },
        details: { name: counter.name, attractionId: counter.attractionId },
      });
      return counter;
    }),

  /** The signed-in cashier's open shift with its running totals, or null. */
  myShift: requireRole("cashier").query(({ ctx }) => ctx.services.money.counter.currentShift(staffActor(ctx))),

  /**
   * The bridge token of the counter where the signed-in cashier has an open shift (null without
   * one, or when the counter has no token yet: an admin issues it with fleet.rotateBridgeToken).
   */
  bridgeToken: requireRole("cashier").mutation(async ({ ctx }) => {
    const shift = await ctx.services.money.counter.currentShift(staffActor(ctx));
    return { token: shift ? await ctx.services.bridgeTokens.tokenFor("counter", shift.counter.id) : null };
  }),

  openShift: requireRole("cashier")
    .input(z.strictObject({ counterId: IdSchema }))
    .mutation(async ({ ctx, input }) => {
      const shift = await ctx.services.money.counter.openShift({ counterId: input.counterId, actor: staffActor(ctx) });
      await ctx.services.audit.record({
        actor: { type: "staff", id: ctx.staff.id },
        action: "shift.opened",
        target: { type: "shift", id: shift.id },
        details: { counterId: shift.counter.id, counterName: shift.counter.name },
      });
      return shift;
    }),

  shift: requireRole("cashier")
    .input(z.strictObject({ shiftId: IdSchema }))
    .query(({ ctx, input }) => ctx.services.money.counter.getShift(input.shiftId, staffActor(ctx))),

  /** A cashier's own shifts; supervisors see everyone's. */
  shifts: requireRole("cashier")
    .input(
      z
        .strictObject({ staffUserId: IdSchema.optional(), limit: z.number().int().min(1).max(100).optional() })
        .optional(),
    )
    .query(({ ctx, input }) =>
      ctx.services.money.counter.listShifts({
        actor: staffActor(ctx),
        ...(input?.staffUserId ? { staffUserId: input.staffUserId } : {}),
        ...(input?.limit ? { limit: input.limit } : {}),
      }),
    ),

  /** Totals from the ledger against the gateway's answer for every trade; the closed shift never changes again. */
  closeShift: requireRole("cashier")
    .input(z.strictObject({ shiftId: IdSchema, note: z.string().trim().max(500).optional() }))
    .mutation(async ({ ctx, input }) => {
      const shift = await ctx.services.money.counter.closeShift({
        shiftId: input.shiftId,
        actor: staffActor(ctx),
        ...(input.note ? { note: input.note } : {}),
      });
      await ctx.services.audit.record({
        actor: { type: "staff", id: ctx.staff.id },
        action: "shift.closed",
        target: { type: "shift", id: shift.id },
        reason: input.note ?? null,
        details: {
          currency: shift.currency,
          ...shift.totals,
          gatewayNetMinor: shift.gatewayNetMinor,
          differenceCount: shift.differences.length,
        },
      });
      return shift;
    }),
});
