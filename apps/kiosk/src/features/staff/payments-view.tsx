"use client";
/** Transaction search with filters; a row opens the full payment detail. */
import { useQuery } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "../../lib/trpc.tsx";
import { formatDateTime, formatMoney } from "./format.ts";
import { Guard } from "./guard.tsx";
import { PaymentDetail } from "./payment-detail.tsx";
import type { PaymentState } from "./types.ts";
import { Badge, Button, Empty, ErrorText, Field, inputClass, paymentTone, Section, Table } from "./ui.tsx";

const STATES: PaymentState[] = [
  "SENDING",
  "POLLING",
  "CANCELLING",
  "PAID",
  "REFUNDING",
  "PARTIALLY_REFUNDED",
  "REFUNDED",
  "FAILED",
  "CANCELLED",
  "NEEDS_ATTENTION",
];

interface Filters {
  text: string;
  state: PaymentState | "";
  kioskId: string;
  fromDay: string;
  toDay: string;
}

export function PaymentsView() {
  return (
    <Guard capability="viewPayments">
      <Payments />
    </Guard>
  );
}

function Payments() {
  const trpc = useTRPC();
  const router = useRouter();
  const params = useSearchParams();
  const selected = params?.get("id") ?? null; // typed nullable since the app also has a Pages Router page (/kiosk)
  const [draft, setDraft] = useState<Filters>({ text: "", state: "", kioskId: "", fromDay: "", toDay: "" });
  const [filters, setFilters] = useState<Filters>(draft);
  const [cursors, setCursors] = useState<string[]>([]);
  const kiosks = useQuery(trpc.fleet.list.queryOptions(undefined));
  const input = {
    ...(filters.text.trim() ? { text: filters.text.trim() } : {}),
    ...(filters.state ? { states: [filters.state] } : {}),
    ...(filters.kioskId ? { kioskId: filters.kioskId } : {}),
    ...(filters.fromDay ? { fromDay: filters.fromDay } : {}),
    ...(filters.toDay ? { toDay: filters.toDay } : {}),
    ...(cursors.length > 0 ? { cursor: cursors[cursors.length - 1]! } : {}),
    limit: 50,
  };
  const list = useQuery({ ...trpc.console.transactions.queryOptions(input), refetchInterval: 10_000 });
  const open = (id: string | null) =>
    router.replace(id ? `/staff/payments?id=${encodeURIComponent(id)}` : "/staff/payments", { scroll: false });
  return (
    <>
      <Section title="Payments">
        <form
          role="search"
          aria-label="Search payments"
          className="mb-3 flex flex-wrap items-end gap-3 rounded border border-slate-300 bg-white p-3"
          onSubmit={(e) => {
            e.preventDefault();
            setCursors([]);
            setFilters(draft);
          }}
        >
          <Field label="Payment, order or transaction id">
            {(id) => (
              <input
                id={id}
                className={inputClass}
                value={draft.text}
                onChange={(e) => setDraft({ ...draft, text: e.target.value })}
              />
            )}
          </Field>
          <Field label="State">
            {(id) => (
              <select
                id={id}
                className={inputClass}
                value={draft.state}
                onChange={(e) => setDraft({ ...draft, state: e.target.value as PaymentState | "" })}
              >
                <option value="">any</option>
                {STATES.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Kiosk">
            {(id) => (
              <select
                id={id}
                className={inputClass}
                value={draft.kioskId}
                onChange={(e) => setDraft({ ...draft, kioskId: e.target.value })}
              >
                <option value="">any</option>
                {kiosks.data?.map((k) => (
                  <option key={k.id} value={k.id}>
                    {k.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="From (Beijing day)">
            {(id) => (
              <input
                id={id}
                type="date"
                className={inputClass}
                value={draft.fromDay}
                onChange={(e) => setDraft({ ...draft, fromDay: e.target.value })}
              />
            )}
          </Field>
          <Field label="To">
            {(id) => (
              <input
                id={id}
                type="date"
                className={inputClass}
                value={draft.toDay}
                onChange={(e) => setDraft({ ...draft, toDay: e.target.value })}
              />
            )}
          </Field>
          <Button type="submit" tone="primary">
            Search
          </Button>
        </form>
        <ErrorText error={list.error} />
        {list.data && list.data.items.length === 0 ? <Empty>No payments match.</Empty> : null}
        {list.data && list.data.items.length > 0 ? (
          <Table caption="Payments, newest first">
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Payment</th>
                <th scope="col">State</th>
                <th scope="col">Amount</th>
                <th scope="col">Refunded</th>
                <th scope="col">Kiosk</th>
                <th scope="col">Code</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((p) => (
                <tr key={p.id} className={selected === p.id ? "bg-blue-50" : undefined}>
                  <td className="whitespace-nowrap">{formatDateTime(p.createdAt)}</td>
                  <td>
                    <button
                      type="button"
                      className="font-mono text-blue-900 underline"
                      onClick={() => open(p.id)}
                      aria-label={`Open payment ${p.id}`}
                    >
                      {p.id}
                    </button>
                    <div className="font-mono text-xs text-slate-600">{p.partnerTransId}</div>
                  </td>
                  <td>
                    <Badge tone={paymentTone(p.state)}>{p.state}</Badge>
                    {p.attentionReason ? <div className="text-xs text-red-800">{p.attentionReason}</div> : null}
                  </td>
                  <td>{formatMoney(p.amountMinor, p.currency)}</td>
                  <td>{p.refundedMinor > 0 ? formatMoney(p.refundedMinor, p.currency) : "—"}</td>
                  <td className="font-mono text-xs">{p.kioskId ?? p.channel}</td>
                  <td className="font-mono text-xs">{p.paymentCodeMasked}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        ) : null}
        <div className="mt-2 flex gap-2">
          <Button disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
            Newer
          </Button>
          <Button
            disabled={!list.data?.nextCursor}
            onClick={() => list.data?.nextCursor && setCursors((c) => [...c, list.data.nextCursor!])}
          >
            Older
          </Button>
        </div>
      </Section>
      <Bookings />
      {selected ? <PaymentDetail key={selected} paymentId={selected} onClose={() => open(null)} /> : null}
    </>
  );
}

/** Orders booking systems created through the API: they hold places before (or without) a payment, so the list above cannot show them. */
function Bookings() {
  const trpc = useTRPC();
  const [draft, setDraft] = useState("");
  const [text, setText] = useState("");
  const list = useQuery({
    ...trpc.console.bookings.queryOptions({ ...(text ? { text } : {}), limit: 20 }),
    refetchInterval: 10_000,
  });
  return (
    <Section title="Bookings (API)">
      <form
        role="search"
        aria-label="Search bookings"
        className="mb-3 flex flex-wrap items-end gap-3 rounded border border-slate-300 bg-white p-3"
        onSubmit={(e) => {
          e.preventDefault();
          setText(draft.trim());
        }}
      >
        <Field label="Order id or booking reference">
          {(id) => <input id={id} className={inputClass} value={draft} onChange={(e) => setDraft(e.target.value)} />}
        </Field>
        <Button type="submit" tone="primary">
          Search bookings
        </Button>
      </form>
      <ErrorText error={list.error} />
      {list.data && list.data.length === 0 ? <Empty>No bookings match.</Empty> : null}
      {list.data && list.data.length > 0 ? (
        <Table caption="Bookings from booking systems, newest first">
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">Order</th>
              <th scope="col">Reference</th>
              <th scope="col">Booking system</th>
              <th scope="col">State</th>
              <th scope="col">Tickets</th>
              <th scope="col">Total</th>
              <th scope="col">Payments</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((o) => (
              <tr key={o.id}>
                <td className="whitespace-nowrap">{formatDateTime(o.createdAt)}</td>
                <td className="font-mono text-xs">{o.id}</td>
                <td className="font-mono text-xs">{o.externalRef ?? "—"}</td>
                <td>{o.apiClientName ?? "—"}</td>
                <td>
                  <Badge tone={o.state === "paid" ? "ok" : o.state === "pending" ? "warn" : "info"}>{o.state}</Badge>
                </td>
                <td>{o.quantity}</td>
                <td>{formatMoney(o.totalMinor, o.currency)}</td>
                <td>{o.paymentCount}</td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
    </Section>
  );
}
