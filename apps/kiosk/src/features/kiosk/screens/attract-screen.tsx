"use client";
import { useEffect, useState } from "react";
import { LOCALES, INTL_TAGS, pickI18n } from "../../../lib/i18n/locales.ts";
import { translate } from "../../../lib/i18n/translate.ts";
import { useKiosk } from "../kiosk-context.tsx";

const CYCLE_MS = 3_500;

/** The looping attract screen: the whole screen is one button; the greeting cycles through every language. */
export function AttractScreen() {
  const { dispatch, catalog } = useKiosk();
  const [i, setI] = useState(0);
  useEffect(() => {
    const id = setInterval(() => setI((n) => (n + 1) % LOCALES.length), CYCLE_MS);
    return () => clearInterval(id);
  }, []);
  const locale = LOCALES[i] ?? "en";
  const name = catalog ? pickI18n(catalog.attraction.nameI18n, locale, catalog.attraction.name) : "";
  return (
    <main
      className="k-attract relative flex min-h-dvh flex-col bg-(--k-attract-bg) text-(--k-attract-text)"
      data-screen="attract"
    >
      <h1 className="sr-only">{translate("en", "attract.headline")}</h1>
      <button
        type="button"
        onClick={() => dispatch({ type: "touched_attract" })}
        className="flex flex-1 flex-col items-center justify-center gap-10 px-10 text-center focus-visible:outline-4 focus-visible:outline-offset-[-12px] focus-visible:outline-(--k-focus)"
      >
        <TicketMark />
        <span className="block text-3xl font-semibold opacity-95" lang={INTL_TAGS[locale]}>
          {name}
        </span>
        <span
          key={locale}
          className="block k-fade text-7xl font-bold leading-tight"
          lang={INTL_TAGS[locale]}
          aria-hidden="true"
        >
          {translate(locale, "attract.headline")}
        </span>
        <span className="block text-3xl" lang={INTL_TAGS[locale]} aria-hidden="true">
          {translate(locale, "attract.subline")}
        </span>
        <span
          className="k-pulse mt-6 inline-flex min-h-24 items-center rounded-full bg-(--k-attract-cta) px-14 text-4xl font-bold text-(--k-attract-cta-text) shadow-xl"
          aria-hidden="true"
        >
          {translate(locale, "attract.touch")}
        </span>
        <span className="mt-8 flex flex-wrap justify-center gap-x-6 gap-y-2 text-2xl opacity-90">
          {LOCALES.map((l) => (
            <span key={l} lang={INTL_TAGS[l]} className={l === locale ? "font-bold underline underline-offset-8" : ""}>
              {translate(l, "attract.start")}
            </span>
          ))}
        </span>
      </button>
    </main>
  );
}

/** The attraction's ticket mark, also on the boot screen (which has the attract screen's shape). */
export function TicketMark() {
  return (
    <svg aria-hidden="true" viewBox="0 0 120 80" className="h-28 w-40">
      <path
        d="M8 8h104v20a12 12 0 0 0 0 24v20H8V52a12 12 0 0 0 0-24z"
        fill="none"
        stroke="currentColor"
        strokeWidth="5"
        strokeLinejoin="round"
      />
      <path d="M78 12v56" stroke="currentColor" strokeWidth="4" strokeDasharray="6 6" />
      <path d="M26 32h36M26 46h26" stroke="currentColor" strokeWidth="5" strokeLinecap="round" />
    </svg>
  );
}
