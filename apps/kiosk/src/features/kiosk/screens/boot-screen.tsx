"use client";
import { INTL_TAGS } from "../../../lib/i18n/locales.ts";
import { translate } from "../../../lib/i18n/translate.ts";
import { useI18n } from "../i18n-context.tsx";
import { TicketMark } from "./attract-screen.tsx";

/**
 * What the server renders before the page's script runs: the attract screen's shape and
 * headline (in the default language) with a "starting" status, so the kiosk's first paint
 * is already its largest content and the screen does not jump when the attract screen takes
 * over.
 */
export function BootScreen() {
  const { t, locale } = useI18n();
  return (
    <main
      className="k-attract relative flex min-h-dvh flex-col bg-(--k-attract-bg) text-(--k-attract-text)"
      data-screen="boot"
      aria-busy="true"
    >
      <div className="flex flex-1 flex-col items-center justify-center gap-10 px-10 text-center">
        <TicketMark />
        <span className="block text-7xl font-bold leading-tight" lang={INTL_TAGS[locale]} aria-hidden="true">
          {translate(locale, "attract.headline")}
        </span>
        <div role="status" className="mt-6 flex min-h-24 items-center gap-6">
          <span
            className="k-spinner h-12 w-12 rounded-full border-8 border-current border-t-transparent"
            aria-hidden="true"
          />
          <h1 className="text-4xl font-semibold">{t("boot.title")}</h1>
        </div>
      </div>
    </main>
  );
}
