import { z } from "zod";
import { kioskProcedure, requireRole, router, sellingKioskProcedure } from "../init.ts";
import { kioskActor, staffActor } from "./money-actors.ts";

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
  /** Reserves places (a hold that expires) and returns the order priced on the server. */
  create: sellingKioskProcedure
    .input(CreateOrderSchema)
    .mutation(({ ctx, input }) => ctx.services.money.orders.create({ actor: kioskActor(ctx), lines: input.lines, ...(input.locale ? { locale: input.locale } : {}) })),

  get: kioskProcedure.input(z.strictObject({ orderId: IdSchema })).query(({ ctx, input }) => ctx.services.money.orders.get(input.orderId, kioskActor(ctx))),

  /** Gives the places back; refused while a payment is under way. */
  cancel: kioskProcedure.input(z.strictObject({ orderId: IdSchema })).mutation(({ ctx, input }) => ctx.services.money.orders.cancel(input.orderId, kioskActor(ctx))),

  byId: requireRole("viewer").input(z.strictObject({ orderId: IdSchema })).query(({ ctx, input }) => ctx.services.money.orders.get(input.orderId, staffActor(ctx))),
});
