/**
 * A small message formatter: `{name}` placeholders and ICU-style plurals
 * `{count, plural, one {# ticket} other {# tickets}}` (`#` is the count, formatted per locale).
 * Numbers given as values are formatted with the locale's digits and grouping.
 */
import { en, type MessageKey, type Messages } from "./messages/en.ts";
import { ja } from "./messages/ja.ts";
import { ko } from "./messages/ko.ts";
import { zhHans } from "./messages/zh-hans.ts";
import { zhHant } from "./messages/zh-hant.ts";
import { INTL_TAGS, type Locale } from "./locales.ts";

export type { MessageKey, Messages };

export const MESSAGES: Readonly<Record<Locale, Messages>> = { en, "zh-Hans": zhHans, "zh-Hant": zhHant, ja, ko };

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

export function translate(locale: Locale, key: MessageKey, values?: MessageValues): string {
  return formatMessage(MESSAGES[locale][key], locale, values);
}

/** Placeholder and plural-variable names a template uses, for completeness checks. */
export function placeholdersOf(template: string): string[] {
  const names = new Set<string>();
  for (const m of template.matchAll(/\{(\w+)(?:,\s*plural,)?/g)) if (m[1]) names.add(m[1]);
  return [...names].sort();
}
