"use client";
import { useEffect, useRef, useState, type ReactNode } from "react";
import { LOCALES, LOCALE_NATIVE_NAMES, INTL_TAGS, type Locale } from "../../../lib/i18n/locales.ts";
import { useI18n } from "../i18n-context.tsx";
import { KioskButton } from "./button.tsx";

export interface DisplayPrefs {
  isLargeText: boolean;
  isHighContrast: boolean;
}

export interface FrameProps {
  title: string;
  attractionName: string | null;
  step: 1 | 2 | 3 | 4 | null;
  prefs: DisplayPrefs;
  onPrefsChange: (prefs: DisplayPrefs) => void;
  onLocaleChange: ((locale: Locale) => void) | null;
  children: ReactNode;
  footer?: ReactNode;
  screenName: string;
}

function Progress({ step }: { step: 1 | 2 | 3 | 4 }) {
  const { t } = useI18n();
  const labels = [t("steps.tickets"), t("steps.review"), t("steps.pay"), t("steps.print")];
  return (
    <nav aria-label={t("common.stepOf", { step, total: 4 })} className="w-full">
      <ol className="grid grid-cols-4 gap-2">
        {labels.map((label, i) => {
          const n = i + 1;
          const isCurrent = n === step;
          const isDone = n < step;
          return (
            <li
              key={label}
              aria-current={isCurrent ? "step" : undefined}
              className="flex flex-col items-center gap-2 text-center"
            >
              <span
                className={`h-2.5 w-full rounded-full ${isDone || isCurrent ? "bg-(--k-primary)" : "bg-(--k-track)"}`}
                aria-hidden="true"
              />
              <span className={`text-lg ${isCurrent ? "font-bold text-(--k-text)" : "text-(--k-muted)"}`}>
                <span className="sr-only">{isDone ? "✓ " : ""}</span>
                {label}
              </span>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}

export function LanguageDialog({ onChoose, onClose }: { onChoose: (l: Locale) => void; onClose: () => void }) {
  const { t, locale } = useI18n();
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  return (
    <div className="fixed inset-0 z-40 flex items-center justify-center bg-black/60 p-6" role="presentation">
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby="k-lang-title"
        className="w-full max-w-xl rounded-3xl border-2 border-(--k-border-strong) bg-(--k-surface) p-8 shadow-2xl"
      >
        <h2 id="k-lang-title" className="mb-6 text-3xl font-bold text-(--k-text)">
          {t("language.title")}
        </h2>
        <div className="grid gap-3">
          {LOCALES.map((l, i) => (
            <KioskButton
              key={l}
              ref={i === 0 ? first : undefined}
              variant={l === locale ? "primary" : "secondary"}
              lang={INTL_TAGS[l]}
              aria-pressed={l === locale}
              onClick={() => onChoose(l)}
            >
              {LOCALE_NATIVE_NAMES[l]}
            </KioskButton>
          ))}
        </div>
        <KioskButton variant="ghost" size="md" className="mt-6 w-full" onClick={onClose}>
          {t("common.back")}
        </KioskButton>
      </div>
    </div>
  );
}

export function Toolbar({
  prefs,
  onPrefsChange,
  onLocaleChange,
}: Pick<FrameProps, "prefs" | "onPrefsChange" | "onLocaleChange">) {
  const { t, locale } = useI18n();
  const [isLanguageOpen, setLanguageOpen] = useState(false);
  return (
    <div role="toolbar" aria-label={t("a11y.toolbar")} className="flex flex-wrap items-center justify-end gap-3">
      {onLocaleChange ? (
        <KioskButton variant="secondary" size="md" onClick={() => setLanguageOpen(true)} aria-haspopup="dialog">
          <GlobeIcon />
          <span>
            <span className="sr-only">{t("a11y.language")}: </span>
            {LOCALE_NATIVE_NAMES[locale]}
          </span>
        </KioskButton>
      ) : null}
      <KioskButton
        variant="secondary"
        size="md"
        aria-pressed={prefs.isLargeText}
        onClick={() => onPrefsChange({ ...prefs, isLargeText: !prefs.isLargeText })}
      >
        <span aria-hidden="true" className="font-black">
          A<span className="text-[1.4em]">A</span>
        </span>
        {t("a11y.largerText")}
      </KioskButton>
      <KioskButton
        variant="secondary"
        size="md"
        aria-pressed={prefs.isHighContrast}
        onClick={() => onPrefsChange({ ...prefs, isHighContrast: !prefs.isHighContrast })}
      >
        <ContrastIcon />
        {t("a11y.highContrast")}
      </KioskButton>
      {isLanguageOpen && onLocaleChange ? (
        <LanguageDialog
          onClose={() => setLanguageOpen(false)}
          onChoose={(l) => {
            onLocaleChange(l);
            setLanguageOpen(false);
          }}
        />
      ) : null}
    </div>
  );
}

/** The standard screen: header (attraction, options), progress, a big title, content, actions. */
export function ScreenFrame({
  title,
  attractionName,
  step,
  prefs,
  onPrefsChange,
  onLocaleChange,
  children,
  footer,
  screenName,
}: FrameProps) {
  return (
    <div className="flex min-h-dvh flex-col bg-(--k-bg) text-(--k-text)" data-screen={screenName}>
      <header className="flex flex-wrap items-center justify-between gap-4 border-b-2 border-(--k-border) bg-(--k-surface) px-8 py-5">
        <p className="text-2xl font-semibold text-(--k-text)">{attractionName ?? ""}</p>
        <Toolbar prefs={prefs} onPrefsChange={onPrefsChange} onLocaleChange={onLocaleChange} />
      </header>
      {step ? (
        <div className="bg-(--k-surface) px-8 pb-5 pt-4">
          <Progress step={step} />
        </div>
      ) : null}
      <main className="flex flex-1 flex-col gap-8 px-8 py-10" aria-labelledby="k-title">
        <h1 id="k-title" tabIndex={-1} className="text-5xl font-bold leading-tight text-(--k-text)">
          {title}
        </h1>
        {children}
      </main>
      {footer ? (
        <footer className="sticky bottom-0 border-t-2 border-(--k-border) bg-(--k-surface) px-8 py-6">{footer}</footer>
      ) : null}
    </div>
  );
}

function GlobeIcon() {
  return (
    <svg aria-hidden="true" viewBox="0 0 24 24" className="h-7 w-7" fill="none" stroke="currentColor" strokeWidth="2">
      <circle cx="12" cy="12" r="9" />
      <path d="M3 12h18M12 3c3 3.5 3 14.5 0 18M12 3c-3 3.5-3 14.5 0 18" />
    </svg>
  );
}

function ContrastIcon() {
  return (
    <svg aria-hidden="true" viewBox="0 0 24 24" className="h-7 w-7">
      <circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" strokeWidth="2" />
      <path d="M12 3a9 9 0 0 1 0 18z" fill="currentColor" />
    </svg>
  );
}
