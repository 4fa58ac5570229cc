/**
 * Partner terminals in the staff console (issue 18): register a POS / cash register / vendor
 * app for the partner payment API (its API key and webhook secret are shown once), list,
 * disable and enable them, rotate their keys in place, and each terminal's till. Changes are audited.
 */
import { z } from "zod";
import { terminalTills } from "../../partner/till.ts";
import { terminalPaymentsRouter } from "../../partner/trpc.ts";
import { requireRole, router } from "../init.ts";
import { SalesQuerySchema, salesPeriodOf } from "./console-sales.ts";

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
  /** The terminals' own payment calls, authenticated by the terminal key (partner/trpc.ts). */
  payments: terminalPaymentsRouter,

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

  /**
   * Rotates the terminal's API key in place: the new key is in the answer (shown once); the
   * previous key keeps working for `overlapHours` (1 to 720) or until revoked.
   */
  rotateKey: requireRole("admin")
    .input(z.strictObject({ terminalId: IdSchema, overlapHours: z.number().int().min(1).max(720) }))
    .mutation(async ({ ctx, input }) => {
      const rotated = await ctx.services.money.partner.terminals.rotateKey(input.terminalId, {
        overlapMs: input.overlapHours * 3_600_000,
      });
      await ctx.services.audit.record({
        actor: { type: "staff", id: ctx.staff.id },
        action: "terminal.key_rotated",
        target: { type: "terminal", id: input.terminalId },
        details: {
          keyPrefix: rotated.terminal.keyPrefix,
          previousKeyPrefix: rotated.previousKeyPrefix,
          previousKeyExpiresAt: rotated.terminal.previousKeyExpiresAt?.toISOString() ?? null,
          overlapHours: input.overlapHours,
        },
      });
      return { terminal: rotated.terminal, key: rotated.key };
    }),

  /** Ends a rotation's overlap now: the previous key is refused (401) from here on. */
  revokePreviousKey: requireRole("admin")
    .input(z.strictObject({ terminalId: IdSchema, reason: z.string().trim().max(128).optional() }))
    .mutation(async ({ ctx, input }) => {
      const { terminal, revokedPrefix } = await ctx.services.money.partner.terminals.revokePreviousKey(
        input.terminalId,
      );
      await ctx.services.audit.record({
        actor: { type: "staff", id: ctx.staff.id },
        action: "terminal.previous_key_revoked",
        target: { type: "terminal", id: input.terminalId },
        reason: input.reason ?? null,
        details: { revokedPrefix },
      });
      return terminal;
    }),

  /**
   * Each terminal's till for a period of days (the console's zone unless named): the counter
   * till's totals (sales, refunds, cancellations, declines, net) over its payments created in
   * the period. Every terminal is listed, also those that sold nothing.
   */
  till: requireRole("viewer")
    .input(SalesQuerySchema)
    .query(({ ctx, input }) =>
      terminalTills(ctx.services.db, {
        range: salesPeriodOf(input).range,
        ...(input.attractionId ? { attractionId: input.attractionId } : {}),
      }),
    ),
});
