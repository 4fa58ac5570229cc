"use client";
/** Every staff action, newest first, filterable by actor, action and target. */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../lib/trpc.tsx";
import { formatDateTime } from "./format.ts";
import { Guard } from "./guard.tsx";
import type { RouterInputs } from "./types.ts";
import { Button, Empty, ErrorText, Field, inputClass, Json, Section, Table } from "./ui.tsx";

type AuditInput = NonNullable<RouterInputs["staff"]["auditLog"]>;
const ACTOR_TYPES = ["staff", "kiosk", "api_client", "system"] as const;

export function AuditView() {
  return (
    <Guard capability="viewAudit">
      <Audit />
    </Guard>
  );
}

function Audit() {
  const trpc = useTRPC();
  const [draft, setDraft] = useState({ actorType: "", actorId: "", action: "", targetId: "", since: "" });
  const [filters, setFilters] = useState(draft);
  const [pages, setPages] = useState<number[]>([]);
  const users = useQuery(trpc.staff.listUsers.queryOptions());
  const input: AuditInput = {
    limit: 100,
    ...(filters.actorType ? { actorType: filters.actorType as (typeof ACTOR_TYPES)[number] } : {}),
    ...(filters.actorId.trim() ? { actorId: filters.actorId.trim() } : {}),
    ...(filters.action.trim() ? { action: filters.action.trim() } : {}),
    ...(filters.targetId.trim() ? { targetId: filters.targetId.trim() } : {}),
    ...(filters.since ? { since: new Date(`${filters.since}T00:00:00`) } : {}),
    ...(pages.length > 0 ? { beforeId: pages[pages.length - 1]! } : {}),
  };
  const log = useQuery({
    ...trpc.staff.auditLog.queryOptions(input),
    refetchInterval: pages.length === 0 ? 10_000 : false,
  });
  const name = new Map((users.data ?? []).map((u) => [u.id, u.email]));
  return (
    <Section title="Audit log">
      <form
        role="search"
        aria-label="Filter the audit log"
        className="mb-3 flex flex-wrap items-end gap-3 rounded border border-slate-300 bg-white p-3"
        onSubmit={(e) => {
          e.preventDefault();
          setPages([]);
          setFilters(draft);
        }}
      >
        <Field label="Actor type">
          {(id) => (
            <select
              id={id}
              className={inputClass}
              value={draft.actorType}
              onChange={(e) => setDraft({ ...draft, actorType: e.target.value })}
            >
              <option value="">any</option>
              {ACTOR_TYPES.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Staff member">
          {(id) => (
            <select
              id={id}
              className={inputClass}
              value={draft.actorId}
              onChange={(e) => setDraft({ ...draft, actorId: e.target.value })}
            >
              <option value="">anyone</option>
              {users.data?.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.email}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Action" hint='Exact, or a prefix ending in "." (e.g. "payment.")'>
          {(id) => (
            <input
              id={id}
              className={inputClass}
              value={draft.action}
              onChange={(e) => setDraft({ ...draft, action: e.target.value })}
            />
          )}
        </Field>
        <Field label="Target id">
          {(id) => (
            <input
              id={id}
              className={inputClass}
              value={draft.targetId}
              onChange={(e) => setDraft({ ...draft, targetId: e.target.value })}
            />
          )}
        </Field>
        <Field label="Since">
          {(id) => (
            <input
              id={id}
              type="date"
              className={inputClass}
              value={draft.since}
              onChange={(e) => setDraft({ ...draft, since: e.target.value })}
            />
          )}
        </Field>
        <Button type="submit" tone="primary">
          Filter
        </Button>
      </form>
      <ErrorText error={log.error} />
      {log.data && log.data.entries.length === 0 ? <Empty>No entries match.</Empty> : null}
      {log.data && log.data.entries.length > 0 ? (
        <Table caption="Audit log entries, newest first">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Reason</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {log.data.entries.map((e) => (
              <tr key={e.id}>
                <td className="whitespace-nowrap">{formatDateTime(e.createdAt)}</td>
                <td>
                  {e.actorType}
                  <span className="block font-mono text-xs">
                    {(e.actorId && name.get(e.actorId)) ?? e.actorId ?? ""}
                  </span>
                </td>
                <td className="font-mono text-xs">{e.action}</td>
                <td className="font-mono text-xs">{e.targetType ? `${e.targetType}:${e.targetId ?? ""}` : "—"}</td>
                <td>{e.reason ?? ""}</td>
                <td>
                  <Json value={e.details} />
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
      <div className="mt-2 flex gap-2">
        <Button disabled={pages.length === 0} onClick={() => setPages((p) => p.slice(0, -1))}>
          Newer
        </Button>
        <Button
          disabled={!log.data?.nextBeforeId}
          onClick={() => log.data?.nextBeforeId && setPages((p) => [...p, log.data.nextBeforeId!])}
        >
          Older
        </Button>
      </div>
    </Section>
  );
}
