import { PAYMENT_CODE_PATTERN } from "@kiosk/alipay-core/money";
import { z } from "zod";
import { requireRole, router, sellerProcedure, sellingSellerProcedure } from "../init.ts";
import { sellerActor, staffActor } from "./money-actors.ts";

const IdSchema = z.string().min(1).max(64);

export const StartPaymentSchema = z.strictObject({
  orderId: IdSchema,
  /** The scanned Alipay code; used once, stored only masked. */
  paymentCode: z.string().regex(PAYMENT_CODE_PATTERN, "an Alipay payment code"),
});

export const paymentRouter = router({
  /** Kiosk or counter: one payment path. A cashier pays only orders of their own open shift. */
  start: sellingSellerProcedure.input(StartPaymentSchema).mutation(async ({ ctx, input }) => {
    const actor = sellerActor(ctx);
    if (actor.type === "staff") await ctx.services.money.counter.assertPayable(input.orderId, actor);
    return ctx.services.money.payments.start(Object.assign({}, input, { actor }));
  }),

  status: sellerProcedure
    .input(z.strictObject({ paymentId: IdSchema }))
    .query(({ ctx, input }) => ctx.services.money.payments.get(input.paymentId, sellerActor(ctx))),

  forOrder: sellerProcedure
    .input(z.strictObject({ orderId: IdSchema }))
    .query(({ ctx, input }) => ctx.services.money.payments.latestForOrder(input.orderId, sellerActor(ctx))),

  /** The visitor gives up; the worker finishes the cancel if it cannot be done at once. A cashier cancels only payments of their own open shift. */
  cancel: sellerProcedure.input(z.strictObject({ paymentId: IdSchema })).mutation(async ({ ctx, input }) => {
    const actor = sellerActor(ctx);
    if (actor.type === "staff")
      await ctx.services.money.counter.assertCancellable({ paymentId: input.paymentId }, actor);
    return ctx.services.money.payments.cancel(input.paymentId, actor);
  }),

  /** The payment now and on every change until it settles (PAID comes with its tickets). */
  follow: sellerProcedure.input(z.strictObject({ paymentId: IdSchema })).subscription(async function* ({
    ctx,
    input,
    signal,
  }) {
    yield* ctx.services.money.payments.follow(input.paymentId, sellerActor(ctx), signal ? { signal } : {});
  }),

  byId: requireRole("viewer")
    .input(z.strictObject({ paymentId: IdSchema }))
    .query(({ ctx, input }) => ctx.services.money.payments.get(input.paymentId, staffActor(ctx))),

  events: requireRole("viewer")
    .input(z.strictObject({ paymentId: IdSchema }))
    .query(({ ctx, input }) => ctx.services.money.payments.events(input.paymentId, staffActor(ctx))),

  /** The staff queue: payments the worker could not finish. */
  needingAttention: requireRole("supervisor").query(({ ctx }) => ctx.services.money.payments.listNeedingAttention()),

  resolve: requireRole("supervisor")
    .input(
      z.strictObject({
        paymentId: IdSchema,
        to: z.enum(["PAID", "FAILED", "CANCELLED", "REFUNDED"]),
        reason: z.string().min(3).max(500),
      }),
    )
    .mutation(({ ctx, input }) =>
      ctx.services.money.payments.resolve(Object.assign({}, input, { actor: staffActor(ctx) })),
    ),
});
