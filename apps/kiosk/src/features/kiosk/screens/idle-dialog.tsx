"use client";
import { useEffect, useRef } from "react";
import { useI18n } from "../i18n-context.tsx";
import { KioskButton } from "../ui/button.tsx";
import { useNow } from "../ui/use-now.ts";

export function IdleDialog({
  deadline,
  onStay,
  onReset,
}: {
  deadline: number;
  onStay: () => void;
  onReset: () => void;
}) {
  const { t } = useI18n();
  const now = useNow(250);
  const seconds = Math.max(0, Math.ceil((deadline - now) / 1000));
  const stay = useRef<HTMLButtonElement>(null);
  useEffect(() => stay.current?.focus(), []);
  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-black/70 p-8" role="presentation">
      <div
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="k-idle-title"
        aria-describedby="k-idle-body"
        className="grid w-full max-w-2xl gap-8 rounded-3xl border-2 border-(--k-border-strong) bg-(--k-surface) p-10 text-center text-(--k-text) shadow-2xl"
        data-testid="idle-dialog"
      >
        <h2 id="k-idle-title" className="text-5xl font-bold">
          {t("idle.title")}
        </h2>
        <p id="k-idle-body" className="text-3xl">
          {t("idle.body", { seconds: t("common.seconds", { count: seconds }) })}
        </p>
        <div
          className="mx-auto flex h-32 w-32 items-center justify-center rounded-full border-8 border-(--k-primary) text-5xl font-bold tabular-nums"
          aria-hidden="true"
        >
          {seconds}
        </div>
        <div className="grid gap-4">
          <KioskButton ref={stay} size="xl" onClick={onStay}>
            {t("idle.stay")}
          </KioskButton>
          <KioskButton variant="secondary" onClick={onReset}>
            {t("idle.reset")}
          </KioskButton>
        </div>
      </div>
    </div>
  );
}
