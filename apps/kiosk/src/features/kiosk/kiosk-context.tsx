"use client";
import { createContext, useContext, type Dispatch } from "react";
import type { BridgeClient, BridgeSnapshot } from "../../lib/bridge-client.ts";
import type { Locale } from "../../lib/i18n/locales.ts";
import type { Catalog } from "./api-types.ts";
import type { KioskEvent, KioskState } from "./flow/kiosk-machine.ts";
import type { KioskConfig } from "./session-store.ts";
import type { DisplayPrefs } from "./ui/screen-frame.tsx";

export interface KioskContextValue {
  state: KioskState;
  dispatch: Dispatch<KioskEvent>;
  config: KioskConfig;
  /** Today's catalog (attraction, ticket types); null until loaded. */
  catalog: Catalog | null;
  bridge: BridgeClient | null;
  bridgeSnapshot: BridgeSnapshot;
  prefs: DisplayPrefs;
  setPrefs: (p: DisplayPrefs) => void;
  setLocale: (l: Locale) => void;
}

export const KioskContext = createContext<KioskContextValue | null>(null);

export function useKiosk(): KioskContextValue {
  const v = useContext(KioskContext);
  if (!v) throw new Error("useKiosk outside KioskApp");
  return v;
}

/** The props every ScreenFrame needs from the kiosk context. */
export function useFrameProps() {
  const k = useKiosk();
  return {
    attractionName: k.catalog ? pickName(k.catalog, k.state.locale) : null,
    prefs: k.prefs,
    onPrefsChange: k.setPrefs,
    onLocaleChange: k.setLocale,
  };
}

function pickName(c: Catalog, locale: Locale): string {
  return c.attraction.nameI18n[locale] ?? c.attraction.nameI18n.en ?? c.attraction.name;
}
