import { z } from "zod";
import { requireRole, router, sellerProcedure, sellingSellerProcedure } from "../init.ts";
import { kioskActor, sellerActor, staffActor } from "./money-actors.ts";

const IdSchema = z.string().min(1).max(64);

export const OrderLineSchema = z.strictObject({
  ticketTypeId: IdSchema,
  slotId: IdSchema,
  quantity: z.number().int().min(1).max(50),
});

export const CreateOrderSchema = z.strictObject({
  lines: z.array(OrderLineSchema).min(1).max(10),
  locale: z.string().min(2).max(16).optional(),
});

export const orderRouter = router({
  /**
   * Reserves places (a hold that expires) and returns the order priced on the server. At a
   * counter the order is for the cashier's open shift (its counter's attraction).
   */
  create: sellingSellerProcedure.input(CreateOrderSchema).mutation(({ ctx, input }) => {
    const { seller } = ctx;
    const locale = input.locale ? { locale: input.locale } : {};
    if (seller.type === "staff")
      return ctx.services.money.counter.createOrder({ actor: staffActor(seller), lines: input.lines, ...locale });
    return ctx.services.money.orders.create({ actor: kioskActor(seller), lines: input.lines, ...locale });
  }),

  get: sellerProcedure
    .input(z.strictObject({ orderId: IdSchema }))
    .query(({ ctx, input }) => ctx.services.money.orders.get(input.orderId, sellerActor(ctx))),

  /** Gives the places back; refused while a payment is under way. A cashier cancels only orders of their own open shift. */
  cancel: sellerProcedure.input(z.strictObject({ orderId: IdSchema })).mutation(async ({ ctx, input }) => {
    const actor = sellerActor(ctx);
    if (actor.type === "staff") await ctx.services.money.counter.assertCancellable({ orderId: input.orderId }, actor);
    return ctx.services.money.orders.cancel(input.orderId, actor);
  }),

  byId: requireRole("viewer")
    .input(z.strictObject({ orderId: IdSchema }))
    .query(({ ctx, input }) => ctx.services.money.orders.get(input.orderId, staffActor(ctx))),
});
