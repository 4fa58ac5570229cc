"use client";
/** The NEEDS_ATTENTION queue: each payment with its reason and one-click query / cancel / refund. */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "../../lib/trpc.tsx";
import { formatDateTime, formatMoney } from "./format.ts";
import { Guard } from "./guard.tsx";
import { AttentionActions } from "./payment-detail.tsx";
import { Empty, ErrorText, Section } from "./ui.tsx";

export function AttentionView() {
  return (
    <Guard capability="viewAttention">
      <Attention />
    </Guard>
  );
}

function Attention() {
  const trpc = useTRPC();
  const queue = useQuery({ ...trpc.payment.needingAttention.queryOptions(), refetchInterval: 5000 });
  return (
    <Section title="Payments that need attention">
      <ErrorText error={queue.error} />
      {queue.isPending ? <p role="status">Loading…</p> : null}
      {queue.data && queue.data.length === 0 ? <Empty>Nothing needs attention.</Empty> : null}
      <ul className="flex flex-col gap-3">
        {queue.data?.map((p) => (
          <li
            key={p.id}
            className="rounded border border-slate-300 bg-white p-3"
            data-testid={`attention-${p.id}`}
            aria-label={`Payment ${p.id}`}
          >
            <div className="flex flex-wrap items-baseline gap-x-4 gap-y-1 text-sm">
              <Link
                href={`/staff/payments?id=${encodeURIComponent(p.id)}`}
                className="font-mono text-blue-900 underline"
              >
                {p.id}
              </Link>
              <span>{formatMoney(p.amountMinor, p.currency)}</span>
              <span className="font-mono text-xs">{p.partnerTransId}</span>
              <span className="text-xs text-slate-600">created {formatDateTime(p.createdAt)}</span>
            </div>
            <p className="mt-1 text-sm text-red-800">{p.attentionReason ?? "no reason recorded"}</p>
            <AttentionActions paymentId={p.id} />
          </li>
        ))}
      </ul>
    </Section>
  );
}
