"use client";
/**
 * The paying steps of a counter sale: take the visitor's payment code (bridge scanner,
 * camera or typed), then follow the payment (PIN wait, countdown, cancel) to its end.
 */
import { isPaymentCode } from "@kiosk/alipay-core/money";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useCallback, useRef, useState } from "react";
import type { BridgeClient } from "../../lib/bridge-client.ts";
import { trpcErrorCode, useTRPC } from "../../lib/trpc.tsx";
import type { PaymentView } from "../kiosk/api-types.ts";
import { paymentOutcome, type FailureReason, type PayingPhase } from "../kiosk/flow/payment-outcome.ts";
import { useArmedScanner } from "../kiosk/hooks/use-armed-scanner.ts";
import { PAYMENT_DEADLINE_MS, usePaymentFollow } from "../kiosk/hooks/use-payment-follow.ts";
import { useNow } from "../kiosk/ui/use-now.ts";
import { formatMoney } from "../staff/format.ts";
import { Button, ErrorText, inputClass } from "../staff/ui.tsx";
import { CameraScanner } from "./camera-scanner.tsx";

const SCAN_ARM_MS = 300_000;

export function TakeCode({
  orderId,
  bridge,
  onStarted,
  onHoldExpired,
  onAbandon,
}: {
  orderId: string;
  bridge: BridgeClient | null;
  onStarted: (p: PaymentView) => void;
  onHoldExpired: () => void;
  onAbandon: () => void;
}) {
  const trpc = useTRPC();
  const order = useQuery(trpc.order.get.queryOptions({ orderId }));
  const [typed, setTyped] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const [isCameraOpen, setCameraOpen] = useState(false);
  const isStarting = useRef(false);
  const cancelOrder = useMutation(trpc.order.cancel.mutationOptions({ onSettled: onAbandon }));
  const start = useMutation(
    trpc.payment.start.mutationOptions({
      onSuccess: onStarted,
      onError: (error) => {
        isStarting.current = false;
        if (trpcErrorCode(error) === "CONFLICT" && /expired|no longer payable/i.test(error.message)) onHoldExpired();
      },
    }),
  );
  const submit = useCallback(
    (raw: string) => {
      const code = raw.replace(/\s+/g, "");
      if (isStarting.current) return;
      if (!isPaymentCode(code)) {
        setNotice(
          "That is not an Alipay payment code (16–24 digits starting 25–30). Ask the visitor to refresh the code and try again.",
        );
        return;
      }
      setNotice(null);
      isStarting.current = true;
      setCameraOpen(false);
      bridge?.disarmScanner().catch(() => {});
      start.mutate({ orderId, paymentCode: code });
    },
    [bridge, orderId, start],
  );
  const isArmed = useArmedScanner({
    bridge,
    isEnabled: bridge !== null,
    armMs: SCAN_ARM_MS,
    rearmKey: orderId,
    onScan: submit,
  });
  const total = order.data ? formatMoney(order.data.totalMinor, order.data.currency) : "";
  return (
    <div className="grid gap-3" data-testid="counter-scan">
      <p className="text-lg">
        Amount{" "}
        <span className="text-2xl font-bold tabular-nums" data-testid="counter-amount">
          {total}
        </span>
      </p>
      <p role="status" data-testid="scanner-state" data-armed={isArmed} className="text-sm">
        {start.isPending
          ? "Sending the payment…"
          : isArmed
            ? "Scanner ready: scan the payment code in the visitor's Alipay app."
            : "No scanner: use the camera or type the code."}
      </p>
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          submit(typed);
        }}
      >
        <label className="flex flex-col text-sm">
          <span className="font-medium">Payment code</span>
          <input
            className={`${inputClass} w-64 font-mono`}
            inputMode="numeric"
            autoComplete="off"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
          />
        </label>
        <Button type="submit" tone="primary" disabled={start.isPending}>
          Charge
        </Button>
        <Button onClick={() => setCameraOpen((v) => !v)} disabled={start.isPending}>
          {isCameraOpen ? "Hide camera" : "Scan with camera"}
        </Button>
        <Button
          tone="danger"
          disabled={start.isPending || cancelOrder.isPending}
          onClick={() => cancelOrder.mutate({ orderId })}
        >
          Cancel sale
        </Button>
      </form>
      {isCameraOpen ? <CameraScanner onCode={submit} onClose={() => setCameraOpen(false)} /> : null}
      {notice ? (
        <p role="alert" className="text-sm text-amber-900">
          {notice}
        </p>
      ) : null}
      <ErrorText error={start.error} />
    </div>
  );
}

const PHASE_TEXT: Record<PayingPhase, string> = {
  sending: "Sending the payment to Alipay…",
  waiting_pin: "Waiting for the visitor to confirm the payment on their phone (PIN).",
  cancelling: "Cancelling the payment… the visitor will not be charged.",
};

export function Paying({
  paymentId,
  isCancelledByCashier,
  onCancelPressed,
  onPaid,
  onFailed,
}: {
  paymentId: string;
  isCancelledByCashier: boolean;
  onCancelPressed: () => void;
  onPaid: () => void;
  onFailed: (reason: FailureReason) => void;
}) {
  const trpc = useTRPC();
  const flags = useRef({ isCancelledByCashier, isDone: false });
  flags.current.isCancelledByCashier = isCancelledByCashier;
  const [phase, setPhase] = useState<PayingPhase>("sending");
  const onUpdate = useCallback(
    (p: PaymentView) => {
      if (flags.current.isDone) return;
      const outcome = paymentOutcome(p, flags.current.isCancelledByCashier);
      if (outcome.kind === "active") setPhase(outcome.phase);
      else {
        flags.current.isDone = true;
        if (outcome.kind === "paid") onPaid();
        else onFailed(outcome.reason);
      }
    },
    [onPaid, onFailed],
  );
  const payment = usePaymentFollow(paymentId, onUpdate);
  const cancel = useMutation(trpc.payment.cancel.mutationOptions({ onSuccess: onUpdate }));
  const now = useNow(250);
  const msLeft = payment ? Math.max(0, payment.createdAt.getTime() + PAYMENT_DEADLINE_MS - now) : PAYMENT_DEADLINE_MS;
  const shownPhase = isCancelledByCashier ? "cancelling" : phase;
  return (
    <div className="grid gap-3" data-testid="counter-paying" data-phase={shownPhase}>
      <p role="status" aria-live="polite" className="text-lg font-semibold">
        {PHASE_TEXT[shownPhase]}
      </p>
      {payment ? <p className="text-lg tabular-nums">{formatMoney(payment.amountMinor, payment.currency)}</p> : null}
      {shownPhase !== "cancelling" ? (
        <>
          <p className="tabular-nums" data-testid="payment-countdown">
            {Math.ceil(msLeft / 1000)} s left
          </p>
          <div>
            <Button
              tone="danger"
              disabled={cancel.isPending}
              onClick={() => {
                onCancelPressed();
                cancel.mutate({ paymentId });
              }}
            >
              Cancel payment
            </Button>
          </div>
        </>
      ) : null}
      <ErrorText error={cancel.error} />
    </div>
  );
}
