import { z } from "zod";
import { HeartbeatSchema } from "../../services/fleet-service.ts";
import { kioskProcedure, requireRole, router, staffProcedure } from "../init.ts";

const KioskIdSchema = z.string().min(1).max(64);
const ReasonSchema = z.string().trim().min(3).max(500);

export const RegisterKioskSchema = z.strictObject({
  attractionId: z.string().min(1).max(64),
  name: z.string().trim().min(1).max(100),
  location: z.string().trim().max(200).optional(),
});

export const SetInServiceSchema = z.strictObject({
  kioskId: KioskIdSchema,
  isInService: z.boolean(),
  /** Why (kept in the audit log and shown on the fleet view). */
  reason: ReasonSchema,
});

export const FleetFilterSchema = z.strictObject({ attractionId: z.string().min(1).max(64).optional() }).optional();

/** How often the live fleet view refreshes without any event (online/offline is time-based). */
export const FLEET_REFRESH_MS = 5_000;

export const fleetRouter = router({
  // ------------------------------------------------------------ kiosk side

  /** Every ~15 s: device status; answers whether the kiosk may sell. Allowed out of service. */
  heartbeat: kioskProcedure
    .input(HeartbeatSchema)
    .mutation(({ ctx, input }) => ctx.services.fleet.heartbeat(ctx.kiosk.id, input)),

  /** Am I in service? (and the rest of what staff see about me). */
  status: kioskProcedure.query(async ({ ctx }) => {
    const k = await ctx.services.fleet.status(ctx.kiosk.id);
    return {
      kioskId: k.id,
      attractionId: k.attractionId,
      name: k.name,
      isInService: k.isInService,
      outOfServiceReason: k.outOfServiceReason,
      serverTime: ctx.clock.now(),
    };
  }),

  /**
   * This kiosk's device bridge token, for the `auth` message to the bridge on its PC. Only
   * after the device credential authenticated: never in the page's HTML or URL. A POST
   * (mutation), so no cache or access log holds it.
   */
  bridgeToken: kioskProcedure.mutation(async ({ ctx }) => ({
    token: await ctx.services.bridgeTokens.ensure("kiosk", ctx.kiosk.id, { type: "kiosk", id: ctx.kiosk.id }),
  })),

  // ------------------------------------------------------------ staff side

  /**
   * Scheduled work across the fleet: each job's last run (retention pruning, …: one instance per
   * period, services/job-runs.ts) and the last scheduled reconciliation (one per day by its run id).
   */
  scheduledJobs: staffProcedure.query(async ({ ctx }) => {
    const jobs = await ctx.services.jobRuns.latest();
    const rec = await ctx.services.db.reconciliationRun.findFirst({
      where: { trigger: "schedule" },
      orderBy: { startedAt: "desc" },
    });
    if (rec) {
      jobs.push({
        job: "daily_reconciliation",
        period: rec.day,
        owner: "worker",
        startedAt: rec.startedAt,
        finishedAt: rec.finishedAt,
        outcome: rec.state === "completed" ? "ok" : rec.state === "failed" ? "error" : "running",
        details: {
          matched: rec.matchedCount,
          differences: rec.differenceCount,
          ...(rec.error ? { error: rec.error } : {}),
        },
      });
    }
    return jobs;
  }),

  list: staffProcedure
    .input(FleetFilterSchema)
    .query(({ ctx, input }) => ctx.services.fleet.list({ attractionId: input?.attractionId })),

  /** The fleet, now and after every change (heartbeat, service change, pairing, sale), at least every 5 s. */
  live: staffProcedure.input(FleetFilterSchema).subscription(async function* ({ ctx, input, signal }) {
    const filter = { attractionId: input?.attractionId };
    yield await ctx.services.fleet.list(filter);
    for await (const event of ctx.services.events.fleetTicks({ signal, refreshMs: FLEET_REFRESH_MS })) {
      if (event && filter.attractionId && event.attractionId !== filter.attractionId) continue;
      yield await ctx.services.fleet.list(filter);
    }
  }),

  register: requireRole("supervisor")
    .input(RegisterKioskSchema)
    .mutation(({ ctx, input }) => ctx.services.fleet.register(input, { type: "staff", id: ctx.staff.id })),

  /** A one-time code (shown once) that the kiosk exchanges for its credential via auth.pairKiosk. */
  issuePairingCode: requireRole("supervisor")
    .input(z.strictObject({ kioskId: KioskIdSchema }))
    .mutation(({ ctx, input }) =>
      ctx.services.fleet.issuePairingCode(input.kioskId, { type: "staff", id: ctx.staff.id }),
    ),

  /**
   * Issues a new bridge token for a kiosk or counter (the old one is replaced). Shown once,
   * for the bridge's config on that PC (BRIDGE_PAIRING_TOKEN); the device's page fetches the
   * new one itself. Audited with the token's fingerprint only.
   */
  rotateBridgeToken: requireRole("admin")
    .input(z.strictObject({ device: z.enum(["kiosk", "counter"]), id: KioskIdSchema }))
    .mutation(({ ctx, input }) =>
      ctx.services.bridgeTokens.issue(input.device, input.id, { type: "staff", id: ctx.staff.id }),
    ),

  /** Take a kiosk out of service (it keeps heartbeating but cannot sell) or back into service. */
  setInService: requireRole("cashier")
    .input(SetInServiceSchema)
    .mutation(({ ctx, input }) => ctx.services.fleet.setInService(input, { type: "staff", id: ctx.staff.id })),
});
