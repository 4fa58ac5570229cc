import { z } from "zod";
import { apiClientProcedure, kioskProcedure, requireRole, router } from "../init.ts";

export const DaySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD");
const IdSchema = z.string().min(1).max(64);

export const catalogRouter = router({
  /** The kiosk's own attraction: ticket types, prices (minor units) and the day's slots with live availability. */
  forKiosk: kioskProcedure.input(z.strictObject({ day: DaySchema.optional() }).optional()).query(({ ctx, input }) =>
    ctx.services.money.catalog.catalog({
      attractionId: ctx.kiosk.attractionId,
      ...(input?.day ? { day: input.day } : {}),
    }),
  ),

  /** Staff view of any attraction's catalog. */
  get: requireRole("viewer")
    .input(z.strictObject({ attractionId: IdSchema, day: DaySchema.optional() }))
    .query(({ ctx, input }) => ctx.services.money.catalog.catalog(input)),

  /** Slots with availability (booking systems read this before booking). */
  slots: apiClientProcedure("catalog:read")
    .input(z.strictObject({ day: DaySchema.optional(), kind: z.enum(["day", "timed"]).optional() }).optional())
    .query(({ ctx, input }) =>
      ctx.services.money.catalog.slots({ attractionId: ctx.apiClient.attractionId, ...input }),
    ),
});
