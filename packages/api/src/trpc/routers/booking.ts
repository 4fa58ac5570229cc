import { z } from "zod";
import { apiClientProcedure, IdempotencyKeySchema, idempotent, idempotentInTransaction, router } from "../init.ts";
import { apiClientActor } from "./money-actors.ts";
import { OrderLineSchema } from "./order.ts";

const IdSchema = z.string().min(1).max(64);

export const bookingRouter = router({
  /** Holds places for a booking system's customer; retried requests with the same key return the same order. */
  create: apiClientProcedure("bookings:write")
    .input(
      z.strictObject({
        idempotencyKey: IdempotencyKeySchema,
        lines: z.array(OrderLineSchema).min(1).max(10),
        externalRef: z.string().max(128).optional(),
        locale: z.string().min(2).max(16).optional(),
      }),
    )
    .mutation(
      idempotentInTransaction(({ ctx, input }, record) =>
        ctx.services.money.orders.create(
          {
            actor: apiClientActor(ctx),
            lines: input.lines,
            ...(input.externalRef ? { externalRef: input.externalRef } : {}),
            ...(input.locale ? { locale: input.locale } : {}),
          },
          { alsoWrite: record },
        ),
      ),
    ),

  cancel: apiClientProcedure("bookings:write")
    .input(z.strictObject({ idempotencyKey: IdempotencyKeySchema, orderId: IdSchema }))
    .mutation(idempotent(({ ctx, input }) => ctx.services.money.orders.cancel(input.orderId, apiClientActor(ctx)))),

  /**
   * Confirms a booking the booking system was paid for on its side: holds become sold places
   * and the tickets are issued, in one transaction, once. A second confirm (another key) is
   * CONFLICT "already confirmed"; an expired booking PRECONDITION_FAILED; a cancelled one CONFLICT.
   */
  confirm: apiClientProcedure("bookings:write")
    .input(
      z.strictObject({
        idempotencyKey: IdempotencyKeySchema,
        orderId: IdSchema,
        externalPaymentRef: z.string().trim().min(1).max(128),
      }),
    )
    .mutation(
      idempotentInTransaction(({ ctx, input }, record) =>
        ctx.services.money.bookings.confirm(
          {
            orderId: input.orderId,
            externalPaymentRef: input.externalPaymentRef,
            actor: { type: "api_client", id: ctx.apiClient.id, attractionId: ctx.apiClient.attractionId },
          },
          { alsoWrite: record },
        ),
      ),
    ),

  get: apiClientProcedure("bookings:read")
    .input(z.strictObject({ orderId: IdSchema }))
    .query(({ ctx, input }) => ctx.services.money.orders.get(input.orderId, apiClientActor(ctx))),

  tickets: apiClientProcedure("tickets:read")
    .input(z.strictObject({ orderId: IdSchema }))
    .query(({ ctx, input }) => ctx.services.money.tickets.listForOrder(input.orderId, apiClientActor(ctx))),

  redeem: apiClientProcedure("tickets:redeem")
    .input(z.strictObject({ code: z.string().min(10).max(1000), gate: z.string().max(64).optional() }))
    .mutation(({ ctx, input }) =>
      ctx.services.money.tickets.redeem({
        code: input.code,
        ...(input.gate ? { gate: input.gate } : {}),
        actor: apiClientActor(ctx),
      }),
    ),

  refund: apiClientProcedure("refunds:write")
    .input(
      z.strictObject({
        idempotencyKey: IdempotencyKeySchema,
        paymentId: IdSchema,
        amountMinor: z.number().int().positive().optional(),
        reason: z.string().min(3).max(128),
      }),
    )
    .mutation(
      idempotent(({ ctx, input }) =>
        ctx.services.money.refunds.request({
          paymentId: input.paymentId,
          reason: input.reason,
          ...(input.amountMinor ? { amountMinor: input.amountMinor } : {}),
          actor: apiClientActor(ctx),
        }),
      ),
    ),
});
