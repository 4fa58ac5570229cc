"use client";
/**
 * The kiosk page: wires the pure screen machine to the world. Hooks turn the bridge, the
 * server (heartbeats, payment follow), time (idle) and touches into events; effects react
 * to the resulting state (cancel an abandoned order, remember the payment for a reload).
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Suspense, useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { INTL_TAGS, type Locale } from "../../lib/i18n/locales.ts";
import { deviceCredential, useTRPC, useTRPCClient } from "../../lib/trpc.tsx";
import { computeService, sameService } from "./flow/health.ts";
import { heldOrderId, INITIAL_STATE, isIdleWatched, kioskReducer, type ServiceStatus } from "./flow/kiosk-machine.ts";
import { useBridge, useDeviceBridgeToken, useRefreshOnRefusal } from "./hooks/use-bridge.ts";
import { useHeartbeat } from "./hooks/use-heartbeat.ts";
import { useIdle } from "./hooks/use-idle.ts";
import { I18nProvider } from "./i18n-context.tsx";
import { KioskContext, useKiosk, type KioskContextValue } from "./kiosk-context.tsx";
import { AttractScreen } from "./screens/attract-screen.tsx";
import { BootScreen } from "./screens/boot-screen.tsx";
import { LanguageScreen } from "./screens/language-screen.tsx";
import {
  DoneScreen,
  FailureScreen,
  IdleDialog,
  PayingScreen,
  ScanScreen,
  SetupScreen,
  SuccessScreen,
  SummaryScreen,
  TicketsScreen,
} from "./screens/lazy-screens.tsx";
import { OutOfServiceScreen } from "./screens/out-of-service-screen.tsx";
import { loadResume, readConfig, saveResume, type KioskConfig } from "./session-store.ts";
import { useNow } from "./ui/use-now.ts";
import type { DisplayPrefs } from "./ui/screen-frame.tsx";

const DEFAULT_PREFS: DisplayPrefs = { isLargeText: false, isHighContrast: false };
const RESUME_WAIT_MS = 8_000;

export function KioskApp({ defaultBridgeUrl }: { defaultBridgeUrl: string }) {
  const [config, setConfig] = useState<KioskConfig | null>(null);
  const [isPaired, setPaired] = useState<boolean | null>(null);
  useEffect(() => {
    setConfig(readConfig(window.location.search, { url: defaultBridgeUrl }));
    setPaired(deviceCredential.get() !== null);
  }, [defaultBridgeUrl]);

  if (!config || isPaired === null) return <BootScreen />;
  if (!isPaired)
    return (
      <Suspense fallback={<BootScreen />}>
        <SetupScreen initialCode={config.pairingCode} onPaired={() => setPaired(true)} />
      </Suspense>
    );
  return (
    <PairedKiosk
      config={config}
      onUnpaired={() => {
        deviceCredential.clear();
        setPaired(false);
      }}
    />
  );
}

function PairedKiosk({ config, onUnpaired }: { config: KioskConfig; onUnpaired: () => void }) {
  const trpc = useTRPC();
  const trpcClient = useTRPCClient();
  const [state, dispatch] = useReducer(kioskReducer, INITIAL_STATE);
  const [prefs, setPrefs] = useState<DisplayPrefs>(DEFAULT_PREFS);
  const { token: bridgeToken, refresh: refreshBridgeToken } = useDeviceBridgeToken(() =>
    trpcClient.fleet.bridgeToken.mutate(),
  );
  const { client: bridge, snapshot: bridgeSnapshot } = useBridge(config.bridgeUrl, bridgeToken);
  useRefreshOnRefusal(bridgeSnapshot, refreshBridgeToken);
  const [startedAt] = useState(() => Date.now());
  const screen = state.screen;

  // ---- health → service status
  const server = useHeartbeat({
    isEnabled: true,
    bridge: bridgeSnapshot,
    screen: screen.name,
    intervalMs: config.heartbeatMs,
    onUnauthorized: onUnpaired,
  });
  const now = useNow(1000);
  const [isOnline, setOnline] = useState(true);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    update();
    window.addEventListener("online", update);
    window.addEventListener("offline", update);
    return () => {
      window.removeEventListener("online", update);
      window.removeEventListener("offline", update);
    };
  }, []);
  const service = computeService({ server, bridge: bridgeSnapshot, startedAt, now, isBrowserOnline: isOnline });
  const lastService = useRef<ServiceStatus>(INITIAL_STATE.service);
  useEffect(() => {
    if (sameService(lastService.current, service)) return;
    lastService.current = service;
    dispatch({ type: "service_changed", service });
  });

  // ---- catalog (attraction name, ticket types) for every screen
  const catalogQuery = useQuery({
    ...trpc.catalog.forKiosk.queryOptions(),
    enabled: server?.isReachable === true,
    refetchInterval: 60_000,
  });
  const catalog = catalogQuery.data ?? null;

  // ---- boot: resume the payment a reload interrupted (the server says where it is)
  useEffect(() => {
    if (screen.name !== "boot") return;
    const pointer = loadResume();
    if (!pointer) {
      dispatch({ type: "booted", resume: null });
      return;
    }
    let isCurrent = true;
    const giveUp = setTimeout(() => isCurrent && dispatch({ type: "booted", resume: null }), RESUME_WAIT_MS);
    const tryResume = async (attempt: number): Promise<void> => {
      try {
        const payment = await trpcClient.payment.status.query({ paymentId: pointer.paymentId });
        if (!isCurrent) return;
        clearTimeout(giveUp);
        dispatch({
          type: "booted",
          resume: {
            locale: pointer.locale,
            orderId: pointer.orderId,
            payment: { ...payment, isCancelledByVisitor: pointer.isCancelledByVisitor },
          },
        });
      } catch {
        if (isCurrent && attempt < 6) {
          await new Promise((r) => setTimeout(r, 1000));
          return tryResume(attempt + 1);
        }
      }
    };
    void tryResume(0);
    return () => {
      isCurrent = false;
      clearTimeout(giveUp);
    };
  }, [screen.name, trpcClient]);

  // ---- remember the payment being followed, so a reload comes back to it
  useEffect(() => {
    if (screen.name === "paying" || screen.name === "success") {
      saveResume({
        orderId: screen.orderId,
        paymentId: screen.paymentId,
        locale: state.locale,
        isCancelledByVisitor: screen.name === "paying" && screen.isCancelledByVisitor,
      });
    } else if (screen.name !== "boot" && screen.name !== "out_of_service") {
      saveResume(null);
    }
  }, [screen, state.locale]);

  // ---- give back the places of an order the visitor walked away from
  const previousHeld = useRef<string | null>(null);
  useEffect(() => {
    const held = heldOrderId(screen);
    const prev = previousHeld.current;
    previousHeld.current = held;
    if (!prev || prev === held) return;
    // A payment owns the order from here on: the server releases it if the payment fails.
    const isOwnedByPayment =
      (screen.name === "paying" ||
        screen.name === "success" ||
        (screen.name === "failure" && screen.paymentId !== null)) &&
      screen.orderId === prev;
    if (!isOwnedByPayment) trpcClient.order.cancel.mutate({ orderId: prev }).catch(() => {});
  }, [screen, trpcClient]);

  // ---- idle
  const screenKey = `${screen.name}:${"orderId" in screen ? screen.orderId : ""}`;
  const promptDeadline = useIdle({
    resetKey: screenKey,
    isWatched: isIdleWatched(screen),
    isPrompting: state.isIdlePrompt,
    idleMs: config.idleMs,
    countdownMs: config.idleCountdownMs,
    onWarn: () => dispatch({ type: "idle_warning" }),
    onTimeout: () => dispatch({ type: "idle_timeout" }),
  });

  // ---- a new visitor: forget the last one's orders, payments and tickets (cached queries and
  // finished mutations would otherwise each keep a garbage-collection timer and their data for
  // minutes: over weeks of sales that is memory and timers the page never needed; kiosk-soak.e2e.ts)
  const queryClient = useQueryClient();
  useEffect(() => {
    if (screen.name !== "attract") return;
    const catalogKey = JSON.stringify(trpc.catalog.forKiosk.queryKey());
    queryClient.removeQueries({ type: "inactive", predicate: (q) => JSON.stringify(q.queryKey) !== catalogKey });
    queryClient.getMutationCache().clear();
  }, [screen.name, queryClient, trpc]);

  // ---- display preferences reset for each new visitor
  useEffect(() => {
    if (screen.name === "attract") setPrefs(DEFAULT_PREFS);
  }, [screen.name]);
  useEffect(() => {
    const html = document.documentElement;
    html.lang = INTL_TAGS[state.locale];
    html.dataset.kioskText = prefs.isLargeText ? "large" : "normal"; // the type scale is in kiosk.css (it also depends on the screen's shape)
    html.dataset.kioskContrast = prefs.isHighContrast ? "high" : "normal";
  }, [state.locale, prefs]);
  useEffect(() => {
    document.getElementById("k-title")?.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }, [screen.name]);

  const setLocale = useCallback((l: Locale) => dispatch({ type: "locale_changed", locale: l }), []);
  const value: KioskContextValue = useMemo(
    () => ({ state, dispatch, config, catalog, bridge, bridgeSnapshot, prefs, setPrefs, setLocale }),
    [state, config, catalog, bridge, bridgeSnapshot, prefs, setLocale],
  );

  return (
    <KioskContext.Provider value={value}>
      <I18nProvider locale={state.locale}>
        <div
          className="k-root"
          data-contrast={prefs.isHighContrast ? "high" : "normal"}
          data-large-text={prefs.isLargeText}
          data-kiosk-screen={screen.name}
          lang={INTL_TAGS[state.locale]}
        >
          {/* The screens of a sale load on demand (screens/lazy-screens.tsx). */}
          <Suspense fallback={<BootScreen />}>
            <CurrentScreen />
          </Suspense>
          {state.isIdlePrompt && promptDeadline !== null ? (
            <Suspense fallback={null}>
              <IdleDialog
                deadline={promptDeadline}
                onStay={() => dispatch({ type: "idle_dismissed" })}
                onReset={() => dispatch({ type: "idle_timeout" })}
              />
            </Suspense>
          ) : null}
        </div>
      </I18nProvider>
    </KioskContext.Provider>
  );
}

function CurrentScreen() {
  const { state } = useKiosk();
  const s = state.screen;
  switch (s.name) {
    case "boot":
      return <BootScreen />;
    case "attract":
      return <AttractScreen />;
    case "language":
      return <LanguageScreen />;
    case "tickets":
      return <TicketsScreen notice={s.notice} />;
    case "summary":
      return <SummaryScreen key={s.orderId ?? "new"} orderId={s.orderId} />;
    case "scan":
      return <ScanScreen orderId={s.orderId} />;
    case "paying":
      return <PayingScreen paymentId={s.paymentId} phase={s.phase} />;
    case "success":
      return (
        <SuccessScreen
          orderId={s.orderId}
          paymentId={s.paymentId}
          isPrintingDone={s.isPrintingDone}
          hasPrintFailures={s.hasPrintFailures}
        />
      );
    case "done":
      return <DoneScreen />;
    case "failure":
      return <FailureScreen reason={s.reason} orderId={s.orderId} paymentId={s.paymentId} />;
    case "out_of_service":
      return <OutOfServiceScreen />;
  }
}
