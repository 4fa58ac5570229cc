// Alipay conformance validator: runs the protocol scenarios through the server's money path
// and writes an HTML and a JSON report. Exit code 0 when no step failed, 1 when one did,
// 2 on a usage or set-up error.
// usage: npm run conformance -- [--target sandbox|configured] [--out DIR] [--code STEP=CODE]…
//        [--protocol mapi|openapi|antom] [--sign-type RSA2|MD5] [--deadline-ms N] [--only STEP,…]
//        [--run-id ID] [--progress-json] [--via kiosk|terminal]
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { isPaymentCode } from "@kiosk/alipay-core/money";
import { getEnv } from "@kiosk/api/env.ts";
import { startOwnSandbox, type OwnSandbox } from "./own-sandbox.ts";
import { writeReportFiles } from "@kiosk/api/conformance/report-files.ts";
import { STEP_IDS, TERMINAL_STEP_IDS, type StepId } from "@kiosk/api/conformance/report.ts";
import { runConformance, type ConformanceProgress, type RunConformanceOptions } from "./runner.ts";
import { realTimeline } from "./timeline.ts";
import { alipayClientConfig } from "@kiosk/api/app-services.ts";

const USAGE = `npm run conformance -- [options]
  --target sandbox      start a sandbox gateway on a free port and a throwaway database (default)
  --target configured   the gateway of the server's configuration (ALIPAY_* variables, as the server reads them)
  --code STEP=CODE      a merchant-provided payment code for a step (live gateways); repeatable
  --out DIR             where the reports go (default: <DATA_DIR>/conformance)
  --protocol mapi|openapi|antom, --sign-type RSA2|MD5   the own sandbox's protocol and signing (default mapi RSA2)
  --deadline-ms N       payment deadline of the run's payments, 10000–600000 (default: the server's,
                        PAYMENT_DEADLINE_SECONDS or 60000); every other number is the production policy
  --only STEP,…         run only these steps: ${STEP_IDS.join(", ")}
  --via kiosk|terminal  kiosk (default): the protocol steps through the kiosk path; terminal: the partner
                        terminal steps (${TERMINAL_STEP_IDS.join(", ")}) through /api/partner/v1
  --run-id ID           report file name (default: generated)
  --progress-json       print progress as JSON lines (for the staff console)`;

class UsageError extends Error {}

