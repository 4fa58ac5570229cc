/**
 * Partner terminals in the staff console (issue 18): register a POS / cash register / vendor
 * app for the partner payment API (its API key and webhook secret are shown once), list,
 * disable and enable them, and paid sales per terminal. Changes are audited.
 */
import { z } from "zod";
import { requireRole, router } from "../init.ts";

const IdSchema = z.string().min(1).max(64);
const TerminalIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/);

export const CreateTerminalSchema = z.strictObject({
  attractionId: IdSchema,
  storeId: TerminalIdSchema,
  terminalCode: TerminalIdSchema,
  name: z.string().trim().min(1).max(80),
  webhookUrl: z.string().url().max(500).nullish(),
});

export const terminalRouter = router({
  list: requireRole("viewer")
    .input(z.strictObject({ attractionId: IdSchema.optional() }).optional())
    .query(({ ctx, input }) => ctx.services.money.partner.terminals.list(input?.attractionId)),

  /** Registers a terminal; the answer carries its API key and webhook secret, never shown again. */
  create: requireRole("admin")
    .input(CreateTerminalSchema)
    .mutation(async ({ ctx, input }) => {
      const made = await ctx.services.money.partner.terminals.create(input);
      await ctx.services.audit.record({
        actor: { type: "staff", id: ctx.staff.id },
        action: "terminal.created",
        target: { type: "terminal", id: made.terminal.id },
        details: {
          attractionId: input.attractionId,
          storeId: input.storeId,
          terminalCode: input.terminalCode,
          keyPrefix: made.terminal.keyPrefix,
        },
      });
      return made;
    }),

  setActive: requireRole("admin")
    .input(z.strictObject({ terminalId: IdSchema, isActive: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      const terminal = await ctx.services.money.partner.terminals.setActive(input.terminalId, input.isActive);
      await ctx.services.audit.record({
        actor: { type: "staff", id: ctx.staff.id },
        action: input.isActive ? "terminal.enabled" : "terminal.disabled",
        target: { type: "terminal", id: input.terminalId },
      });
      return terminal;
    }),

  /** Paid terminal sales per terminal in [from, to). */
  sales: requireRole("viewer")
    .input(z.strictObject({ attractionId: IdSchema.optional(), from: z.date(), to: z.date() }))
    .query(({ ctx, input }) =>
      ctx.services.money.partner.payments.salesByTerminal({
        from: input.from,
        to: input.to,
        ...(input.attractionId ? { attractionId: input.attractionId } : {}),
      }),
    ),
});
