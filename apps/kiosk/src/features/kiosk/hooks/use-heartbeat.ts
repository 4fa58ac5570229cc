"use client";
import { useEffect, useRef, useState } from "react";
import type { BridgeSnapshot } from "../../../lib/bridge-client.ts";
import { trpcErrorCode, useTRPCClient } from "../../../lib/trpc.tsx";

export interface ServerHealth {
  isReachable: boolean;
  isInService: boolean;
}

/** How often to retry while the server is unreachable or the kiosk is out of service (fast recovery). */
const RECOVERY_INTERVAL_MS = 3_000;
/** Device changes are reported at once, but not more often than this. */
const MIN_GAP_MS = 1_500;
export const APP_VERSION = "kiosk-ui/1";

/**
 * Sends `fleet.heartbeat` with the device status every `intervalMs` (and soon after any
 * device change); its answer says whether the kiosk may sell. A failed call means the
 * server is unreachable; UNAUTHORIZED means the credential was revoked (re-pair).
 */
export function useHeartbeat(opts: {
  isEnabled: boolean;
  bridge: BridgeSnapshot;
  screen: string;
  intervalMs: number;
  onUnauthorized: () => void;
}): ServerHealth | null {
  const client = useTRPCClient();
  const [health, setHealth] = useState<ServerHealth | null>(null);
  const latest = useRef(opts);
  latest.current = opts;
  const lastSentAt = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const healthRef = useRef<ServerHealth | null>(null);
  const beatRef = useRef<() => void>(() => {});

  useEffect(() => {
    if (!opts.isEnabled) return;
    let isActive = true;
    const schedule = (ms: number) => {
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(() => beatRef.current(), ms);
    };
    const beat = async () => {
      if (!isActive) return;
      lastSentAt.current = Date.now();
      const o = latest.current;
      const b = o.bridge;
      let next: ServerHealth;
      try {
        const r = await client.fleet.heartbeat.mutate({
          devices: b.connection === "ready" ? b.devices : null,
          isBridgeConnected: b.connection === "ready",
          appVersion: APP_VERSION,
          bridgeVersion: b.bridgeVersion,
          screen: o.screen.slice(0, 32),
        });
        next = { isReachable: true, isInService: r.isInService };
      } catch (error) {
        if (trpcErrorCode(error) === "UNAUTHORIZED") {
          o.onUnauthorized();
          return;
        }
        next = { isReachable: false, isInService: healthRef.current?.isInService ?? true };
      }
      if (!isActive) return;
      healthRef.current = next;
      setHealth((prev) =>
        prev && prev.isReachable === next.isReachable && prev.isInService === next.isInService ? prev : next,
      );
      schedule(next.isReachable && next.isInService ? latest.current.intervalMs : RECOVERY_INTERVAL_MS);
    };
    beatRef.current = () => void beat();
    void beat();
    const onOnline = () => void beat();
    window.addEventListener("online", onOnline);
    return () => {
      isActive = false;
      window.removeEventListener("online", onOnline);
      if (timer.current) clearTimeout(timer.current);
    };
  }, [client, opts.isEnabled]);

  // Report device changes promptly so staff (and our own service status) see them.
  const devicesKey = JSON.stringify([opts.bridge.connection === "ready", opts.bridge.devices]);
  useEffect(() => {
    if (!opts.isEnabled) return;
    const wait = Math.max(0, MIN_GAP_MS - (Date.now() - lastSentAt.current));
    const id = setTimeout(() => beatRef.current(), wait);
    return () => clearTimeout(id);
  }, [devicesKey, opts.isEnabled]);

  return health;
}
