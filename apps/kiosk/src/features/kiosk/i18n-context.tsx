"use client";
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import {
  formatCountdown,
  formatDate,
  formatMoney,
  formatNumber,
  formatShortDate,
  formatTime,
  formatTimeRange,
} from "../../lib/i18n/format.ts";
import { INTL_TAGS, pickI18n, type Locale } from "../../lib/i18n/locales.ts";
import {
  isMessagesLoaded,
  loadMessages,
  translate,
  type MessageKey,
  type MessageValues,
} from "../../lib/i18n/translate.ts";

export interface I18n {
  locale: Locale;
  lang: string;
  t: (key: MessageKey, values?: MessageValues) => string;
  money: (minor: number, currency: string) => string;
  number: (n: number) => string;
  date: (d: Date, timeZone: string) => string;
  shortDate: (d: Date, timeZone: string) => string;
  time: (d: Date, timeZone: string) => string;
  timeRange: (a: Date, b: Date, timeZone: string) => string;
  countdown: (ms: number) => string;
  pick: (map: Record<string, string> | undefined, fallback: string) => string;
}

export function makeI18n(locale: Locale): I18n {
  return {
    locale,
    lang: INTL_TAGS[locale],
    t: (key, values) => translate(locale, key, values),
    money: (minor, currency) => formatMoney(minor, currency, locale),
    number: (n) => formatNumber(n, locale),
    date: (d, tz) => formatDate(d, locale, tz),
    shortDate: (d, tz) => formatShortDate(d, locale, tz),
    time: (d, tz) => formatTime(d, locale, tz),
    timeRange: (a, b, tz) => formatTimeRange(a, b, locale, tz),
    countdown: formatCountdown,
    pick: (map, fallback) => pickI18n(map, locale, fallback),
  };
}

const I18nContext = createContext<I18n>(makeI18n("en"));

/** Fetches the locale's catalogue if it is not here yet (say, a reload resuming in Korean) and re-renders when it is. */
export function I18nProvider({ locale, children }: { locale: Locale; children: ReactNode }) {
  const isLoaded = isMessagesLoaded(locale);
  const [loadedCount, setLoadedCount] = useState(0);
  useEffect(() => {
    if (isLoaded) return;
    let isCurrent = true;
    loadMessages(locale).then(
      () => isCurrent && setLoadedCount((n) => n + 1),
      () => {}, // offline: English stands in; the next locale change tries again
    );
    return () => {
      isCurrent = false;
    };
  }, [locale, isLoaded]);
  // A new value (so consumers re-render) once the catalogue has arrived.
  const value = useMemo(() => ({ ...makeI18n(locale), catalogueVersion: loadedCount }), [locale, loadedCount]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  return useContext(I18nContext);
}
