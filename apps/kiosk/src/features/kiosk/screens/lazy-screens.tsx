"use client";
/**
 * The screens of a sale, fetched on demand (issue 20: the cold /kiosk load carried every screen
 * of the flow). The attract, language, boot and out-of-service screens ship with the page; the
 * rest load when a visitor starts (LanguageScreen calls `preloadFlowScreens`), or when a reload
 * resumes straight into one of them (the boot screen shows meanwhile).
 *
 * A screen that is already here renders directly, never through Suspense, so moving between
 * screens does not flash the fallback; the choice is made once per mount, so a screen never
 * remounts (and loses its state) because its module arrived.
 */
import { lazy, useState, type ComponentType } from "react";

type Loader<P> = () => Promise<ComponentType<P>>;

function lazyScreen<P extends object>(load: Loader<P>): ComponentType<P> & { preload: () => Promise<void> } {
  let loaded: ComponentType<P> | null = null;
  let loading: Promise<ComponentType<P>> | null = null;
  const fetchOnce = (): Promise<ComponentType<P>> => {
    loading ??= load().then(
      (c) => (loaded = c),
      (e: unknown) => {
        loading = null; // offline for a moment: the next attempt fetches again
        throw e;
      },
    );
    return loading;
  };
  const Lazy = lazy(() => fetchOnce().then((c) => ({ default: c })));
  function Screen(props: P) {
    const [C] = useState<ComponentType<P>>(() => loaded ?? (Lazy as unknown as ComponentType<P>));
    return <C {...props} />;
  }
  Screen.preload = () => fetchOnce().then(() => undefined);
  return Screen;
}

export const TicketsScreen = lazyScreen(() => import("./tickets-screen.tsx").then((m) => m.TicketsScreen));
export const SummaryScreen = lazyScreen(() => import("./summary-screen.tsx").then((m) => m.SummaryScreen));
export const ScanScreen = lazyScreen(() => import("./scan-screen.tsx").then((m) => m.ScanScreen));
export const PayingScreen = lazyScreen(() => import("./paying-screen.tsx").then((m) => m.PayingScreen));
export const SuccessScreen = lazyScreen(() => import("./success-screen.tsx").then((m) => m.SuccessScreen));
export const DoneScreen = lazyScreen(() => import("./done-screen.tsx").then((m) => m.DoneScreen));
export const FailureScreen = lazyScreen(() => import("./failure-screen.tsx").then((m) => m.FailureScreen));
export const SetupScreen = lazyScreen(() => import("./setup-screen.tsx").then((m) => m.SetupScreen));
export const IdleDialog = lazyScreen(() => import("./idle-dialog.tsx").then((m) => m.IdleDialog));

/** Starts fetching every screen of a sale (failures are retried on the next call or render). */
export function preloadFlowScreens(): void {
  for (const s of [
    TicketsScreen,
    SummaryScreen,
    ScanScreen,
    PayingScreen,
    SuccessScreen,
    DoneScreen,
    FailureScreen,
    IdleDialog,
  ])
    s.preload().catch(() => {});
}
