import { z } from "zod";
import { requireRole, router } from "../init.ts";
import { DaySchema } from "./catalog.ts";
import { staffActor } from "./money-actors.ts";

const IdSchema = z.string().min(1).max(64);

export const reconciliationRouter = router({
  run: requireRole("supervisor")
    .input(z.strictObject({ day: DaySchema }))
    .mutation(({ ctx, input }) =>
      ctx.services.money.reconciliation.run({ day: input.day, trigger: "manual", actor: staffActor(ctx) }),
    ),

  list: requireRole("viewer")
    .input(z.strictObject({ day: DaySchema.optional(), limit: z.number().int().min(1).max(200).optional() }).optional())
    .query(({ ctx, input }) => ctx.services.money.reconciliation.list(input ?? {})),

  get: requireRole("viewer")
    .input(z.strictObject({ runId: IdSchema }))
    .query(({ ctx, input }) => ctx.services.money.reconciliation.get(input.runId)),

  resolveDifference: requireRole("supervisor")
    .input(z.strictObject({ differenceId: IdSchema, resolution: z.string().min(3).max(1000) }))
    .mutation(({ ctx, input }) =>
      ctx.services.money.reconciliation.resolveDifference(Object.assign({}, input, { actor: staffActor(ctx) })),
    ),
});
