import { z } from "zod";
import { requireRole, router } from "../init.ts";
import { staffActor } from "./money-actors.ts";

const IdSchema = z.string().min(1).max(64);

export const RefundSchema = z.strictObject({
  paymentId: IdSchema,
  /** Minor units; omitted = everything not yet refunded. */
  amountMinor: z.number().int().positive().optional(),
  reason: z.string().min(3).max(128),
  ticketIds: z.array(IdSchema).max(100).optional(),
});

export const refundRouter = router({
  create: requireRole("supervisor")
    .input(RefundSchema)
    .mutation(({ ctx, input }) =>
      ctx.services.money.refunds.request(Object.assign({}, input, { actor: staffActor(ctx) })),
    ),

  forPayment: requireRole("viewer")
    .input(z.strictObject({ paymentId: IdSchema }))
    .query(({ ctx, input }) => ctx.services.money.refunds.listForPayment(input.paymentId, staffActor(ctx))),
});
