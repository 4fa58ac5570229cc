"use client";
/** Ticket lookup by code, ticket id, order or payment; reprint through a kiosk's printer. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "../../lib/trpc.tsx";
import { formatDateTime, formatMoney } from "./format.ts";
import { Guard } from "./guard.tsx";
import { Badge, Button, Empty, ErrorText, Field, inputClass, ReasonAction, Section, Table } from "./ui.tsx";

export function TicketsView() {
  return (
    <Guard capability="lookupTickets">
      <Tickets />
    </Guard>
  );
}

function Tickets() {
  const trpc = useTRPC();
  const [draft, setDraft] = useState("");
  const [query, setQuery] = useState("");
  const found = useQuery({ ...trpc.console.findTickets.queryOptions({ query }), enabled: query.length >= 3 });
  const fleet = useQuery(trpc.fleet.list.queryOptions(undefined));
  const reprints = useQuery({ ...trpc.console.reprints.queryOptions(), refetchInterval: 5000 });
  return (
    <>
      <Section title="Find tickets">
        <form
          role="search"
          aria-label="Find tickets"
          className="mb-3 flex flex-wrap items-end gap-3 rounded border border-slate-300 bg-white p-3"
          onSubmit={(e) => {
            e.preventDefault();
            setQuery(draft.trim());
          }}
        >
          <Field label="Ticket code, ticket id, order id or payment id">
            {(id) => (
              <input
                id={id}
                className={`${inputClass} w-96`}
                value={draft}
                onChange={(e) => setDraft(e.target.value)}
                minLength={3}
                required
              />
            )}
          </Field>
          <Button type="submit" tone="primary">
            Find
          </Button>
        </form>
        <ErrorText error={found.error} />
        {found.data && found.data.tickets.length === 0 ? <Empty>No tickets found for “{query}”.</Empty> : null}
        {found.data && found.data.tickets.length > 0 ? (
          <>
            <p className="mb-2 text-sm">
              Order <span className="font-mono">{found.data.orderId}</span>
              {found.data.payments.map((p) => (
                <span key={p.id}>
                  {" · payment "}
                  <Link
                    className="font-mono text-blue-900 underline"
                    href={`/staff/payments?id=${encodeURIComponent(p.id)}`}
                  >
                    {p.id}
                  </Link>{" "}
                  {p.state} {formatMoney(p.amountMinor, p.currency)}
                </span>
              ))}
            </p>
            <Table caption="Tickets of the order">
              <thead>
                <tr>
                  <th scope="col">Ticket</th>
                  <th scope="col">Type</th>
                  <th scope="col">Valid</th>
                  <th scope="col">State</th>
                  <th scope="col">Printed</th>
                  <th scope="col">Reprint</th>
                </tr>
              </thead>
              <tbody>
                {found.data.tickets.map((t) => (
                  <tr key={t.id} data-testid={`ticket-row-${t.id}`}>
                    <td className="font-mono text-xs">
                      {t.id}
                      <span className="block max-w-xs truncate text-slate-500" title={t.code}>
                        {t.code}
                      </span>
                    </td>
                    <td>{t.ticketTypeName}</td>
                    <td className="text-xs">
                      {formatDateTime(t.validFrom)} – {formatDateTime(t.validUntil)}
                    </td>
                    <td>
                      <Badge tone={t.state === "valid" ? "ok" : t.state === "void" ? "bad" : "info"}>{t.state}</Badge>
                      {t.redeemedAt ? <span className="block text-xs">{formatDateTime(t.redeemedAt)}</span> : null}
                    </td>
                    <td className="text-xs">
                      {t.printedAt ? (
                        formatDateTime(t.printedAt)
                      ) : t.printFailedAt ? (
                        <Badge tone="bad">print failed</Badge>
                      ) : (
                        "—"
                      )}
                    </td>
                    <td>
                      {t.state === "void" ? (
                        "—"
                      ) : (
                        <Reprint ticketId={t.id} defaultKioskId={found.data.kioskId} kiosks={fleet.data ?? []} />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </>
        ) : null}
      </Section>
      <Section title="Reprint requests (24 h)">
        {reprints.data && reprints.data.length === 0 ? <Empty>No reprints requested.</Empty> : null}
        {reprints.data && reprints.data.length > 0 ? (
          <Table caption="Reprint requests and what the kiosk reported">
            <thead>
              <tr>
                <th scope="col">Requested</th>
                <th scope="col">Ticket</th>
                <th scope="col">Kiosk</th>
                <th scope="col">Reason</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {reprints.data.map((r) => (
                <tr key={r.requestId}>
                  <td>
                    {formatDateTime(r.requestedAt)}
                    <span className="block font-mono text-xs">{r.requestedBy}</span>
                  </td>
                  <td className="font-mono text-xs">{r.ticketId}</td>
                  <td className="font-mono text-xs">{r.kioskId}</td>
                  <td>{r.reason}</td>
                  <td>
                    <Badge tone={r.outcome === "printed" ? "ok" : r.outcome === "failed" ? "bad" : "warn"}>
                      {r.outcome}
                    </Badge>
                    {r.error ? <span className="block text-xs">{r.error}</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
        ) : null}
      </Section>
    </>
  );
}

function Reprint({
  ticketId,
  defaultKioskId,
  kiosks,
}: {
  ticketId: string;
  defaultKioskId: string | null;
  kiosks: { id: string; name: string; isOnline: boolean }[];
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [kioskId, setKioskId] = useState(defaultKioskId ?? kiosks[0]?.id ?? "");
  const reprint = useMutation(
    trpc.console.requestReprint.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.console.reprints.queryKey() }),
    }),
  );
  return (
    <div>
      <ReasonAction
        label="Reprint"
        confirmLabel="Send to kiosk"
        pending={reprint.isPending}
        onConfirm={(reason) => reprint.mutate({ ticketId, kioskId, reason })}
      >
        <label className="flex flex-col text-sm">
          <span className="font-medium">Kiosk printer</span>
          <select className={inputClass} value={kioskId} onChange={(e) => setKioskId(e.target.value)}>
            {kiosks.map((k) => (
              <option key={k.id} value={k.id}>
                {k.name}
                {k.isOnline ? "" : " (offline)"}
              </option>
            ))}
          </select>
        </label>
      </ReasonAction>
      {reprint.data ? (
        <p role="status" className="text-xs">
          Sent to {reprint.data.kioskId}; waiting for the kiosk.
        </p>
      ) : null}
      <ErrorText error={reprint.error} />
    </div>
  );
}
