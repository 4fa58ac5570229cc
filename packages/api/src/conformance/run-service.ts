/**
 * Conformance runs started from the staff console. A run is the CLI (`scripts/conformance.ts
 * --target configured`) in a child process with this server's environment, so it uses the
 * configured gateway and keys exactly as the server does, on its own throwaway database and
 * money services, and never touches the server's payments. Progress comes back as JSON lines,
 * the reports land in `<DATA_DIR>/conformance/` of the instance that ran it.
 *
 * With `db` (every server), the run is a ConformanceRun row: one run at a time across the fleet
 * (a FleetSetting "conformance.active" claim, taken over when its heartbeat is a minute old), and
 * every instance answers `latest()` from the row, so the console may poll any of them. A run whose
 * instance died (no heartbeat for a minute) reads as `error`.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Db } from "@kiosk/db";
import { KioskError } from "../errors.ts";
import { newId } from "../services/money-deps.ts";
import { readReportFile } from "./report-files.ts";
import type { ConformanceReport, StepId, StepStatus } from "./report.ts";

export interface ConformanceRunView {
  runId: string;
  startedAt: Date;
  startedBy: string;
  finishedAt: Date | null;
  /** `error`: the run could not complete (set-up failure, crash); see `error`. */
  status: "running" | "finished" | "error";
  steps: {
    id: StepId;
    title: string;
    status: StepStatus | "pending" | "running";
    reason?: string;
  }[];
  summary: ConformanceReport["summary"] | null;
  error: string | null;
}

export interface ConformanceRuns {
  /** @throws KioskError CONFLICT while another run is in progress. */
  start(input: {
    staffId: string;
    now: Date;
    onFinished?: (run: ConformanceRunView) => void;
  }): Promise<ConformanceRunView>;
  /** The current or last run (of the fleet with `db`, else of this process). */
  latest(): Promise<ConformanceRunView | null>;
  /** @throws KioskError NOT_FOUND for an unknown run. */
  reportJson(runId: string): ConformanceReport;
  /** @throws KioskError NOT_FOUND for an unknown run. */
  reportHtml(runId: string): string;
}

/** `tsx` as installed for the kiosk app (or the workspace root). */
function tsxBin(repoRoot: string): string {
  const app = join(repoRoot, "tooling/conformance/node_modules/.bin/tsx");
  return existsSync(app) ? app : join(repoRoot, "node_modules/.bin/tsx");
}

/** A running run's row is refreshed this often; a claim or run this much older is dead. */
export const CONFORMANCE_HEARTBEAT_MS = 10_000;
export const CONFORMANCE_STALE_MS = 60_000;
const ACTIVE_SETTING = "conformance.active";

type RunRow = {
  id: string;
  startedAt: Date;
  startedBy: string;
  finishedAt: Date | null;
  status: string;
  steps: string;
  summary: string | null;
  error: string | null;
  heartbeatAt: Date;
};

function viewOfRow(row: RunRow, nowMs: number): ConformanceRunView {
  const isDead = row.status === "running" && nowMs - row.heartbeatAt.getTime() > CONFORMANCE_STALE_MS;
  return {
    runId: row.id,
    startedAt: row.startedAt,
    startedBy: row.startedBy,
    finishedAt: row.finishedAt,
    status: isDead ? "error" : (row.status as ConformanceRunView["status"]),
    steps: JSON.parse(row.steps) as ConformanceRunView["steps"],
    summary: row.summary ? (JSON.parse(row.summary) as ConformanceReport["summary"]) : null,
    error: isDead ? "the instance running it stopped (no heartbeat for a minute)" : row.error,
  };
}

/** Claims the fleet's one conformance slot for `runId`; false while another live run holds it. */
async function claimSlot(db: Db, runId: string, now: Date): Promise<boolean> {
  const data = { value: runId, updatedAt: now, updatedBy: null };
  const taken = await db.fleetSetting.updateMany({
    where: {
      key: ACTIVE_SETTING,
      OR: [{ value: "" }, { updatedAt: { lt: new Date(now.getTime() - CONFORMANCE_STALE_MS) } }],
    },
    data,
  });
  if (taken.count === 1) return true;
  try {
    await db.fleetSetting.create({ data: { key: ACTIVE_SETTING, ...data } });
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === "P2002") return false;
    throw error;
  }
}