function parse() {
  const { values } = parseArgs({
    options: {
      target: { type: "string", default: "sandbox" },
      code: { type: "string", multiple: true, default: [] },
      out: { type: "string" },
      protocol: { type: "string", default: "mapi" },
      "sign-type": { type: "string", default: "RSA2" },
      "deadline-ms": { type: "string" },
      only: { type: "string" },
      "run-id": { type: "string" },
      "progress-json": { type: "boolean", default: false },
      via: { type: "string", default: "kiosk" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (values.target !== "sandbox" && values.target !== "configured")
    throw new UsageError(`--target must be sandbox or configured, got "${values.target}"`);
  if (values.protocol !== "mapi" && values.protocol !== "openapi" && values.protocol !== "antom")
    throw new UsageError(`--protocol must be mapi, openapi or antom, got "${values.protocol}"`);
  if (values["sign-type"] !== "RSA2" && values["sign-type"] !== "MD5")
    throw new UsageError(`--sign-type must be RSA2 or MD5, got "${values["sign-type"]}"`);
  if (values.via !== "kiosk" && values.via !== "terminal")
    throw new UsageError(`--via must be kiosk or terminal, got "${values.via}"`);
  const isStep = (s: string): s is StepId => (STEP_IDS as readonly string[]).includes(s);
  const isTerminalStep = (s: string): s is StepId => (TERMINAL_STEP_IDS as readonly string[]).includes(s);
  const codes: Partial<Record<StepId, string>> = {};
  for (const entry of values.code) {
    const [step = "", code = ""] = entry.split("=", 2);
    if (!isStep(step) || !isPaymentCode(code))
      throw new UsageError(
        `--code must be STEP=CODE with STEP one of ${STEP_IDS.join(", ")} and CODE an Alipay payment code (16–24 digits starting 25–30)`,
      );
    codes[step] = code;
  }
  const only = values.only?.split(",").map((s) => s.trim());
  const unknownStep = only?.find((s) => !(values.via === "terminal" ? isTerminalStep(s) : isStep(s)));
  if (unknownStep !== undefined) throw new UsageError(`--only: unknown step "${unknownStep}"`);
  const deadline = values["deadline-ms"] === undefined ? undefined : Number(values["deadline-ms"]);
  if (deadline !== undefined && (!Number.isSafeInteger(deadline) || deadline < 10_000 || deadline > 600_000))
    throw new UsageError(
      "--deadline-ms must be an integer from 10000 to 600000 (the server's PAYMENT_DEADLINE_SECONDS range)",
    );
  if (values["run-id"] !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(values["run-id"]))
    throw new UsageError("--run-id must be 1-64 letters, digits, _ or -");
  return { ...values, via: values.via as "kiosk" | "terminal", codes, only: only as StepId[] | undefined, deadline };
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 2;
  }
  const repoRoot = resolve(import.meta.dirname, "../../..");
  const outDir = resolve(
    args.out ??
      join(process.env.DATA_DIR ? resolve(repoRoot, process.env.DATA_DIR) : join(repoRoot, "data"), "conformance"),
  );
  const emit = (line: Record<string, unknown>): void => {
    if (args["progress-json"]) process.stdout.write(`${JSON.stringify(line)}\n`);
  };
  const onProgress = (event: ConformanceProgress): void => {
    emit(event);
    if (args["progress-json"]) return;
    if (event.type === "started") process.stdout.write(`Conformance run ${event.runId}: ${event.steps.length} steps\n`);
    if (event.type === "step_finished") {
      const mark = { passed: "PASS", failed: "FAIL", skipped: "SKIP" }[event.step.status];
      process.stdout.write(
        `  ${mark}  ${event.step.id.padEnd(26)} ${event.step.title}${event.step.reason ? `\n        ${event.step.reason}` : ""}\n`,
      );
    }
  };

  let own: OwnSandbox | undefined;
  let options: RunConformanceOptions;
  try {
    const common = {
      onProgress,
      codes: args.codes,
      via: args.via,
      ...(args.only ? { only: args.only } : {}),
      ...(args["run-id"] ? { runId: args["run-id"] } : {}),
    };
    if (args.target === "sandbox") {
      own = await startOwnSandbox({
        protocol: args.protocol as "mapi" | "openapi" | "antom",
        signType: args["sign-type"] as "RSA2" | "MD5",
      });
      options = {
        ...common,
        ...(args.deadline ? { paymentDeadlineMs: args.deadline } : {}),
        gateway: own.gateway,
        targetKind: "own_sandbox",
        env: "sandbox",
        timeline: own.timeline,
      };
    } else {
      const env = getEnv();
      // The server's own deadline unless overridden; the rest is the production policy.
      const deadline = args.deadline ?? env.paymentDeadlineMs;
      options = {
        ...common,
        ...(deadline !== null ? { paymentDeadlineMs: deadline } : {}),
        refundPauseWindow: env.alipay.refundPauseWindow,
        gateway: {
          ...alipayClientConfig(env),
          gatewayUrl: env.alipay.gatewayUrl,
        },
        targetKind: "configured",
        env: env.alipay.env,
        timeline: realTimeline(),
      };
    }
  } catch (error) {
    process.stderr.write(
      `Cannot set up the conformance run: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    await own?.close();
    return 2;
  }
  try {
    const report = await runConformance(options);
    const files = writeReportFiles(report, outDir);
    const s = report.summary;
    emit({ type: "finished", runId: report.runId, summary: s, files });
    if (!args["progress-json"]) {
      process.stdout.write(
        `\n${s.isPassing ? "PASSING" : "FAILING"}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped of ${s.total}\n`,
      );
      const exchanges = report.steps.flatMap((step) => step.exchanges);
      const count = (v: string): number => exchanges.filter((e) => e.signature === v).length;
      const seconds = (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000;
      process.stdout.write(
        `${exchanges.length} exchanges: ${count("verified")} signatures verified, ${count("failed")} rejected, ${count("unsigned")} unsigned, ${count("no_response")} without answer; ${report.target.kind === "own_sandbox" ? "simulated clock (the settlement step jumps to the next day)" : `${seconds.toFixed(1)} s`}\n`,
      );
      process.stdout.write(`Report: ${files.htmlPath}\n        ${files.jsonPath}\n`);
    }
    return s.isPassing ? 0 : 1;
  } finally {
    await own?.close();
  }
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(
    `Conformance run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return 2;
});
