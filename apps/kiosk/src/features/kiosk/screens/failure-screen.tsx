"use client";
import type { MessageKey } from "../../../lib/i18n/translate.ts";
import { isNotCharged, isRetryable, type FailureReason } from "../flow/payment-outcome.ts";
import { useI18n } from "../i18n-context.tsx";
import { useFrameProps, useKiosk } from "../kiosk-context.tsx";
import { KioskButton } from "../ui/button.tsx";
import { ScreenFrame } from "../ui/screen-frame.tsx";

export function FailureScreen({
  reason,
  orderId,
  paymentId,
}: {
  reason: FailureReason;
  orderId: string | null;
  paymentId: string | null;
}) {
  const { dispatch } = useKiosk();
  const frame = useFrameProps();
  const { t } = useI18n();
  const reference = paymentId ?? orderId ?? "—";
  return (
    <ScreenFrame
      {...frame}
      screenName="failure"
      title={t(`failure.${reason}.title` as MessageKey)}
      step={null}
      footer={
        <div className="flex flex-wrap items-center justify-between gap-6">
          <KioskButton variant="secondary" onClick={() => dispatch({ type: "start_over" })}>
            {t("common.startOver")}
          </KioskButton>
          {isRetryable(reason) ? (
            <KioskButton size="xl" onClick={() => dispatch({ type: "retry" })}>
              ↻ {t("common.tryAgain")}
            </KioskButton>
          ) : reason === "hold_expired" ? (
            <KioskButton size="xl" onClick={() => dispatch({ type: "retry" })}>
              {t("summary.change")}
            </KioskButton>
          ) : null}
        </div>
      }
    >
      <div className="grid gap-8" data-reason={reason}>
        <svg aria-hidden="true" viewBox="0 0 64 64" className="h-24 w-24 text-(--k-danger)">
          <circle cx="32" cy="32" r="28" fill="none" stroke="currentColor" strokeWidth="5" />
          <path d="M32 18v18" stroke="currentColor" strokeWidth="5" strokeLinecap="round" />
          <circle cx="32" cy="45" r="3.5" fill="currentColor" />
        </svg>
        <p className="max-w-4xl text-3xl leading-snug" role="alert">
          {t(`failure.${reason}.body` as MessageKey, { reference })}
        </p>
        {isNotCharged(reason) ? (
          <p className="inline-flex w-fit items-center gap-3 rounded-2xl border-2 border-(--k-success) bg-(--k-success-bg) px-6 py-4 text-3xl font-bold">
            <span aria-hidden="true">✓</span> {t("common.notCharged")}
          </p>
        ) : null}
        <p className="text-xl text-(--k-muted)">{t("a11y.helpHint")}</p>
      </div>
    </ScreenFrame>
  );
}
