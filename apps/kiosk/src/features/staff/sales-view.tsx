"use client";
/** Sales for today or a chosen period: by ticket type, kiosk and hour, as SVG charts with tables; CSV export in the browser. */
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTRPC } from "../../lib/trpc.tsx";
import { ColumnChart, HorizontalBars } from "./charts.tsx";
import { downloadText, formatMoney, minorToDecimalString, toCsv } from "./format.ts";
import { Guard } from "./guard.tsx";
import type { SalesReport } from "./types.ts";
import { Button, ErrorText, Field, inputClass, Section, Table } from "./ui.tsx";

export function salesCsv(r: SalesReport): string {
  const rows: (string | number)[][] = [];
  const money = (m: number) => minorToDecimalString(m, r.currency === "MIXED" ? "CNY" : r.currency);
  rows.push(["total", "all", r.orders, r.tickets, money(r.totalMinor), r.currency]);
  rows.push(["refunds", "all", "", "", money(-r.refundedMinor), r.currency]);
  for (const t of r.byType) rows.push(["ticket_type", t.name, "", t.tickets, money(t.amountMinor), r.currency]);
  for (const k of r.byKiosk) rows.push(["kiosk", k.name, k.orders, "", money(k.amountMinor), r.currency]);
  for (const h of r.byHour)
    rows.push(["hour", `${String(h.hour).padStart(2, "0")}:00`, h.orders, "", money(h.amountMinor), r.currency]);
  for (const d of r.byDay) rows.push(["day", d.day, d.orders, "", money(d.amountMinor), r.currency]);
  return toCsv(["dimension", "key", "orders", "tickets", "amount", "currency"], rows);
}

export function SalesView() {
  return (
    <Guard capability="viewSales">
      <Sales />
    </Guard>
  );
}

function Sales() {
  const trpc = useTRPC();
  const today = useQuery(trpc.console.today.queryOptions());
  const [draft, setDraft] = useState({ fromDay: "", toDay: "" });
  const [period, setPeriod] = useState<{ fromDay: string; toDay: string } | null>(null);
  useEffect(() => {
    if (!period && today.data) {
      setPeriod({ fromDay: today.data.day, toDay: today.data.day });
      setDraft({ fromDay: today.data.day, toDay: today.data.day });
    }
  }, [period, today.data]);
  const report = useQuery({
    ...trpc.console.sales.queryOptions(period ?? { fromDay: "2000-01-01", toDay: "2000-01-01" }),
    enabled: period !== null,
    refetchInterval: 30_000,
  });
  const r = report.data;
  const cur = r?.currency ?? "CNY";
  const fmt = (m: number) => formatMoney(m, cur);
  return (
    <Section
      title={
        period && today.data && period.fromDay === today.data.day && period.toDay === today.data.day
          ? "Sales today"
          : "Sales"
      }
      actions={
        <Button disabled={!r} onClick={() => r && downloadText(`sales_${r.fromDay}_${r.toDay}.csv`, salesCsv(r))}>
          Export CSV
        </Button>
      }
    >
      <form
        className="mb-3 flex flex-wrap items-end gap-3 rounded border border-slate-300 bg-white p-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (draft.fromDay && draft.toDay) setPeriod({ ...draft });
        }}
      >
        <Field label="From (Beijing day)">
          {(id) => (
            <input
              id={id}
              type="date"
              required
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
              required
              className={inputClass}
              value={draft.toDay}
              onChange={(e) => setDraft({ ...draft, toDay: e.target.value })}
            />
          )}
        </Field>
        <Button type="submit" tone="primary">
          Show
        </Button>
        {today.data ? (
          <Button
            onClick={() => {
              setDraft({ fromDay: today.data.day, toDay: today.data.day });
              setPeriod({ fromDay: today.data.day, toDay: today.data.day });
            }}
          >
            Today
          </Button>
        ) : null}
      </form>
      <ErrorText error={report.error} />
      {r ? (
        <div className="flex flex-col gap-4">
          <dl className="grid grid-cols-2 gap-2 text-sm sm:grid-cols-5" data-testid="sales-totals">
            {[
              ["Orders", String(r.orders)],
              ["Tickets", String(r.tickets)],
              ["Sales", fmt(r.totalMinor)],
              ["Refunds", fmt(r.refundedMinor)],
              ["Net", fmt(r.netMinor)],
            ].map(([k, v]) => (
              <div key={k} className="rounded border border-slate-300 bg-white p-2">
                <dt className="text-slate-600">{k}</dt>
                <dd className="text-lg font-semibold">{v}</dd>
              </div>
            ))}
          </dl>
          <div className="grid gap-4 lg:grid-cols-2">
            <div className="rounded border border-slate-300 bg-white p-3">
              <h3 className="mb-1 font-medium">By ticket type</h3>
              <HorizontalBars
                title="Sales by ticket type"
                bars={r.byType.map((t) => ({
                  label: t.name,
                  value: t.amountMinor,
                  display: `${fmt(t.amountMinor)} (${t.tickets})`,
                }))}
              />
              <Table caption="Sales by ticket type">
                <thead>
                  <tr>
                    <th scope="col">Ticket type</th>
                    <th scope="col">Tickets</th>
                    <th scope="col">Amount</th>
                  </tr>
                </thead>
                <tbody>
                  {r.byType.map((t) => (
                    <tr key={t.ticketTypeId}>
                      <td>{t.name}</td>
                      <td>{t.tickets}</td>
                      <td>{fmt(t.amountMinor)}</td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            </div>
            <div className="rounded border border-slate-300 bg-white p-3">
              <h3 className="mb-1 font-medium">By kiosk</h3>
              <HorizontalBars
                title="Sales by kiosk"
                bars={r.byKiosk.map((k) => ({
                  label: k.name,
                  value: k.amountMinor,
                  display: `${fmt(k.amountMinor)} (${k.orders})`,
                }))}
              />
              <Table caption="Sales by kiosk">
                <thead>
                  <tr>
                    <th scope="col">Kiosk</th>
                    <th scope="col">Orders</th>
                    <th scope="col">Amount</th>
                  </tr>
                </thead>
                <tbody>
                  {r.byKiosk.map((k) => (
                    <tr key={k.name}>
                      <td>{k.name}</td>
                      <td>{k.orders}</td>
                      <td>{fmt(k.amountMinor)}</td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            </div>
          </div>
          <div className="rounded border border-slate-300 bg-white p-3">
            <h3 className="mb-1 font-medium">By hour of day ({r.zone})</h3>
            <ColumnChart
              title="Sales by hour"
              bars={r.byHour.map((h) => ({
                label: String(h.hour).padStart(2, "0"),
                value: h.amountMinor,
                display: `${fmt(h.amountMinor)} (${h.orders})`,
              }))}
            />
          </div>
          {r.byDay.length > 1 ? (
            <div className="rounded border border-slate-300 bg-white p-3">
              <h3 className="mb-1 font-medium">By day</h3>
              <ColumnChart
                title="Sales by day"
                bars={r.byDay.map((d) => ({
                  label: d.day.slice(5),
                  value: d.amountMinor,
                  display: fmt(d.amountMinor),
                }))}
              />
            </div>
          ) : null}
        </div>
      ) : (
        <p role="status">Loading sales…</p>
      )}
    </Section>
  );
}
