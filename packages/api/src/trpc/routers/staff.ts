import { API_SCOPES, STAFF_ROLES } from "@kiosk/db";
import { z } from "zod";
import { ACTOR_TYPES } from "../../services/audit-service.ts";
import { requireRole, router } from "../init.ts";
import { StaffPasswordSchema } from "./auth.ts";

const ReasonSchema = z.string().trim().min(3).max(500);

export const CreateStaffUserSchema = z.strictObject({
  email: z.email().max(254),
  name: z.string().trim().min(1).max(100),
  /** At least 12 characters; stored as scrypt. */
  password: StaffPasswordSchema,
  role: z.enum(STAFF_ROLES),
});

export const AuditQuerySchema = z
  .strictObject({
    actorType: z.enum(ACTOR_TYPES).optional(),
    actorId: z.string().max(64).optional(),
    action: z.string().max(100).optional(),
    targetType: z.string().max(64).optional(),
    targetId: z.string().max(64).optional(),
    since: z.date().optional(),
    until: z.date().optional(),
    beforeId: z.number().int().positive().optional(),
    limit: z.number().int().min(1).max(200).optional(),
  })
  .optional();

export const CreateApiKeySchema = z.strictObject({
  attractionId: z.string().min(1).max(64),
  name: z.string().trim().min(1).max(100),
  scopes: z.array(z.enum(API_SCOPES)).min(1),
});

export const staffRouter = router({
  listUsers: requireRole("supervisor").query(({ ctx }) => ctx.services.auth.listStaffUsers()),

  createUser: requireRole("admin")
    .input(CreateStaffUserSchema)
    .mutation(({ ctx, input }) => ctx.services.auth.createStaffUser(input, { type: "staff", id: ctx.staff.id })),

  /** Deactivates the account and ends all its sessions. */
  deactivateUser: requireRole("admin")
    .input(z.strictObject({ userId: z.string().min(1).max(64), reason: ReasonSchema }))
    .mutation(async ({ ctx, input }) => {
      await ctx.services.auth.deactivateStaffUser(input, { type: "staff", id: ctx.staff.id });
      return { userId: input.userId, isActive: false as const };
    }),

  /** An admin sets another account's password (forgotten password); all its sessions end. */
  setPassword: requireRole("admin")
    .input(
      z.strictObject({ userId: z.string().min(1).max(64), newPassword: StaffPasswordSchema, reason: ReasonSchema }),
    )
    .mutation(async ({ ctx, input }) => {
      const r = await ctx.services.auth.setPassword(input, { type: "staff", id: ctx.staff.id });
      return { userId: input.userId, sessionsRevoked: r.sessionsRevoked };
    }),

  /** Accounts that entered the login back-off in the last 24 hours (wrong passwords in a row): the console's alert. */
  loginAlerts: requireRole("supervisor").query(({ ctx }) =>
    ctx.services.auth.loginAlerts(new Date(ctx.clock.now().getTime() - 86_400_000)),
  ),

  /** Ends a kiosk's device credential (lost or stolen device); pair it again with a new code. */
  revokeKioskCredential: requireRole("admin")
    .input(z.strictObject({ kioskId: z.string().min(1).max(64), reason: ReasonSchema }))
    .mutation(async ({ ctx, input }) => {
      await ctx.services.auth.revokeKioskCredential(input, { type: "staff", id: ctx.staff.id });
      return { kioskId: input.kioskId, isRevoked: true as const };
    }),

  /** Newest first; page with `beforeId: nextBeforeId`. */
  auditLog: requireRole("supervisor")
    .input(AuditQuerySchema)
    .query(({ ctx, input }) => ctx.services.audit.query(input ?? {})),

  listApiClients: requireRole("admin")
    .input(z.strictObject({ attractionId: z.string().max(64).optional() }).optional())
    .query(({ ctx, input }) => ctx.services.auth.apiKeys.list(input?.attractionId)),

  /** Creates a booking-system API key. The key is in the answer once and never again. */
  createApiKey: requireRole("admin")
    .input(CreateApiKeySchema)
    .mutation(({ ctx, input }) => ctx.services.auth.apiKeys.create(input, { type: "staff", id: ctx.staff.id })),

  revokeApiKey: requireRole("admin")
    .input(z.strictObject({ apiClientId: z.string().min(1).max(64), reason: ReasonSchema }))
    .mutation(async ({ ctx, input }) => {
      await ctx.services.auth.apiKeys.revoke(input, { type: "staff", id: ctx.staff.id });
      return { apiClientId: input.apiClientId, isActive: false as const };
    }),
});
