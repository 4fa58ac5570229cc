import { z } from "zod";
import { requireRole, router, sellerProcedure } from "../init.ts";
import { sellerActor, staffActor } from "./money-actors.ts";

const IdSchema = z.string().min(1).max(64);
const CodeSchema = z.string().min(10).max(1000);

export const ticketRouter = router({
  forOrder: sellerProcedure
    .input(z.strictObject({ orderId: IdSchema }))
    .query(({ ctx, input }) => ctx.services.money.tickets.listForOrder(input.orderId, sellerActor(ctx))),

  markPrinted: sellerProcedure
    .input(z.strictObject({ ticketId: IdSchema }))
    .mutation(({ ctx, input }) => ctx.services.money.tickets.markPrinted(input.ticketId, sellerActor(ctx))),

  markPrintFailed: sellerProcedure
    .input(z.strictObject({ ticketId: IdSchema, reason: z.string().max(200).optional() }))
    .mutation(({ ctx, input }) =>
      ctx.services.money.tickets.markPrintFailed(input.ticketId, sellerActor(ctx), input.reason),
    ),

  lookup: requireRole("cashier")
    .input(z.strictObject({ codeOrId: CodeSchema.or(IdSchema) }))
    .query(({ ctx, input }) => ctx.services.money.tickets.lookup(input.codeOrId)),

  forOrderStaff: requireRole("viewer")
    .input(z.strictObject({ orderId: IdSchema }))
    .query(({ ctx, input }) => ctx.services.money.tickets.listForOrder(input.orderId, staffActor(ctx))),

  verify: requireRole("cashier")
    .input(z.strictObject({ code: CodeSchema }))
    .query(({ ctx, input }) => ctx.services.money.tickets.verify(input.code)),

  /** Gate scan: the first scan redeems, every later one answers "already used at <time>". */
  redeem: requireRole("cashier")
    .input(z.strictObject({ code: CodeSchema, gate: z.string().max(64).optional() }))
    .mutation(({ ctx, input }) =>
      ctx.services.money.tickets.redeem({
        code: input.code,
        ...(input.gate ? { gate: input.gate } : {}),
        actor: staffActor(ctx),
      }),
    ),
});
