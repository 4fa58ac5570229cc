/**
 * A small message formatter: `{name}` placeholders and ICU-style plurals
 * `{count, plural, one {# ticket} other {# tickets}}` (`#` is the count, formatted per locale).
 * Numbers given as values are formatted with the locale's digits and grouping.
 *
 * Catalogues load on demand: English (the fallback) and the multilingual greetings ship with
 * the page; another language's catalogue is fetched by `loadMessages` when a visitor may pick
 * it (the language screen) or a reload resumes in it. Until then `translate` falls back to the
 * greetings, then English. Everything at once (tests, tools): `./messages/all.ts`.
 */
import { en, type MessageKey, type Messages } from "./messages/en.ts";
import { GREETINGS } from "./messages/greetings.ts";
import { INTL_TAGS, type Locale } from "./locales.ts";

export type { MessageKey, Messages };

const LOADED: Partial<Record<Locale, Messages>> = { en };
const LOADERS: Readonly<Record<Exclude<Locale, "en">, () => Promise<Messages>>> = {
  "zh-Hans": () => import("./messages/zh-hans.ts").then((m) => m.zhHans),
  "zh-Hant": () => import("./messages/zh-hant.ts").then((m) => m.zhHant),
  ja: () => import("./messages/ja.ts").then((m) => m.ja),
  ko: () => import("./messages/ko.ts").then((m) => m.ko),
};
const loading = new Map<Locale, Promise<Messages>>();

/** Whether `locale`'s whole catalogue is here (English always is). */
export function isMessagesLoaded(locale: Locale): boolean {
  return LOADED[locale] !== undefined;
}

/** Fetches `locale`'s catalogue once (concurrent calls share the fetch); a failed fetch may be retried. */
export function loadMessages(locale: Locale): Promise<Messages> {
  const have = LOADED[locale];
  if (have) return Promise.resolve(have);
  let p = loading.get(locale);
  if (!p) {
    p = LOADERS[locale as Exclude<Locale, "en">]().then(
      (m) => (LOADED[locale] = m),
      (e: unknown) => {
        loading.delete(locale);
        throw e;
      },
    );
    loading.set(locale, p);
  }
  return p;
}

export type MessageValues = Readonly<Record<string, string | number>>;

const PLURAL = /\{(\w+),\s*plural,\s*((?:[^{}]*\{[^{}]*\}\s*)+)\}/g;
const PLACEHOLDER = /\{(\w+)\}/g;
const PLURAL_CASE = /(=\d+|zero|one|two|few|many|other)\s*\{([^{}]*)\}/g;

export function formatMessage(template: string, locale: Locale, values: MessageValues = {}): string {
  const tag = INTL_TAGS[locale];
  const numberFormat = new Intl.NumberFormat(tag);
  const withPlurals = template.replace(PLURAL, (_whole, name: string, body: string) => {
    const raw = values[name];
    const n = typeof raw === "number" ? raw : Number(raw);
    const cases = new Map<string, string>();
    for (const m of body.matchAll(PLURAL_CASE)) cases.set(m[1] ?? "other", m[2] ?? "");
    const category = new Intl.PluralRules(tag).select(n);
    const chosen = cases.get(`=${n}`) ?? cases.get(category) ?? cases.get("other") ?? "";
    return chosen.replace(/#/g, Number.isFinite(n) ? numberFormat.format(n) : String(raw));
  });
  return withPlurals.replace(PLACEHOLDER, (whole, name: string) => {
    const v = values[name];
    if (v === undefined) return whole;
    return typeof v === "number" ? numberFormat.format(v) : v;
  });
}

/** `key` in `locale`: its catalogue if loaded, else the greetings, else English (see loadMessages). */
export function translate(locale: Locale, key: MessageKey, values?: MessageValues): string {
  const template = LOADED[locale]?.[key] ?? (GREETINGS[locale] as Partial<Record<MessageKey, string>>)[key] ?? en[key];
  return formatMessage(template, locale, values);
}

/** Placeholder and plural-variable names a template uses, for completeness checks. */
export function placeholdersOf(template: string): string[] {
  const names = new Set<string>();
  for (const m of template.matchAll(/\{(\w+)(?:,\s*plural,)?/g)) if (m[1]) names.add(m[1]);
  return [...names].sort();
}
