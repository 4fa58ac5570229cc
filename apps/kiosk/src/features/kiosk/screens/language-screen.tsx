"use client";
import { useEffect } from "react";
import { LOCALES, LOCALE_NATIVE_NAMES, INTL_TAGS } from "../../../lib/i18n/locales.ts";
import { loadMessages, translate } from "../../../lib/i18n/translate.ts";
import { useFrameProps, useKiosk } from "../kiosk-context.tsx";
import { KioskButton } from "../ui/button.tsx";
import { ScreenFrame } from "../ui/screen-frame.tsx";
import { preloadFlowScreens } from "./lazy-screens.tsx";
import { useI18n } from "../i18n-context.tsx";

export function LanguageScreen() {
  const { dispatch } = useKiosk();
  const frame = useFrameProps();
  const { t } = useI18n();
  // A visitor has started: fetch the catalogues and the screens of a sale now, so the next screens never wait for them.
  useEffect(() => {
    for (const l of LOCALES) loadMessages(l).catch(() => {});
    preloadFlowScreens();
  }, []);
  return (
    <ScreenFrame
      {...frame}
      onLocaleChange={null}
      screenName="language"
      title={t("language.title")}
      step={null}
      footer={
        <KioskButton variant="secondary" onClick={() => dispatch({ type: "back" })}>
          ← {t("common.back")}
        </KioskButton>
      }
    >
      <ul className="flex flex-wrap gap-x-6 gap-y-1 text-2xl text-(--k-muted)" aria-hidden="true">
        {LOCALES.filter((l) => l !== "en").map((l) => (
          <li key={l} lang={INTL_TAGS[l]}>
            {translate(l, "language.title")}
          </li>
        ))}
      </ul>
      <div className="grid gap-5 sm:grid-cols-1">
        {LOCALES.map((l) => (
          <KioskButton
            key={l}
            size="xl"
            variant="secondary"
            lang={INTL_TAGS[l]}
            className="justify-start text-4xl"
            onClick={() => dispatch({ type: "locale_chosen", locale: l })}
          >
            {LOCALE_NATIVE_NAMES[l]}
          </KioskButton>
        ))}
      </div>
      <p className="text-xl text-(--k-muted)">{t("language.subtitle")}</p>
    </ScreenFrame>
  );
}
