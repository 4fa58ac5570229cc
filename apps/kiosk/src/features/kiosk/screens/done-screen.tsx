"use client";
import { useEffect } from "react";
import { useI18n } from "../i18n-context.tsx";
import { useFrameProps, useKiosk } from "../kiosk-context.tsx";
import { KioskButton } from "../ui/button.tsx";
import { ScreenFrame } from "../ui/screen-frame.tsx";
import { useNow } from "../ui/use-now.ts";
import { useState } from "react";

export function DoneScreen() {
  const { dispatch, config } = useKiosk();
  const frame = useFrameProps();
  const { t } = useI18n();
  const [until] = useState(() => Date.now() + config.doneMs);
  const now = useNow(500);
  const seconds = Math.max(0, Math.ceil((until - now) / 1000));
  useEffect(() => {
    const id = setTimeout(() => dispatch({ type: "finish" }), Math.max(0, until - Date.now()));
    return () => clearTimeout(id);
  }, [dispatch, until]);
  return (
    <ScreenFrame
      {...frame}
      screenName="done"
      title={t("done.title")}
      step={4}
      footer={
        <div className="flex justify-end">
          <KioskButton size="xl" onClick={() => dispatch({ type: "finish" })}>
            {t("done.finish")}
          </KioskButton>
        </div>
      }
    >
      <div className="grid justify-items-center gap-8 py-10 text-center">
        <svg aria-hidden="true" viewBox="0 0 64 64" className="h-32 w-32 text-(--k-success)">
          <circle cx="32" cy="32" r="28" fill="none" stroke="currentColor" strokeWidth="5" />
          <path
            d="M19 33l9 9 17-19"
            fill="none"
            stroke="currentColor"
            strokeWidth="6"
            strokeLinecap="round"
            strokeLinejoin="round"
          />
        </svg>
        <p className="text-4xl">{t("done.body")}</p>
        <p className="text-2xl text-(--k-muted)" aria-live="off">
          {t("done.returning", { seconds: t("common.seconds", { count: seconds }) })}
        </p>
      </div>
    </ScreenFrame>
  );
}
