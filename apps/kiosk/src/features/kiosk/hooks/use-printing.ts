"use client";
import { useEffect, useRef, useState } from "react";
import type { BridgeClient } from "../../../lib/bridge-client.ts";
import { useTRPCClient } from "../../../lib/trpc.tsx";
import {
  receiptJob,
  ticketJob,
  ticketJobId,
  type PrintableTicket,
  type PrintContext,
} from "../printing/print-documents.ts";

export type PrintStatus = "queued" | "printing" | "printed" | "failed";

export interface PrintableServerTicket extends PrintableTicket {
  printedAt: Date | null;
  printFailedAt: Date | null;
}

/** A job with no result after this long counts as failed (the ticket stays valid; its QR code is shown). */
export const PRINT_RESULT_TIMEOUT_MS = 45_000;

/**
 * Prints the paid order's tickets (then the receipt) through the bridge and reports each
 * ticket's outcome to the server. Tickets already printed or failed (say, before a reload)
 * are not printed again. Calls `onFinished` once every ticket has an outcome.
 */
export function usePrinting(opts: {
  bridge: BridgeClient | null;
  tickets: readonly PrintableServerTicket[] | null;
  context: PrintContext | null;
  onFinished: (hasFailures: boolean) => void;
}): Record<string, PrintStatus> {
  const trpc = useTRPCClient();
  const [statuses, setStatuses] = useState<Record<string, PrintStatus>>({});
  const latest = useRef(opts);
  latest.current = opts;
  const state = useRef<{ orderId: string | null; current: Record<string, PrintStatus>; isFinished: boolean }>({
    orderId: null,
    current: {},
    isFinished: false,
  });
  const orderId = opts.context?.order.id ?? null;
  const ticketKey = opts.tickets?.map((t) => t.id).join(",") ?? "";
  const bridge = opts.bridge;

  useEffect(() => {
    const { tickets, context } = latest.current;
    if (!bridge || !tickets || tickets.length === 0 || !context || !orderId) return;
    const st = state.current;
    if (st.orderId !== orderId) {
      st.orderId = orderId;
      st.isFinished = false;
      st.current = {};
      for (const t of tickets) st.current[t.id] = t.printedAt ? "printed" : t.printFailedAt ? "failed" : "queued";
    }
    const current = st.current;
    const byJob = new Map(tickets.map((t) => [ticketJobId(t.id), t]));
    let isActive = true;

    const report = async (ticketId: string, status: "printed" | "failed", reason?: string) => {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          if (status === "printed") await trpc.ticket.markPrinted.mutate({ ticketId });
          else await trpc.ticket.markPrintFailed.mutate({ ticketId, reason: (reason ?? "print failed").slice(0, 200) });
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 1000 * (attempt + 1)));
        }
      }
    };
    const finishIfDone = () => {
      const isAllDone = Object.values(current).every((s) => s === "printed" || s === "failed");
      if (isAllDone && !st.isFinished) {
        st.isFinished = true;
        latest.current.onFinished(Object.values(current).some((s) => s === "failed"));
      }
    };
    const timers = new Map<string, ReturnType<typeof setTimeout>>();
    const settle = (ticketId: string, status: "printed" | "failed", reason?: string) => {
      if (!isActive || current[ticketId] === "printed" || current[ticketId] === "failed") return;
      current[ticketId] = status;
      const timer = timers.get(ticketId);
      if (timer) clearTimeout(timer);
      setStatuses({ ...current });
      void report(ticketId, status, reason);
      finishIfDone();
    };

    const unsubscribe = bridge.onPrintResult((result) => {
      const t = byJob.get(result.id);
      if (t) settle(t.id, result.status, result.reason);
    });

    // Jobs are idempotent on the bridge (same id, printed once), so re-sending after a re-run is safe.
    const pending = tickets.filter((t) => current[t.id] === "queued" || current[t.id] === "printing");
    for (const t of pending) {
      current[t.id] = "printing";
      const job = ticketJob(context, t);
      bridge.print(job).catch(() => {});
      timers.set(
        t.id,
        setTimeout(() => {
          bridge.forgetPrint(job.id);
          settle(t.id, "failed", "no result from the printer");
        }, PRINT_RESULT_TIMEOUT_MS),
      );
    }
    setStatuses({ ...current });
    if (pending.length > 0) bridge.print(receiptJob(context)).catch(() => {});
    finishIfDone();

    return () => {
      isActive = false;
      unsubscribe();
      for (const timer of timers.values()) clearTimeout(timer);
    };
  }, [bridge, orderId, ticketKey, trpc]);

  return statuses;
}
