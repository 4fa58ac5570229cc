/**
 * The Alipay conformance validator for admins: start a run against this server's configured
 * gateway (one at a time, audited at start and end), follow its steps, fetch the reports.
 */
import { z } from "zod";
import { getEnv } from "../../env.ts";
import { processConformanceRuns, type ConformanceRuns } from "../../conformance/run-service.ts";
import type { Context } from "../context.ts";
import { requireRole, router } from "../init.ts";

function runsOf(ctx: Context): ConformanceRuns {
  const env = getEnv();
  return processConformanceRuns({
    repoRoot: env.repoRoot,
    dataDir: env.dataDir,
    now: () => ctx.clock.now(),
    db: ctx.services.db,
    onPersistError: (error) => ctx.services.log.error("conformance run row not written", { error }),
  });
}

const RunIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export const conformanceRouter = router({
  /** Starts a run; CONFLICT while one is running. */
  start: requireRole("admin").mutation(async ({ ctx }) => {
    const { audit } = ctx.services;
    const staffId = ctx.staff.id;
    const alipay = getEnv().alipay;
    const target = {
      env: alipay.env,
      protocol: alipay.protocol,
      gatewayUrl: alipay.gatewayUrl,
    };
    const run = await runsOf(ctx).start({
      staffId,
      now: ctx.clock.now(),
      onFinished: (r) => {
        audit
          .record({
            actor: { type: "staff", id: staffId },
            action: "conformance.finished",
            target: { type: "conformance_run", id: r.runId },
            details: { status: r.status, summary: r.summary, error: r.error },
          })
          .catch((e: unknown) =>
            ctx.services.log.error("conformance audit entry failed", {
              runId: r.runId,
              error: e,
            }),
          );
      },
    });
    await audit.record({
      actor: { type: "staff", id: staffId },
      action: "conformance.started",
      target: { type: "conformance_run", id: run.runId },
      details: target,
    });
    return run;
  }),

  /** The current or last run of the fleet (any instance may have started it), with per-step progress. */
  latest: requireRole("admin").query(({ ctx }) => runsOf(ctx).latest()),

  /** A finished run's report: the JSON document, or the self-contained HTML page as text. */
  report: requireRole("admin")
    .input(z.strictObject({ runId: RunIdSchema }))
    .query(({ ctx, input }) => runsOf(ctx).reportJson(input.runId)),

  reportHtml: requireRole("admin")
    .input(z.strictObject({ runId: RunIdSchema }))
    .query(({ ctx, input }) => ({
      fileName: `${input.runId}.html`,
      html: runsOf(ctx).reportHtml(input.runId),
    })),
});
