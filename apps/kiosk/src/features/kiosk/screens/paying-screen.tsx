"use client";
import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "../../../lib/trpc.tsx";
import type { PayingPhase } from "../flow/payment-outcome.ts";
import { PAYMENT_DEADLINE_MS, usePaymentFollow } from "../hooks/use-payment-follow.ts";
import { useI18n } from "../i18n-context.tsx";
import { useFrameProps, useKiosk } from "../kiosk-context.tsx";
import { KioskButton } from "../ui/button.tsx";
import { ScreenFrame } from "../ui/screen-frame.tsx";
import { useNow } from "../ui/use-now.ts";

export function PayingScreen({ paymentId, phase }: { paymentId: string; phase: PayingPhase }) {
  const { dispatch } = useKiosk();
  const frame = useFrameProps();
  const i18n = useI18n();
  const { t } = i18n;
  const trpc = useTRPC();
  const payment = usePaymentFollow(paymentId, (p) =>
    dispatch({ type: "payment_updated", paymentId: p.id, payment: p }),
  );
  const cancel = useMutation(
    trpc.payment.cancel.mutationOptions({
      onSuccess: (p) => dispatch({ type: "payment_updated", paymentId: p.id, payment: p }),
    }),
  );
  const now = useNow(250);
  const deadline = payment ? payment.createdAt.getTime() + PAYMENT_DEADLINE_MS : null;
  const msLeft = deadline === null ? PAYMENT_DEADLINE_MS : Math.max(0, deadline - now);
  const fraction = msLeft / PAYMENT_DEADLINE_MS;

  const title =
    phase === "cancelling"
      ? t("paying.cancellingTitle")
      : phase === "waiting_pin"
        ? t("paying.confirmTitle")
        : t("paying.title");
  const body =
    phase === "cancelling"
      ? t("paying.cancellingBody")
      : phase === "waiting_pin"
        ? t("paying.confirmBody")
        : t("paying.body");
  return (
    <ScreenFrame
      {...frame}
      onLocaleChange={frame.onLocaleChange}
      screenName="paying"
      title={title}
      step={3}
      footer={
        phase === "cancelling" ? null : (
          <div className="flex flex-wrap items-center justify-between gap-6">
            <KioskButton
              variant="danger"
              disabled={cancel.isPending}
              onClick={() => {
                dispatch({ type: "cancel_payment_pressed" });
                cancel.mutate({ paymentId });
              }}
            >
              ✕ {t("paying.cancel")}
            </KioskButton>
            {payment ? (
              <div className="text-right">
                <span className="block text-xl text-(--k-muted)">{t("paying.amount")}</span>
                <span className="text-4xl font-bold tabular-nums">
                  {i18n.money(payment.amountMinor, payment.currency)}
                </span>
              </div>
            ) : null}
          </div>
        )
      }
    >
      <div className="grid justify-items-center gap-10 text-center" data-phase={phase}>
        {phase === "waiting_pin" ? (
          <PhoneConfirmIcon />
        ) : (
          <span
            className="k-spinner h-28 w-28 rounded-full border-[10px] border-(--k-primary) border-t-transparent"
            aria-hidden="true"
          />
        )}
        <p className="max-w-3xl text-3xl leading-snug" role="status" aria-live="polite">
          {body}
        </p>
        {phase !== "cancelling" ? (
          <div className="grid w-full max-w-2xl gap-3">
            <p className="text-3xl font-semibold tabular-nums" data-testid="payment-countdown">
              {t("paying.timeLeft", { time: i18n.countdown(msLeft) })}
            </p>
            <div
              role="progressbar"
              aria-label={t("paying.timeLeft", { time: i18n.countdown(msLeft) })}
              aria-valuemin={0}
              aria-valuemax={Math.round(PAYMENT_DEADLINE_MS / 1000)}
              aria-valuenow={Math.ceil(msLeft / 1000)}
              className="h-5 w-full overflow-hidden rounded-full bg-(--k-track)"
            >
              <div
                className="h-full rounded-full bg-(--k-primary) transition-[width] duration-300"
                style={{ width: `${Math.round(fraction * 100)}%` }}
              />
            </div>
          </div>
        ) : (
          <p className="text-2xl font-semibold">{t("common.notCharged")}</p>
        )}
      </div>
    </ScreenFrame>
  );
}

function PhoneConfirmIcon() {
  return (
    <svg aria-hidden="true" viewBox="0 0 120 160" className="k-bob h-44 w-32">
      <rect
        x="10"
        y="6"
        width="100"
        height="148"
        rx="16"
        fill="var(--k-illus-phone)"
        stroke="var(--k-illus-line)"
        strokeWidth="5"
      />
      <rect x="20" y="22" width="80" height="112" rx="6" fill="#ffffff" />
      <g fill="#0b1220">
        {[0, 1, 2].map((r) =>
          [0, 1, 2].map((c) => <circle key={`${r}${c}`} cx={40 + c * 20} cy={62 + r * 20} r="6" />),
        )}
      </g>
      <rect x="32" y="34" width="56" height="10" rx="5" fill="#1677ff" />
    </svg>
  );
}
