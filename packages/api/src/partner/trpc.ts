/**
 * The partner payment calls over tRPC (issue 18) for vendors who write TypeScript:
 * `terminal.payments.{create,get,list,cancel,refund,receipt}`, authenticated by the terminal's
 * key (`Authorization: Bearer ktm_…`) and rate-limited per terminal like the REST face. The
 * same inputs and the same service functions (partner/payments.ts) as REST (partner/http.ts):
 * a payment made over one is the same payment over the other.
 */
import { z } from "zod";
import { publicProcedure, router } from "../trpc/init.ts";
import { createPaymentBody, refundBody } from "./http.ts";
import { MAX_WAIT_SECONDS } from "./payments.ts";

const IdSchema = z.string().min(1).max(64);
const IdempotencyKeySchema = z.string().min(1).max(128);
const WaitSchema = z.number().int().min(0).max(MAX_WAIT_SECONDS).optional();

/** A registered, enabled terminal's key with `payments:write` → ctx.terminal. */
export const terminalProcedure = publicProcedure.meta({ auth: "terminal" }).use(async ({ ctx, next }) => {
  const terminal = await ctx.services.money.partner.terminals.authorize(ctx.auth.terminalKey);
  await ctx.services.rateLimiter.consume("bookingApi", `terminal:${terminal.id}`);
  return next({ ctx: { terminal, log: ctx.log.child({ terminalId: terminal.id }) } });
});

export const terminalPaymentsRouter = router({
  /** POST /payments: the same key and body give the same payment (isReplay), another body CONFLICT. */
  create: terminalProcedure
    .input(
      z.strictObject(
        Object.assign({}, createPaymentBody.shape, { idempotencyKey: IdempotencyKeySchema, wait: WaitSchema }),
      ),
    )
    .mutation(({ ctx, input, signal }) => {
      const { idempotencyKey, wait, ...body } = input;
      return ctx.services.money.partner.payments.create(ctx.terminal, idempotencyKey, body, {
        waitSeconds: wait ?? 0,
        ...(signal ? { signal } : {}),
      });
    }),

  /** GET /payments/{id}[?wait=]: the payment, at once or once final (long-poll, up to 25 s). */
  get: terminalProcedure
    .input(z.strictObject({ id: IdSchema, wait: WaitSchema }))
    .query(({ ctx, input, signal }) =>
      ctx.services.money.partner.payments.waitFor(ctx.terminal, input.id, input.wait ?? 0, signal),
    ),

  /** GET /payments?date=: this terminal's payments of a day (the attraction's time zone). */
  list: terminalProcedure.input(z.strictObject({ date: z.string().max(10) })).query(async ({ ctx, input }) => ({
    date: input.date,
    payments: await ctx.services.money.partner.payments.listByDay(ctx.terminal, input.date),
  })),

  /** POST /payments/{id}/cancel: the buyer walked away. */
  cancel: terminalProcedure
    .input(z.strictObject({ id: IdSchema }))
    .mutation(({ ctx, input }) => ctx.services.money.partner.payments.cancel(ctx.terminal, input.id)),

  /** POST /payments/{id}/refunds: full (no amount) or partial, idempotent by its key. */
  refund: terminalProcedure
    .input(z.strictObject(Object.assign({}, refundBody.shape, { id: IdSchema, idempotencyKey: IdempotencyKeySchema })))
    .mutation(({ ctx, input }) => {
      const { id, idempotencyKey, ...body } = input;
      return ctx.services.money.partner.payments.refund(ctx.terminal, id, idempotencyKey, body);
    }),

  /** GET /payments/{id}/receipt: the receipt data and printable lines of a paid payment. */
  receipt: terminalProcedure
    .input(z.strictObject({ id: IdSchema }))
    .query(({ ctx, input }) => ctx.services.money.partner.payments.receipt(ctx.terminal, input.id)),
});
