/** Every catalogue at once, for tests and tools (the page loads them one by one: translate.ts). */
import type { Locale } from "../locales.ts";
import { en, type Messages } from "./en.ts";
import { ja } from "./ja.ts";
import { ko } from "./ko.ts";
import { zhHans } from "./zh-hans.ts";
import { zhHant } from "./zh-hant.ts";

export const MESSAGES: Readonly<Record<Locale, Messages>> = {
  en,
  "zh-Hans": zhHans,
  "zh-Hant": zhHant,
  ja,
  ko,
};
