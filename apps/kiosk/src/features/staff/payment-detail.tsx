"use client";
/** One payment: summary, event log (request/response summaries, never secrets), refunds, tickets; refund and NEEDS_ATTENTION actions by role. */
import { sumMinor } from "@kiosk/alipay-core/money";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../lib/trpc.tsx";
import { formatDateTime, formatMoney, minorToDecimalString, parseMoneyToMinor } from "./format.ts";
import { useStaffSession } from "./session.tsx";
import type { TransactionDetail } from "./types.ts";
import { Badge, Button, ErrorText, Json, paymentTone, ReasonAction, Section, Table, inputClass } from "./ui.tsx";

export function PaymentDetail({ paymentId, onClose }: { paymentId: string; onClose?: () => void }) {
  const trpc = useTRPC();
  const detail = useQuery({
    ...trpc.console.transaction.queryOptions({ paymentId }),
    refetchInterval: (q) =>
      q.state.data && ["SENDING", "POLLING", "CANCELLING", "REFUNDING"].includes(q.state.data.payment.state)
        ? 2000
        : false,
  });
  if (detail.isPending) return <p role="status">Loading payment {paymentId}…</p>;
  if (detail.isError) return <ErrorText error={detail.error} />;
  const d = detail.data;
  const p = d.payment;
  return (
    <article
      aria-label={`Payment ${p.id}`}
      className="rounded border border-slate-300 bg-white p-3"
      data-testid="payment-detail"
    >
      <div className="mb-2 flex flex-wrap items-center justify-between gap-2">
        <h3 className="text-base font-semibold">
          Payment <span className="font-mono">{p.id}</span>{" "}
          <Badge tone={paymentTone(p.state)}>
            <span data-testid="payment-state">{p.state}</span>
          </Badge>
        </h3>
        {onClose ? <Button onClick={onClose}>Close</Button> : null}
      </div>
      <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-0.5 text-sm sm:grid-cols-[max-content_1fr_max-content_1fr]">
        <dt className="text-slate-600">Amount</dt>
        <dd>{formatMoney(p.amountMinor, p.currency)}</dd>
        <dt className="text-slate-600">Refunded</dt>
        <dd data-testid="refunded-amount">{formatMoney(d.order.refundedMinor ?? 0, p.currency)}</dd>
        <dt className="text-slate-600">Partner trans. id</dt>
        <dd className="font-mono">{p.partnerTransId}</dd>
        <dt className="text-slate-600">Alipay trans. id</dt>
        <dd className="font-mono">{p.alipayTransId ?? "—"}</dd>
        {p.walletName ? (
          <>
            <dt className="text-slate-600">Wallet</dt>
            <dd data-testid="payment-wallet">
              {p.walletName}
              {p.paymentMethodType ? <span className="text-slate-500"> ({p.paymentMethodType})</span> : null}
            </dd>
          </>
        ) : null}
        <dt className="text-slate-600">Payment code</dt>
        <dd className="font-mono">{p.paymentCodeMasked}</dd>
        <dt className="text-slate-600">Order</dt>
        <dd className="font-mono">
          {p.orderId} ({d.order.state})
        </dd>
        <dt className="text-slate-600">Kiosk</dt>
        <dd className="font-mono">{d.kioskId ?? "—"}</dd>
        <dt className="text-slate-600">Created / paid</dt>
        <dd>
          {formatDateTime(p.createdAt)} / {formatDateTime(p.paidAt)}
        </dd>
        {p.attentionReason ? (
          <>
            <dt className="text-slate-600">Needs attention</dt>
            <dd className="text-red-800">{p.attentionReason}</dd>
          </>
        ) : null}
        {p.failureReason ? (
          <>
            <dt className="text-slate-600">Failure</dt>
            <dd>{p.failureReason}</dd>
          </>
        ) : null}
      </dl>
      {p.state === "NEEDS_ATTENTION" ? <AttentionActions paymentId={p.id} /> : null}
      <RefundPanel detail={d} />
      <Section title="Order lines and tickets">
        <Table caption="Order lines">
          <thead>
            <tr>
              <th scope="col">Ticket type</th>
              <th scope="col">Qty</th>
              <th scope="col">Line total</th>
            </tr>
          </thead>
          <tbody>
            {d.order.lines.map((l, i) => (
              <tr key={i}>
                <td>{l.ticketTypeName ?? l.ticketTypeId}</td>
                <td>{l.quantity}</td>
                <td>{formatMoney(l.lineTotalMinor, p.currency)}</td>
              </tr>
            ))}
          </tbody>
        </Table>
        {p.tickets.length > 0 ? (
          <div className="mt-2">
            <Table caption="Tickets">
              <thead>
                <tr>
                  <th scope="col">Ticket</th>
                  <th scope="col">Type</th>
                  <th scope="col">State</th>
                  <th scope="col">Printed</th>
                </tr>
              </thead>
              <tbody>
                {p.tickets.map((t) => (
                  <tr key={t.id} data-testid={`ticket-${t.id}`}>
                    <td className="font-mono">{t.id}</td>
                    <td>{t.ticketTypeName}</td>
                    <td>
                      <Badge tone={t.state === "valid" ? "ok" : t.state === "void" ? "bad" : "info"}>{t.state}</Badge>
                    </td>
                    <td>{t.printedAt ? formatDateTime(t.printedAt) : t.printFailedAt ? "print failed" : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </div>
        ) : null}
      </Section>
      {d.refunds.length > 0 ? (
        <Section title="Refunds">
          <Table caption="Refunds of this payment">
            <thead>
              <tr>
                <th scope="col">Refund</th>
                <th scope="col">Amount</th>
                <th scope="col">Reason</th>
                <th scope="col">State</th>
                <th scope="col">Requested</th>
              </tr>
            </thead>
            <tbody>
              {d.refunds.map((r) => (
                <tr key={r.id}>
                  <td className="font-mono">{r.partnerRefundId}</td>
                  <td>{formatMoney(r.amountMinor, p.currency)}</td>
                  <td>{r.reason}</td>
                  <td>
                    {r.state}
                    {r.failureReason ? `: ${r.failureReason}` : ""}
                  </td>
                  <td>{formatDateTime(r.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </Table>
        </Section>
      ) : null}
      <Section title="Event log">
        <Table caption="Every transition of this payment with who caused it and the gateway exchange summarised">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">State</th>
              <th scope="col">Actor</th>
              <th scope="col">Request / response</th>
            </tr>
          </thead>
          <tbody>
            {d.events.map((e) => (
              <tr key={e.id}>
                <td>{e.seq}</td>
                <td className="whitespace-nowrap">{formatDateTime(e.createdAt)}</td>
                <td>{e.type}</td>
                <td className="whitespace-nowrap">
                  {e.fromState ?? "∅"} → {e.toState ?? "∅"}
                </td>
                <td>
                  {e.actorType}
                  {e.actorId ? <span className="block font-mono text-xs">{e.actorId}</span> : null}
                </td>
                <td>
                  <Json value={e.summary} />
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      </Section>
    </article>
  );
}

export function AttentionActions({ paymentId }: { paymentId: string }) {
  const trpc = useTRPC();
  const session = useStaffSession();
  const queryClient = useQueryClient();
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.console.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.payment.needingAttention.queryKey() });
  };
  const query = useMutation(trpc.console.attentionQuery.mutationOptions({ onSuccess: refresh }));
  const cancel = useMutation(trpc.console.attentionCancel.mutationOptions({ onSuccess: refresh }));
  const refund = useMutation(trpc.console.attentionRefund.mutationOptions({ onSuccess: refresh }));
  const resolve = useMutation(trpc.console.resolvePayment.mutationOptions({ onSuccess: refresh }));
  const [to, setTo] = useState<"PAID" | "FAILED" | "CANCELLED" | "REFUNDED">("CANCELLED");
  const allowed = session.can("resolvePayments");
  const disabledReason = "Needs the supervisor role";
  return (
    <div className="my-3 rounded border border-red-300 bg-red-50 p-2" role="group" aria-label="Resolve this payment">
      <p className="mb-2 text-sm font-medium text-red-900">
        This payment needs a person. Ask Alipay first, then cancel or refund; each action is recorded with your name and
        reason.
      </p>
      <div className="flex flex-wrap items-start gap-2">
        <ReasonAction
          label="Query Alipay now"
          disabled={!allowed}
          disabledReason={disabledReason}
          pending={query.isPending}
          onConfirm={(reason) => query.mutate({ paymentId, reason })}
        />
        <ReasonAction
          label="Cancel at Alipay"
          tone="danger"
          disabled={!allowed}
          disabledReason={disabledReason}
          pending={cancel.isPending}
          onConfirm={(reason) => cancel.mutate({ paymentId, reason })}
        />
        <ReasonAction
          label="Refund in full"
          tone="danger"
          disabled={!allowed}
          disabledReason={disabledReason}
          pending={refund.isPending}
          onConfirm={(reason) => refund.mutate({ paymentId, reason })}
        />
        <ReasonAction
          label="Record a decision"
          disabled={!allowed}
          disabledReason={disabledReason}
          pending={resolve.isPending}
          onConfirm={(reason) => resolve.mutate({ paymentId, to, reason })}
        >
          <label className="flex flex-col text-sm">
            <span className="font-medium">Mark as</span>
            <select className={inputClass} value={to} onChange={(e) => setTo(e.target.value as typeof to)}>
              <option value="CANCELLED">cancelled (nothing charged)</option>
              <option value="FAILED">failed</option>
              <option value="PAID">paid (issue tickets)</option>
              <option value="REFUNDED">refunded (outside the system)</option>
            </select>
          </label>
        </ReasonAction>
      </div>
      <div role="status" aria-live="polite" className="mt-2 text-sm">
        {query.data ? (
          <p data-testid="query-answer">
            Alipay answered: <strong>{query.data.answer.status}</strong>
            {query.data.answer.reason ? ` (${query.data.answer.reason})` : ""}
            {query.data.answer.amountMinor !== undefined && query.data.answer.currency
              ? ` — ${formatMoney(query.data.answer.amountMinor, query.data.answer.currency)} paid`
              : ""}
          </p>
        ) : null}
        {cancel.data ? (
          <p data-testid="cancel-answer">
            Cancel: <strong>{cancel.data.answer.status}</strong>
            {cancel.data.answer.reason ? ` (${cancel.data.answer.reason})` : ""}.{" "}
            {cancel.data.isResolved ? `Payment is now ${cancel.data.payment.state}.` : "Still needs attention."}
          </p>
        ) : null}
        {refund.data ? (
          <p>
            Refund {refund.data.refund.state}; payment is {refund.data.paymentState}.
          </p>
        ) : null}
      </div>
      <ErrorText error={query.error ?? cancel.error ?? refund.error ?? resolve.error} />
    </div>
  );
}

function RefundPanel({ detail }: { detail: TransactionDetail }) {
  const trpc = useTRPC();
  const session = useStaffSession();
  const queryClient = useQueryClient();
  const p = detail.payment;
  const [amount, setAmount] = useState("");
  const [ticketIds, setTicketIds] = useState<string[]>([]);
  const refund = useMutation(
    trpc.console.refund.mutationOptions({
      onSuccess: () => {
        setAmount("");
        setTicketIds([]);
        void queryClient.invalidateQueries({ queryKey: trpc.console.pathKey() });
      },
    }),
  );
  if (p.state !== "PAID" && p.state !== "PARTIALLY_REFUNDED") return null;
  const refunded = sumMinor(
    detail.refunds.filter((r) => r.state === "succeeded" || r.state === "pending").map((r) => r.amountMinor),
  );
  const remaining = p.amountMinor - refunded;
  if (!session.can("refund")) {
    return <p className="my-2 text-sm text-slate-600">Refunds need the supervisor role.</p>;
  }
  const minor = amount.trim() === "" ? null : parseMoneyToMinor(amount, p.currency);
  const isAmountBad = amount.trim() !== "" && (minor === null || minor > remaining);
  const validTickets = p.tickets.filter((t) => t.state === "valid");
  return (
    <div className="my-3 rounded border border-slate-300 bg-slate-50 p-2" role="group" aria-label="Refund">
      <p className="mb-1 text-sm font-medium">Refund — up to {formatMoney(remaining, p.currency)} left</p>
      <div className="flex flex-wrap items-end gap-3">
        <label className="flex flex-col text-sm">
          <span className="font-medium">Amount ({p.currency}), empty = everything left</span>
          <input
            className={inputClass}
            inputMode="decimal"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            aria-invalid={isAmountBad}
            placeholder={minorToDecimalString(remaining, p.currency)}
          />
        </label>
        {validTickets.length > 0 ? (
          <fieldset className="text-sm">
            <legend className="font-medium">Void these tickets (partial refund)</legend>
            <div className="flex flex-wrap gap-2">
              {validTickets.map((t) => (
                <label key={t.id} className="inline-flex items-center gap-1">
                  <input
                    type="checkbox"
                    checked={ticketIds.includes(t.id)}
                    onChange={(e) =>
                      setTicketIds((s) => (e.target.checked ? [...s, t.id] : s.filter((x) => x !== t.id)))
                    }
                  />
                  <span>
                    {t.ticketTypeName} <span className="font-mono text-xs">{t.id.slice(-6)}</span>
                  </span>
                </label>
              ))}
            </div>
          </fieldset>
        ) : null}
        <ReasonAction
          label={minor !== null && minor < remaining ? "Refund partially" : "Refund"}
          tone="danger"
          disabled={isAmountBad || remaining <= 0}
          disabledReason="Enter an amount up to what is left"
          pending={refund.isPending}
          onConfirm={(reason) =>
            refund.mutate({
              paymentId: p.id,
              reason,
              ...(minor !== null ? { amountMinor: minor } : {}),
              ...(ticketIds.length > 0 ? { ticketIds } : {}),
            })
          }
        />
      </div>
      {isAmountBad ? (
        <p className="text-sm text-red-800" role="alert">
          Enter an amount of at most {formatMoney(remaining, p.currency)}.
        </p>
      ) : null}
      {refund.data ? (
        <p role="status" className="text-sm">
          Refund {refund.data.refund.state}; payment is {refund.data.paymentState}.
        </p>
      ) : null}
      <ErrorText error={refund.error} />
    </div>
  );
}
