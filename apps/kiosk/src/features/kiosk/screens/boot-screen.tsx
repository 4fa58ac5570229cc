"use client";
import { useI18n } from "../i18n-context.tsx";

export function BootScreen() {
  const { t } = useI18n();
  return (
    <main
      className="flex min-h-dvh flex-col items-center justify-center gap-8 bg-(--k-attract-bg) text-(--k-attract-text)"
      data-screen="boot"
      aria-busy="true"
    >
      <span
        className="k-spinner h-20 w-20 rounded-full border-8 border-current border-t-transparent"
        aria-hidden="true"
      />
      <div role="status">
        <h1 className="text-4xl font-semibold">{t("boot.title")}</h1>
      </div>
    </main>
  );
}
