"use client";
/** Scheduled work of the whole fleet (one instance per period): each job's last run and outcome. */
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../lib/trpc.tsx";
import { formatDateTime } from "./format.ts";
import { Badge, Empty, ErrorText, Json, Section, Table } from "./ui.tsx";

const TONE = { ok: "ok", error: "bad", running: "warn" } as const;

export function ScheduledJobs() {
  const trpc = useTRPC();
  const jobs = useQuery({ ...trpc.fleet.scheduledJobs.queryOptions(), refetchInterval: 30_000 });
  return (
    <Section title="Scheduled jobs">
      {jobs.error ? <ErrorText error={jobs.error} /> : null}
      {jobs.data && jobs.data.length === 0 ? <Empty>No scheduled job has run yet.</Empty> : null}
      {jobs.data && jobs.data.length > 0 ? (
        <Table caption="Last run of each scheduled job">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Period</th>
              <th scope="col">Last run</th>
              <th scope="col">Outcome</th>
              <th scope="col">Instance</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {jobs.data.map((j) => (
              <tr key={j.job}>
                <td>{j.job.replace(/_/g, " ")}</td>
                <td>{j.period}</td>
                <td>{formatDateTime(j.startedAt)}</td>
                <td>
                  <Badge tone={TONE[j.outcome]}>{j.outcome}</Badge>
                </td>
                <td>{j.owner}</td>
                <td>
                  <Json value={j.details} />
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
    </Section>
  );
}
