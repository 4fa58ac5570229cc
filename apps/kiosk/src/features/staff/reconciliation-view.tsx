"use client";
/** Reconciliation: run a Beijing day against Alipay's file, see matched totals and every difference, record how each was resolved. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTRPC } from "../../lib/trpc.tsx";
import { formatDateTime, formatMoney } from "./format.ts";
import { Guard } from "./guard.tsx";
import { ScheduledJobs } from "./scheduled-jobs.tsx";
import { useStaffSession } from "./session.tsx";
import { Badge, Button, Empty, ErrorText, Field, inputClass, Json, ReasonAction, Section, Table } from "./ui.tsx";

function previousDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

export function ReconciliationView() {
  return (
    <Guard capability="viewReconciliation">
      <Reconciliation />
    </Guard>
  );
}

function Reconciliation() {
  const trpc = useTRPC();
  const session = useStaffSession();
  const queryClient = useQueryClient();
  const today = useQuery(trpc.console.today.queryOptions());
  const [day, setDay] = useState("");
  useEffect(() => {
    if (!day && today.data) setDay(previousDay(today.data.day));
  }, [day, today.data]);
  const runs = useQuery(trpc.reconciliation.list.queryOptions({ limit: 30 }));
  const [selected, setSelected] = useState<string | null>(null);
  const run = useMutation(
    trpc.console.runReconciliation.mutationOptions({
      onSuccess: (r) => {
        setSelected(r.id);
        void queryClient.invalidateQueries({ queryKey: trpc.reconciliation.list.queryKey() });
      },
    }),
  );
  const canRun = session.can("runReconciliation");
  return (
    <>
      <Section title="Reconciliation with Alipay">
        <form
          className="mb-3 flex flex-wrap items-end gap-3 rounded border border-slate-300 bg-white p-3"
          onSubmit={(e) => {
            e.preventDefault();
            if (day) run.mutate({ day });
          }}
        >
          <Field label="Day (Beijing time)" hint="A day can be reconciled once it has ended.">
            {(id) => (
              <input
                id={id}
                type="date"
                className={inputClass}
                value={day}
                max={today.data ? previousDay(today.data.day) : undefined}
                onChange={(e) => setDay(e.target.value)}
                required
              />
            )}
          </Field>
          <Button
            type="submit"
            tone="primary"
            disabled={!canRun || run.isPending}
            title={canRun ? undefined : "Needs the supervisor role"}
          >
            {run.isPending ? "Running…" : "Run reconciliation"}
          </Button>
          {!canRun ? <span className="text-sm text-slate-600">Running needs the supervisor role.</span> : null}
        </form>
        <ErrorText error={run.error ?? runs.error} />
        {runs.data && runs.data.length === 0 ? <Empty>No runs yet.</Empty> : null}
        {runs.data && runs.data.length > 0 ? (
          <Table caption="Reconciliation runs, newest first">
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">Started</th>
                <th scope="col">Trigger</th>
                <th scope="col">State</th>
                <th scope="col">Matched</th>
                <th scope="col">Differences</th>
                <th scope="col">
                  <span className="sr-only">Open</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {runs.data.map((r) => (
                <tr key={r.id} className={selected === r.id ? "bg-blue-50" : undefined}>
                  <td>{r.day}</td>
                  <td>{formatDateTime(r.startedAt)}</td>
                  <td>
                    {r.trigger}
                    {r.triggeredBy ? <span className="block font-mono text-xs">{r.triggeredBy}</span> : null}
                  </td>
                  <td>
                    <Badge tone={r.state === "completed" ? "ok" : r.state === "failed" ? "bad" : "warn"}>
                      {r.state}
                    </Badge>
                    {r.error ? <div className="text-xs text-red-800">{r.error}</div> : null}
                  </td>
                  <td>{r.matchedCount}</td>
                  <td>{r.differenceCount > 0 ? <Badge tone="bad">{r.differenceCount}</Badge> : 0}</td>
                  <td>
                    <Button
                      onClick={() => setSelected(r.id)}
                      aria-label={`Open run ${r.day} ${formatDateTime(r.startedAt)}`}
                    >
                      Open
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        ) : null}
      </Section>
      {selected ? <RunDetail runId={selected} /> : null}
      <ScheduledJobs />
    </>
  );
}

function RunDetail({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const session = useStaffSession();
  const queryClient = useQueryClient();
  const run = useQuery(trpc.reconciliation.get.queryOptions({ runId }));
  const resolve = useMutation(
    trpc.console.resolveDifference.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.reconciliation.get.queryKey({ runId }) }),
    }),
  );
  if (run.isPending) return <p role="status">Loading run…</p>;
  if (run.isError) return <ErrorText error={run.error} />;
  const r = run.data;
  const currency = "CNY";
  return (
    <Section title={`Run for ${r.day}`}>
      <div data-testid="reconciliation-run" className="rounded border border-slate-300 bg-white p-3">
        <dl className="mb-3 grid grid-cols-[max-content_1fr] gap-x-4 text-sm">
          <dt className="text-slate-600">State</dt>
          <dd>
            {r.state}
            {r.error ? ` — ${r.error}` : ""}
          </dd>
          <dt className="text-slate-600">Matched</dt>
          <dd data-testid="matched">
            {r.matchedCount} transactions, net {formatMoney(r.matchedTotalMinor, currency)}
          </dd>
          <dt className="text-slate-600">Differences</dt>
          <dd data-testid="difference-count">{r.differenceCount}</dd>
        </dl>
        {r.differences.length === 0 ? (
          <Empty>No differences: the ledger and Alipay agree.</Empty>
        ) : (
          <Table caption="Differences between the ledger and Alipay">
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Transaction</th>
                <th scope="col">Ledger</th>
                <th scope="col">Alipay</th>
                <th scope="col">Details</th>
                <th scope="col">Resolution</th>
              </tr>
            </thead>
            <tbody>
              {r.differences.map((d) => (
                <tr key={d.id} data-testid={`difference-${d.partnerTransId ?? d.id}`}>
                  <td>
                    <Badge tone="bad">{d.kind.replace(/_/g, " ")}</Badge>
                  </td>
                  <td className="font-mono text-xs">
                    {d.partnerTransId ?? "—"}
                    {d.alipayTransId ? <span className="block">{d.alipayTransId}</span> : null}
                  </td>
                  <td>{d.ledgerAmountMinor === null ? "—" : formatMoney(d.ledgerAmountMinor, currency)}</td>
                  <td>{d.gatewayAmountMinor === null ? "—" : formatMoney(d.gatewayAmountMinor, currency)}</td>
                  <td>
                    <Json value={d.details} />
                  </td>
                  <td>
                    {d.resolvedAt ? (
                      <div className="text-sm">
                        <Badge tone="ok">resolved</Badge> {d.resolution}
                        <span className="block text-xs text-slate-600">
                          {d.resolvedBy} · {formatDateTime(d.resolvedAt)}
                        </span>
                      </div>
                    ) : session.can("resolveDifferences") ? (
                      <ReasonAction
                        label="Record resolution"
                        confirmLabel="Save resolution"
                        pending={resolve.isPending}
                        onConfirm={(resolution) => resolve.mutate({ differenceId: d.id, resolution })}
                      />
                    ) : (
                      <span className="text-sm text-slate-600">open</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
        <ErrorText error={resolve.error} />
      </div>
    </Section>
  );
}
