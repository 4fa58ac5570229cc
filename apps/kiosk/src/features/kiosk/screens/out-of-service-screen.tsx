"use client";
import { LOCALES, INTL_TAGS } from "../../../lib/i18n/locales.ts";
import { translate, type MessageKey } from "../../../lib/i18n/translate.ts";
import { useI18n } from "../i18n-context.tsx";
import { useKiosk } from "../kiosk-context.tsx";
import { Toolbar } from "../ui/screen-frame.tsx";

/** Sells nothing; explains in the visitor's language (and the others), and recovers by itself. */
export function OutOfServiceScreen() {
  const { state, prefs, setPrefs, setLocale } = useKiosk();
  const { t, locale } = useI18n();
  const reason = state.service.status === "out" ? state.service.reason : null;
  return (
    <div
      className="flex min-h-dvh flex-col bg-(--k-bg) text-(--k-text)"
      data-screen="out_of_service"
      data-reason={reason ?? ""}
    >
      <header className="flex justify-end border-b-2 border-(--k-border) bg-(--k-surface) px-8 py-5">
        <Toolbar prefs={prefs} onPrefsChange={setPrefs} onLocaleChange={setLocale} />
      </header>
      <main
        className="flex flex-1 flex-col items-center justify-center gap-8 px-10 text-center"
        aria-labelledby="k-title"
      >
        <svg aria-hidden="true" viewBox="0 0 64 64" className="h-28 w-28 text-(--k-warning)">
          <path d="M32 6 60 56H4z" fill="none" stroke="currentColor" strokeWidth="5" strokeLinejoin="round" />
          <path d="M32 24v16" stroke="currentColor" strokeWidth="5" strokeLinecap="round" />
          <circle cx="32" cy="48" r="3.5" fill="currentColor" />
        </svg>
        <h1 id="k-title" className="max-w-4xl text-5xl font-bold leading-tight">
          {t("oos.title")}
        </h1>
        <p className="max-w-3xl text-3xl">{t("oos.body")}</p>
        {reason ? (
          <p
            className="rounded-2xl border-2 border-(--k-border-strong) bg-(--k-surface) px-6 py-4 text-2xl"
            role="status"
          >
            {t("oos.reason", { reason: t(`oos.reason.${reason}` as MessageKey) })}
          </p>
        ) : null}
        <p className="max-w-3xl text-2xl text-(--k-muted)">{t("oos.recover")}</p>
        <ul className="mt-6 grid max-w-4xl gap-3 border-t-2 border-(--k-border) pt-6 text-xl text-(--k-muted)">
          {LOCALES.filter((l) => l !== locale).map((l) => (
            <li key={l} lang={INTL_TAGS[l]}>
              {translate(l, "oos.title")} — {translate(l, "oos.body")}
            </li>
          ))}
        </ul>
      </main>
    </div>
  );
}
