import { z } from "zod";
import { DEVICE_COOKIE, SESSION_COOKIE } from "../../auth/tokens.ts";
import { publicProcedure, requireRole, router, staffProcedure } from "../init.ts";

export const LoginSchema = z.strictObject({
  email: z.email().max(254),
  password: z.string().min(1).max(1024),
});

/** A staff password: 12 to 1024 characters (stored as scrypt). */
export const StaffPasswordSchema = z.string().min(12).max(1024);

export const ChangePasswordSchema = z.strictObject({
  currentPassword: z.string().min(1).max(1024),
  newPassword: StaffPasswordSchema,
});

/** How long a browser stays a known device for the login back-off (refreshed at each sign-in). */
const DEVICE_COOKIE_MAX_AGE_SEC = 180 * 86_400;

export const PairKioskSchema = z.strictObject({
  /** The code staff read out from the console, e.g. "ABCD-EFGH" (dashes, spaces and case ignored). */
  code: z.string().trim().min(6).max(32),
});

export const authRouter = router({
  /**
   * Staff sign-in: sets the httpOnly `kiosk_session` cookie and the `kiosk_device` cookie (a
   * known device). Rate-limited per client address; per account by the login back-off, which a
   * known device's correct password passes (so guesses cannot lock the owner out).
   */
  login: publicProcedure.input(LoginSchema).mutation(async ({ ctx, input }) => {
    await ctx.services.rateLimiter.consume("staffLogin", `ip:${ctx.auth.ip}`);
    const r = await ctx.services.auth.login({
      email: input.email,
      password: input.password,
      ip: ctx.auth.ip,
      deviceToken: ctx.auth.deviceToken,
    });
    ctx.cookies.set(SESSION_COOKIE, r.token, { maxAgeSec: (r.expiresAt.getTime() - ctx.clock.now().getTime()) / 1000 });
    ctx.cookies.set(DEVICE_COOKIE, r.deviceToken, { maxAgeSec: DEVICE_COOKIE_MAX_AGE_SEC });
    return { staff: r.staff, expiresAt: r.expiresAt };
  }),

  /** The signed-in staff member changes their own password; their other sessions end. */
  changePassword: requireRole("viewer")
    .input(ChangePasswordSchema)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.rateLimiter.consume("staffLogin", `ip:${ctx.auth.ip}`);
      const r = await ctx.services.auth.changePassword({
        userId: ctx.staff.id,
        sessionId: ctx.session.id,
        currentPassword: input.currentPassword,
        newPassword: input.newPassword,
        ip: ctx.auth.ip,
      });
      return { isChanged: true as const, sessionsRevoked: r.sessionsRevoked };
    }),

  /** Ends the current session (if any) and clears the cookie. Always succeeds. */
  logout: publicProcedure.mutation(async ({ ctx }) => {
    if (ctx.auth.sessionToken) await ctx.services.auth.logout(ctx.auth.sessionToken);
    ctx.cookies.clear(SESSION_COOKIE);
    return { isSignedOut: true as const };
  }),

  /** The signed-in staff member. */
  me: staffProcedure.query(({ ctx }) => ({ staff: ctx.staff, expiresAt: ctx.session.expiresAt })),

  /**
   * A kiosk exchanges its one-time pairing code for its device credential. The
   * credential is returned once; the kiosk keeps it and sends it as
   * `Authorization: Bearer kdc_…`. Rate-limited per IP.
   */
  pairKiosk: publicProcedure.input(PairKioskSchema).mutation(async ({ ctx, input }) => {
    await ctx.services.rateLimiter.consume("kioskPairing", `ip:${ctx.auth.ip}`);
    const r = await ctx.services.auth.pairKiosk({ code: input.code, ip: ctx.auth.ip });
    // The kiosk's own bridge token (kept if it already has one: the bridge's config holds it); the page fetches it with fleet.bridgeToken.
    await ctx.services.bridgeTokens.ensure("kiosk", r.kiosk.id, { type: "kiosk", id: r.kiosk.id });
    ctx.services.events.emitFleet({
      type: "kiosk.paired",
      kioskId: r.kiosk.id,
      attractionId: r.kiosk.attractionId,
      at: ctx.clock.now(),
    });
    return { credential: r.credential, kiosk: r.kiosk };
  }),
});
