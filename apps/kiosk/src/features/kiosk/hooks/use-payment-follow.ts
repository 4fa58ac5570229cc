"use client";
import { useQuery } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useState } from "react";
import { useTRPC } from "../../../lib/trpc.tsx";
import type { PaymentView } from "../api-types.ts";

/** The server's payment deadline (DEFAULT_PAYMENT_POLICY.deadlineMs): it cancels the trade after this. */
export const PAYMENT_DEADLINE_MS = 60_000;
/** Safety net under the SSE subscription: poll the payment too. */
const POLL_MS = 2_000;

/**
 * Follows a payment the server drives: the subscription pushes each change, a slow poll
 * covers a dropped stream. Used by the kiosk and the counter sale (same procedures: the
 * kiosk's device credential or the cashier's session authorises them).
 */
export function usePaymentFollow(paymentId: string, onUpdate: (p: PaymentView) => void, isEnabled = true) {
  const trpc = useTRPC();
  // If the stream is refused (e.g. the server cannot authenticate EventSource requests), polling carries on alone.
  const [isStreamUsable, setStreamUsable] = useState(true);
  useSubscription(
    trpc.payment.follow.subscriptionOptions(
      { paymentId },
      {
        enabled: isEnabled && isStreamUsable,
        onData: (p) => onUpdate(p),
        onError: () => setStreamUsable(false),
      },
    ),
  );
  const status = useQuery({
    ...trpc.payment.status.queryOptions({ paymentId }),
    enabled: isEnabled,
    refetchInterval: POLL_MS,
  });
  useEffect(() => {
    if (status.data) onUpdate(status.data);
  }, [status.data, onUpdate]);
  return status.data ?? null;
}