export function createConformanceRuns(options: {
  repoRoot: string;
  reportsDir: string;
  now: () => Date;
  /** Share the run with the fleet (rows); absent: this process only. */
  db?: Db;
  onPersistError?: (error: unknown) => void;
}): ConformanceRuns {
  let current: ConformanceRunView | null = null;
  const { db } = options;

  const notFound = (runId: string): KioskError => new KioskError("NOT_FOUND", `Conformance report ${runId} not found`);
  const load = (runId: string): ConformanceReport => {
    try {
      return readReportFile(options.reportsDir, runId);
    } catch {
      throw notFound(runId);
    }
  };

  return {
    async start({ staffId, now, onFinished }) {
      if (current?.status === "running")
        throw new KioskError("CONFLICT", `Conformance run ${current.runId} is still running; one run at a time`);
      const script = join(options.repoRoot, "tooling/conformance/src/cli.ts");
      const tsx = tsxBin(options.repoRoot);
      // The Docker server image is a standalone build without the scripts; its worker image has them.
      if (!existsSync(script) || !existsSync(tsx)) {
        throw new KioskError(
          "PRECONDITION_FAILED",
          "The conformance validator is not installed with this server (standalone build): run `tsx tooling/conformance/src/cli.ts --target configured` in the worker image instead.",
        );
      }
      const run: ConformanceRunView = {
        runId: newId("conf"),
        startedAt: now,
        startedBy: staffId,
        finishedAt: null,
        status: "running",
        steps: [],
        summary: null,
        error: null,
      };
      if (db && !(await claimSlot(db, run.runId, now))) {
        const other = await db.fleetSetting.findUnique({ where: { key: ACTIVE_SETTING } });
        throw new KioskError(
          "CONFLICT",
          `Conformance run ${other?.value ?? "?"} is still running on another instance; one run at a time`,
        );
      }
      current = run;
      // The row every instance reads: written in order (one chain), never failing the run itself.
      let persisting: Promise<unknown> = Promise.resolve();
      const persist = (): void => {
        if (!db) return;
        const row = {
          startedAt: run.startedAt,
          startedBy: run.startedBy,
          finishedAt: run.finishedAt,
          status: run.status,
          steps: JSON.stringify(run.steps),
          summary: run.summary ? JSON.stringify(run.summary) : null,
          error: run.error,
          heartbeatAt: options.now(),
        };
        persisting = persisting
          .then(async () => {
            await db.conformanceRun.upsert({
              where: { id: run.runId },
              create: { id: run.runId, ...row },
              update: row,
            });
            await db.fleetSetting.updateMany({
              where: { key: ACTIVE_SETTING, value: run.runId },
              data: { updatedAt: options.now(), ...(run.status === "running" ? {} : { value: "" }) },
            });
          })
          .catch((error: unknown) => options.onPersistError?.(error));
      };
      persist();
      const heartbeat = db ? setInterval(persist, CONFORMANCE_HEARTBEAT_MS) : undefined;
      heartbeat?.unref();
      const child = spawn(
        tsx,
        [script, "--target", "configured", "--progress-json", "--run-id", run.runId, "--out", options.reportsDir],
        {
          cwd: options.repoRoot,
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => {
        stderr = `${stderr}${chunk.toString("utf8")}`.slice(-2_000);
      });
      createInterface({ input: child.stdout }).on("line", (line) => {
        let event: {
          type?: string;
          steps?: { id: StepId; title: string }[];
          id?: StepId;
          step?: { id: StepId; status: StepStatus; reason?: string };
          summary?: ConformanceReport["summary"];
        };
        try {
          event = JSON.parse(line) as typeof event;
        } catch {
          return;
        }
        if (event.type === "started" && event.steps)
          run.steps = event.steps.map((s) => Object.assign({}, s, { status: "pending" as const }));
        const step = run.steps.find((s) => s.id === (event.id ?? event.step?.id));
        if (event.type === "step_started" && step) step.status = "running";
        if (event.type === "step_finished" && step && event.step) {
          step.status = event.step.status;
          if (event.step.reason) step.reason = event.step.reason;
        }
        if (event.type === "finished" && event.summary) run.summary = event.summary;
        persist();
      });
      const finish = (error: string | null): void => {
        if (run.status !== "running") return;
        run.finishedAt = options.now();
        run.status = run.summary ? "finished" : "error";
        run.error = run.summary ? null : (error ?? "the run ended without a report");
        if (heartbeat) clearInterval(heartbeat);
        persist();
        onFinished?.(run);
      };
      child.on("error", (e) => finish(`could not start the validator: ${e.message}`));
      child.on("close", (code) =>
        finish(
          code === 0 || code === 1
            ? null
            : `validator exited with ${String(code)}: ${stderr.trim().split("\n").slice(-3).join(" ")}`,
        ),
      );
      return run;
    },
    async latest() {
      if (!db) return current;
      const row = await db.conformanceRun.findFirst({ orderBy: { startedAt: "desc" } });
      return row ? viewOfRow(row, options.now().getTime()) : null;
    },
    reportJson: load,
    reportHtml(runId) {
      load(runId);
      return readFileSync(join(options.reportsDir, `${runId}.html`), "utf8");
    },
  };
}

const HOLDER_KEY = Symbol.for("kiosk.conformance-runs");

/** The process-wide runs (kept on globalThis: Next route bundles and dev reloads share it). */
export function processConformanceRuns(options: {
  repoRoot: string;
  dataDir: string;
  now: () => Date;
  db?: Db;
  onPersistError?: (error: unknown) => void;
}): ConformanceRuns {
  const g = globalThis as Record<symbol, ConformanceRuns | undefined>;
  g[HOLDER_KEY] ??= createConformanceRuns({
    repoRoot: options.repoRoot,
    reportsDir: join(options.dataDir, "conformance"),
    now: options.now,
    ...(options.db ? { db: options.db } : {}),
    ...(options.onPersistError ? { onPersistError: options.onPersistError } : {}),
  });
  return g[HOLDER_KEY];
}
