"use client";
/**
 * Alipay conformance, for admins: runs the protocol scenarios against this server's
 * configured gateway (through the server's own money code, on a throwaway database), shows
 * each step as it finishes, then the report with every request and response, and offers
 * the HTML and JSON reports for download. The CLI (`npm run conformance`) writes the same.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../lib/trpc.tsx";
import { downloadText } from "./format.ts";
import { Guard } from "./guard.tsx";
import { Badge, Button, ErrorText, Section, Table } from "./ui.tsx";

type StepStatus = "pending" | "running" | "passed" | "failed" | "skipped";

const TONE: Record<StepStatus, "ok" | "bad" | "info" | "warn"> = {
  passed: "ok",
  failed: "bad",
  skipped: "info",
  pending: "info",
  running: "warn",
};

export function ConformanceView() {
  return (
    <Guard capability="runConformance">
      <Conformance />
    </Guard>
  );
}

function Conformance() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const latest = useQuery({
    ...trpc.conformance.latest.queryOptions(),
    refetchInterval: (q) => (q.state.data?.status === "running" ? 1_000 : false),
  });
  const start = useMutation(
    trpc.conformance.start.mutationOptions({
      onSuccess: () =>
        void queryClient.invalidateQueries({
          queryKey: trpc.conformance.latest.queryKey(),
        }),
    }),
  );
  const run = latest.data;
  const isRunning = run?.status === "running";
  const report = useQuery({
    ...trpc.conformance.report.queryOptions({ runId: run?.runId ?? "" }),
    enabled: run?.status === "finished",
  });
  const downloadHtml = async (runId: string): Promise<void> => {
    const r = await queryClient.fetchQuery(trpc.conformance.reportHtml.queryOptions({ runId }));
    downloadText(r.fileName, r.html, "text/html;charset=utf-8");
  };

  return (
    <Section title="Alipay conformance">
      <p className="mb-3 max-w-3xl text-sm">
        Runs the protocol scenarios (pay, PIN wait, UNKNOW, SYSTEM_ERROR, time-out and cancel, cancel retries, refunds,
        a tampered answer, the settlement file, notifications that do not prove a payment, a refund confirmed by query,
        a charge landing after a cancel) against this server&apos;s configured gateway, through the server&apos;s own
        payment code and payment schedule on a throwaway database: real sales are not touched. A run takes a few
        minutes. On any gateway but the kiosk&apos;s sandbox, steps that need its operator switch or a merchant test
        code are skipped; run <code>npm run conformance -- --target configured --code STEP=CODE</code> on the server for
        those.
      </p>
      <div className="mb-3 flex flex-wrap items-center gap-3">
        <Button tone="primary" disabled={isRunning || start.isPending} onClick={() => start.mutate()}>
          {isRunning ? "Running…" : "Run conformance"}
        </Button>
        {run?.status === "finished" ? (
          <>
            <Button
              onClick={() =>
                report.data &&
                downloadText(`${run.runId}.json`, `${JSON.stringify(report.data, null, 2)}\n`, "application/json")
              }
              disabled={!report.data}
            >
              Download JSON
            </Button>
            <Button onClick={() => void downloadHtml(run.runId)}>Download HTML</Button>
          </>
        ) : null}
      </div>
      <ErrorText error={latest.error ?? start.error ?? report.error} />
      {run ? (
        <div data-testid="conformance-run" data-status={run.status}>
          <p role="status" className="mb-2 text-sm" data-testid="conformance-summary">
            Run <code>{run.runId}</code>:{" "}
            {run.status === "running"
              ? `${run.steps.filter((s) => s.status !== "pending" && s.status !== "running").length} of ${run.steps.length || "…"} steps done`
              : run.summary
                ? `${run.summary.isPassing ? "passing" : "failing"}: ${run.summary.passed} passed, ${run.summary.failed} failed, ${run.summary.skipped} skipped`
                : `ended without a report: ${run.error ?? "unknown error"}`}
          </p>
          <Table caption="Conformance steps">
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Result</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {run.steps.map((s) => (
                <tr key={s.id} data-step={s.id} data-status={s.status}>
                  <td>{s.title}</td>
                  <td>
                    <Badge tone={TONE[s.status]}>{s.status}</Badge>
                  </td>
                  <td className="text-xs">{s.reason ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        </div>
      ) : (
        <p className="text-sm text-slate-600">No run in this server process yet.</p>
      )}
      {report.data ? (
        <div className="mt-4">
          <h3 className="mb-2 font-semibold">Requests and responses</h3>
          {report.data.steps.map((step) => (
            <details
              key={step.id}
              className="mb-2 rounded border border-slate-300 bg-white p-2"
              data-report-step={step.id}
            >
              <summary className="cursor-pointer text-sm">
                <Badge tone={TONE[step.status]}>{step.status}</Badge> {step.title} · {step.exchanges.length} exchange(s)
              </summary>
              <ul className="mt-2 text-sm">
                {step.checks.map((c) => (
                  <li key={c.name}>
                    {c.ok ? "✔" : "✘"} {c.name}: {c.detail}
                  </li>
                ))}
              </ul>
              {step.exchanges.map((e) => (
                <details key={e.seq} className="mt-2 ml-4">
                  <summary className="cursor-pointer text-xs">
                    #{e.seq} {e.operation} <code>{e.apiName}</code> → {e.outcome}
                    {e.reason ? ` (${e.reason})` : ""} · signature {e.signature}
                  </summary>
                  <p className="text-xs">
                    {e.request.method} {e.request.url}
                  </p>
                  <pre className="mt-1 max-h-64 overflow-auto rounded bg-slate-100 p-2 text-xs whitespace-pre-wrap break-all">
                    {e.request.body}
                  </pre>
                  <pre className="mt-1 max-h-64 overflow-auto rounded bg-slate-100 p-2 text-xs whitespace-pre-wrap break-all">
                    {e.response
                      ? `HTTP ${e.response.status}\n${e.response.body}`
                      : `no response${e.transportError ? `: ${e.transportError}` : ""}`}
                  </pre>
                </details>
              ))}
            </details>
          ))}
        </div>
      ) : null}
    </Section>
  );
}
