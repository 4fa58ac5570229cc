import { z } from "zod";
import { SESSION_COOKIE } from "../../auth/tokens.ts";
import { publicProcedure, router, staffProcedure } from "../init.ts";

export const LoginSchema = z.strictObject({
  email: z.email().max(254),
  password: z.string().min(1).max(1024),
});

export const PairKioskSchema = z.strictObject({
  /** The code staff read out from the console, e.g. "ABCD-EFGH" (dashes, spaces and case ignored). */
  code: z.string().trim().min(6).max(32),
});

export const authRouter = router({
  /** Staff sign-in: sets the httpOnly `kiosk_session` cookie. Rate-limited per IP and per e-mail. */
  login: publicProcedure.input(LoginSchema).mutation(async ({ ctx, input }) => {
    ctx.services.rateLimiter.consume("staffLogin", `ip:${ctx.auth.ip}`);
    ctx.services.rateLimiter.consume("staffLogin", `email:${input.email.toLowerCase()}`);
    const r = await ctx.services.auth.login({ email: input.email, password: input.password, ip: ctx.auth.ip });
    ctx.cookies.set(SESSION_COOKIE, r.token, { maxAgeSec: ctx.services.auth.sessionTtlSeconds });
    return { staff: r.staff, expiresAt: r.expiresAt };
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
    ctx.services.rateLimiter.consume("kioskPairing", `ip:${ctx.auth.ip}`);
    const r = await ctx.services.auth.pairKiosk({ code: input.code, ip: ctx.auth.ip });
    // The kiosk's own bridge token (kept if it already has one: the bridge's config holds it); the page fetches it with fleet.bridgeToken.
    await ctx.services.bridgeTokens.ensure("kiosk", r.kiosk.id, { type: "kiosk", id: r.kiosk.id });
    ctx.services.events.emitFleet({ type: "kiosk.paired", kioskId: r.kiosk.id, attractionId: r.kiosk.attractionId, at: ctx.clock.now() });
    return { credential: r.credential, kiosk: r.kiosk };
  }),
});
