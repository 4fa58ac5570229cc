"use client";
import { isPaymentCode } from "@kiosk/alipay-core/money";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { trpcErrorCode, useTRPC } from "../../../lib/trpc.tsx";
import { useArmedScanner } from "../hooks/use-armed-scanner.ts";
import { useI18n } from "../i18n-context.tsx";
import { useFrameProps, useKiosk } from "../kiosk-context.tsx";
import { acceptedWalletNames } from "../ui/accepted-wallets-names.ts";
import { KioskButton } from "../ui/button.tsx";
import { PhoneScanIllustration } from "../ui/phone-scan-illustration.tsx";
import { ScreenFrame } from "../ui/screen-frame.tsx";
import { HoldCountdown } from "./summary-screen.tsx";

const MAX_ARM_MS = 600_000;

/** Arms the scanner only while this screen shows, so a stray scan elsewhere never pays. */
export function ScanScreen({ orderId }: { orderId: string }) {
  const { dispatch, bridge, bridgeSnapshot, catalog, state } = useKiosk();
  const frame = useFrameProps();
  const i18n = useI18n();
  const { t } = i18n;
  const trpc = useTRPC();
  const order = useQuery(trpc.order.get.queryOptions({ orderId }));
  const [isInvalidScan, setInvalidScan] = useState(false);
  const isStarting = useRef(false);

  const start = useMutation(
    trpc.payment.start.mutationOptions({
      onSuccess: (payment) => dispatch({ type: "payment_started", paymentId: payment.id, payment }),
      onError: (error) => {
        isStarting.current = false;
        const code = trpcErrorCode(error);
        const message = error.message.toLowerCase();
        dispatch({
          type: "payment_start_failed",
          reason: message.includes("expired") || code === "NOT_FOUND" ? "hold_expired" : "error",
        });
      },
    }),
  );

  const expiresAt = order.data?.expiresAt ?? null;
  const isReady = bridgeSnapshot.connection === "ready";
  const isArmed = useArmedScanner({
    bridge,
    isEnabled: isReady,
    armMs: Math.min(MAX_ARM_MS, Math.max(1000, (expiresAt?.getTime() ?? Date.now() + 300_000) - Date.now())),
    // Re-arm only when the order or its hold changes (not on every render).
    rearmKey: `${orderId}:${expiresAt?.getTime() ?? ""}`,
    onScan: (code) => {
      if (isStarting.current) return;
      if (!isPaymentCode(code)) {
        setInvalidScan(true);
        return;
      }
      setInvalidScan(false);
      isStarting.current = true;
      bridge?.disarmScanner().catch(() => {});
      start.mutate({ orderId, paymentCode: code });
    },
  });

  const wallets = acceptedWalletNames(state.locale, catalog?.attraction.acceptedWallets ?? []);
  const amount = order.data ? i18n.money(order.data.totalMinor, order.data.currency) : "";
  return (
    <ScreenFrame
      {...frame}
      screenName="scan"
      title={t("scan.title")}
      step={3}
      footer={
        <div className="flex flex-wrap items-center justify-between gap-6">
          <KioskButton
            variant="secondary"
            disabled={start.isPending}
            onClick={() => dispatch({ type: "cancel_payment_pressed" })}
          >
            ← {t("common.cancel")}
          </KioskButton>
          <div className="text-right">
            <span className="block text-xl text-(--k-muted)">{t("scan.amount")}</span>
            <span className="text-5xl font-bold tabular-nums" data-testid="scan-amount">
              {amount}
            </span>
          </div>
        </div>
      }
    >
      <div className="grid items-center gap-10 lg:landscape:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
        <PhoneScanIllustration label={t("scan.illustration")} className="mx-auto h-auto w-full max-w-md" />
        <div className="grid gap-6">
          <ol className="grid gap-5 text-3xl leading-snug">
            {(["scan.step1", "scan.step2", "scan.step3"] as const).map((key, i) => (
              <li key={key} className="flex gap-4">
                <span
                  className="flex h-14 w-14 shrink-0 items-center justify-center rounded-full bg-(--k-primary) text-2xl font-bold text-(--k-on-primary)"
                  aria-hidden="true"
                >
                  {i + 1}
                </span>
                <span>{t(key)}</span>
              </li>
            ))}
          </ol>
          <p
            role="status"
            className="flex items-center gap-3 text-2xl font-semibold"
            data-testid="scanner-state"
            data-armed={isArmed}
          >
            <span
              className={`inline-block h-5 w-5 rounded-full ${isArmed ? "k-pulse bg-(--k-success)" : "bg-(--k-track)"}`}
              aria-hidden="true"
            />
            {start.isPending ? t("scan.starting") : isArmed ? t("scan.ready") : t("scan.notReady")}
          </p>
          {isInvalidScan ? (
            <p
              role="alert"
              className="rounded-2xl border-2 border-(--k-warning) bg-(--k-warning-bg) px-5 py-4 text-2xl"
            >
              {t("scan.invalidCode")}
            </p>
          ) : null}
          {wallets.length > 0 ? (
            <div className="grid gap-2" data-testid="accepted-wallets">
              <span className="text-xl text-(--k-muted)">{t("scan.acceptedWallets")}</span>
              <ul className="flex flex-wrap gap-3 text-2xl font-semibold">
                {wallets.map((name) => (
                  <li key={name} className="rounded-xl border-2 border-(--k-border) bg-(--k-surface) px-4 py-2">
                    {name}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          {expiresAt ? (
            <HoldCountdown expiresAt={expiresAt} onExpired={() => dispatch({ type: "hold_expired" })} />
          ) : null}
          <p className="text-xl text-(--k-muted)">{catalog ? t("a11y.helpHint") : ""}</p>
        </div>
      </div>
    </ScreenFrame>
  );
}
