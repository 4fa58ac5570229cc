/**
 * Conformance runs started from the staff console. A run is the CLI (`scripts/conformance.ts
 * --target configured`) in a child process with this server's environment, so it uses the
 * configured gateway and keys exactly as the server does, on its own throwaway database and
 * money services, and never touches the server's payments. One run at a time per process;
 * progress comes back as JSON lines, the reports land in `<DATA_DIR>/conformance/`.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
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
  start(input: { staffId: string; now: Date; onFinished?: (run: ConformanceRunView) => void }): ConformanceRunView;
  /** The current or last run of this process. */
  latest(): ConformanceRunView | null;
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

export function createConformanceRuns(options: {
  repoRoot: string;
  reportsDir: string;
  now: () => Date;
}): ConformanceRuns {
  let current: ConformanceRunView | null = null;

  const notFound = (runId: string): KioskError => new KioskError("NOT_FOUND", `Conformance report ${runId} not found`);
  const load = (runId: string): ConformanceReport => {
    try {
      return readReportFile(options.reportsDir, runId);
    } catch {
      throw notFound(runId);
    }
  };

  return {
    start({ staffId, now, onFinished }) {
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
      current = run;
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
        if (event.type === "started" && event.steps) run.steps = event.steps.map((s) => ({ ...s, status: "pending" }));
        const step = run.steps.find((s) => s.id === (event.id ?? event.step?.id));
        if (event.type === "step_started" && step) step.status = "running";
        if (event.type === "step_finished" && step && event.step) {
          step.status = event.step.status;
          if (event.step.reason) step.reason = event.step.reason;
        }
        if (event.type === "finished" && event.summary) run.summary = event.summary;
      });
      const finish = (error: string | null): void => {
        if (run.status !== "running") return;
        run.finishedAt = options.now();
        run.status = run.summary ? "finished" : "error";
        run.error = run.summary ? null : (error ?? "the run ended without a report");
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
    latest: () => current,
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
}): ConformanceRuns {
  const g = globalThis as Record<symbol, ConformanceRuns | undefined>;
  g[HOLDER_KEY] ??= createConformanceRuns({
    repoRoot: options.repoRoot,
    reportsDir: join(options.dataDir, "conformance"),
    now: options.now,
  });
  return g[HOLDER_KEY];
}
