/** The visitor languages the kiosk speaks. Tags double as catalog `nameI18n` keys. */
export const LOCALES = ["en", "zh-Hans", "zh-Hant", "ja", "ko"] as const;
export type Locale = (typeof LOCALES)[number];

export const DEFAULT_LOCALE: Locale = "en";

/** Each language's own name, shown on the language screen (never translated). */
export const LOCALE_NATIVE_NAMES: Readonly<Record<Locale, string>> = {
  en: "English",
  "zh-Hans": "简体中文",
  "zh-Hant": "繁體中文",
  ja: "日本語",
  ko: "한국어",
};

/** BCP 47 tags for Intl and for the `lang` attribute. */
export const INTL_TAGS: Readonly<Record<Locale, string>> = {
  en: "en",
  "zh-Hans": "zh-Hans-CN",
  "zh-Hant": "zh-Hant-TW",
  ja: "ja-JP",
  ko: "ko-KR",
};

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/** Picks a translation from a catalog map such as `{ en: "Adult", ja: "大人" }`, falling back to English, then `fallback`. */
export function pickI18n(map: Readonly<Record<string, string>> | undefined, locale: Locale, fallback: string): string {
  if (!map) return fallback;
  return map[locale] ?? (locale === "zh-Hant" ? map["zh-Hans"] : undefined) ?? map.en ?? fallback;
}
