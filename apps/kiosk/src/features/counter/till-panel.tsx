"use client";
/** The till: the open shift's running totals, its close (ledger against the gateway), and past shifts. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { inferRouterOutputs } from "@trpc/server";
import { useTRPC } from "../../lib/trpc.tsx";
import type { AppRouter } from "@kiosk/api/trpc/root.ts";
import { BridgeTokenAction } from "../staff/fleet-view.tsx";
import { formatDateTime, formatMoney } from "../staff/format.ts";
import { useStaffSession } from "../staff/session.tsx";
import { Badge, Button, Empty, ErrorText, inputClass, Table } from "../staff/ui.tsx";

export type ShiftView = NonNullable<inferRouterOutputs<AppRouter>["counter"]["myShift"]>;

export function ShiftTotalsList({ shift }: { shift: ShiftView }) {
  const t = shift.totals;
  const money = (m: number) => formatMoney(m, shift.currency);
  const rows: [string, string, string][] = [
    ["Sales", `${t.salesCount} · ${money(t.salesTotalMinor)}`, "sales"],
    ["Refunds", `${t.refundsCount} · ${money(t.refundsTotalMinor)}`, "refunds"],
    ["Cancelled payments", String(t.cancellationsCount), "cancellations"],
    ["Declined payments", String(t.failedCount), "failed"],
    ["Net (our ledger)", money(t.netTotalMinor), "net"],
  ];
  if (shift.gatewayNetMinor !== null) rows.push(["Net (Alipay)", money(shift.gatewayNetMinor), "gateway-net"]);
  return (
    <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-0.5 text-sm" data-testid="shift-totals">
      {rows.map(([label, value, id]) => (
        <div key={id} className="contents">
          <dt className="text-slate-600">{label}</dt>
          <dd className="font-medium tabular-nums" data-testid={`total-${id}`}>
            {value}
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function ShiftReport({ shift }: { shift: ShiftView }) {
  const isMatched = shift.differences.length === 0;
  return (
    <div className="grid gap-2" data-testid="shift-report" data-differences={shift.differences.length}>
      <p className="text-sm">
        {shift.counter.name} · {shift.staffName} · {formatDateTime(shift.openedAt)} – {formatDateTime(shift.closedAt)}{" "}
        {isMatched ? (
          <Badge tone="ok">matches Alipay</Badge>
        ) : (
          <Badge tone="bad">{shift.differences.length} difference(s)</Badge>
        )}
      </p>
      <ShiftTotalsList shift={shift} />
      {shift.closeNote ? <p className="text-sm">Note: {shift.closeNote}</p> : null}
      {!isMatched ? (
        <Table caption="Differences between our ledger and Alipay">
          <thead>
            <tr>
              <th>Kind</th>
              <th>Transaction</th>
              <th>Our state</th>
              <th>Our amount</th>
              <th>Alipay</th>
              <th>Alipay amount</th>
            </tr>
          </thead>
          <tbody>
            {shift.differences.map((d) => (
              <tr key={d.paymentId}>
                <td>{d.kind}</td>
                <td className="font-mono text-xs">{d.partnerTransId}</td>
                <td>{d.ledgerState}</td>
                <td className="tabular-nums">{formatMoney(d.ledgerAmountMinor, shift.currency)}</td>
                <td>{d.gatewayStatus}</td>
                <td className="tabular-nums">
                  {d.gatewayAmountMinor === null ? "—" : formatMoney(d.gatewayAmountMinor, shift.currency)}
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      ) : null}
    </div>
  );
}

export function CloseShift({ shift, onClosed }: { shift: ShiftView; onClosed: (s: ShiftView) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [note, setNote] = useState("");
  const close = useMutation(
    trpc.counter.closeShift.mutationOptions({
      onSuccess: (s) => {
        onClosed(s);
        void queryClient.invalidateQueries({ queryKey: trpc.counter.pathKey() });
      },
    }),
  );
  return (
    <form
      className="flex flex-wrap items-end gap-2"
      aria-label="Close shift"
      onSubmit={(e) => {
        e.preventDefault();
        close.mutate({ shiftId: shift.id, ...(note.trim() ? { note: note.trim() } : {}) });
      }}
    >
      <label className="flex flex-col text-sm">
        <span className="font-medium">Closing note (optional)</span>
        <input className={inputClass} value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} />
      </label>
      <Button type="submit" tone="danger" disabled={close.isPending}>
        {close.isPending ? "Checking with Alipay…" : "Close shift"}
      </Button>
      <ErrorText error={close.error} />
    </form>
  );
}

export function ShiftHistory({ isEveryone }: { isEveryone: boolean }) {
  const trpc = useTRPC();
  const shifts = useQuery({ ...trpc.counter.shifts.queryOptions({ limit: 20 }), refetchInterval: 15_000 });
  const [openId, setOpenId] = useState<string | null>(null);
  if (!shifts.data) return <ErrorText error={shifts.error} />;
  if (shifts.data.length === 0) return <Empty>No shifts yet.</Empty>;
  const shown = shifts.data.find((s) => s.id === openId);
  return (
    <div className="grid gap-2">
      <Table caption={isEveryone ? "Everyone's shifts" : "Your shifts"}>
        <thead>
          <tr>
            <th>Counter</th>
            {isEveryone ? <th>Cashier</th> : null}
            <th>Opened</th>
            <th>Closed</th>
            <th>Sales</th>
            <th>Refunds</th>
            <th>Cancelled</th>
            <th>Net</th>
            <th>Alipay</th>
            <th>
              <span className="sr-only">Details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {shifts.data.map((s) => (
            <tr key={s.id} data-testid="shift-row" data-state={s.state}>
              <td>{s.counter.name}</td>
              {isEveryone ? <td>{s.staffName}</td> : null}
              <td>{formatDateTime(s.openedAt)}</td>
              <td>{s.closedAt ? formatDateTime(s.closedAt) : <Badge tone="warn">{s.state}</Badge>}</td>
              <td className="tabular-nums">{s.totals.salesCount}</td>
              <td className="tabular-nums">{s.totals.refundsCount}</td>
              <td className="tabular-nums">{s.totals.cancellationsCount}</td>
              <td className="tabular-nums">{formatMoney(s.totals.netTotalMinor, s.currency)}</td>
              <td>
                {s.state !== "closed" ? (
                  "—"
                ) : s.differences.length === 0 ? (
                  <Badge tone="ok">matches</Badge>
                ) : (
                  <Badge tone="bad">{s.differences.length} diff.</Badge>
                )}
              </td>
              <td>
                {s.state === "closed" ? (
                  <Button onClick={() => setOpenId(openId === s.id ? null : s.id)}>
                    {openId === s.id ? "Hide" : "Details"}
                  </Button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </Table>
      {shown ? <ShiftReport shift={shown} /> : null}
    </div>
  );
}

export function OpenShift() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const counters = useQuery(trpc.counter.list.queryOptions());
  const canRotate = useStaffSession().can("rotateBridgeTokens");
  const open = useMutation(
    trpc.counter.openShift.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.counter.pathKey() }),
    }),
  );
  if (!counters.data) return <ErrorText error={counters.error} />;
  if (counters.data.length === 0) return <Empty>No counters are set up. A supervisor adds one (counter.create).</Empty>;
  return (
    <div className="grid gap-2">
      <p className="text-sm">
        Open a shift at the counter you sell from. Every sale until you close it is counted in its till.
      </p>
      <ul className="flex flex-wrap gap-2">
        {counters.data.map((c) => (
          <li key={c.id}>
            <Button tone="primary" disabled={open.isPending} onClick={() => open.mutate({ counterId: c.id })}>
              Open shift at {c.name}
            </Button>
            {c.location ? <span className="ml-1 text-xs text-slate-600">{c.location}</span> : null}
            {canRotate ? (
              <div className="mt-1">
                <BridgeTokenAction device="counter" id={c.id} />
              </div>
            ) : null}
          </li>
        ))}
      </ul>
      <ErrorText error={open.error} />
    </div>
  );
}
