"use client";
import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import { BridgeClient, type BridgeSnapshot } from "../../../lib/bridge-client.ts";

const IDLE_SNAPSHOT: BridgeSnapshot = {
  connection: "idle",
  devices: null,
  bridgeVersion: null,
  lastCloseReason: null,
  changedAt: 0,
};
const noopSubscribe = () => () => {};
const idle = () => IDLE_SNAPSHOT;

/** One bridge connection for the page's lifetime (restarted if the URL or token changes). */
export function useBridge(
  url: string | null,
  token: string | null,
): { client: BridgeClient | null; snapshot: BridgeSnapshot } {
  const [client, setClient] = useState<BridgeClient | null>(null);
  useEffect(() => {
    if (!url || !token) return;
    const c = new BridgeClient({ url, token });
    c.start();
    setClient(c);
    return () => {
      c.stop();
      setClient(null);
    };
  }, [url, token]);
  const snapshot = useSyncExternalStore(client?.subscribe ?? noopSubscribe, client?.getSnapshot ?? idle, idle);
  return { client, snapshot };
}

const TOKEN_RETRY_MS = 5_000;
/** A bridge that refuses our token (rotated by an admin) makes us ask the server again, at most this often. */
const TOKEN_REFRESH_MIN_MS = 10_000;
/** The bridge's close reason for a token it does not accept (apps/bridge ws-server.ts). */
export const BRIDGE_TOKEN_REFUSED = "invalid pairing token";

/**
 * The device's bridge token, fetched from the server once the page is authenticated (kiosk
 * credential or cashier session); retried while the server cannot answer. Null until then,
 * and when the device has none (the bridge stays unused). `refresh()` asks again (after a
 * rotation the bridge refuses the old token).
 */
export function useDeviceBridgeToken(fetchToken: (() => Promise<{ token: string | null }>) | null): {
  token: string | null;
  refresh: () => void;
} {
  const [token, setToken] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const lastRefresh = useRef(0);
  const isEnabled = fetchToken !== null;
  const fetcher = useRef(fetchToken);
  useEffect(() => {
    fetcher.current = fetchToken;
  });
  useEffect(() => {
    if (!isEnabled) {
      setToken(null);
      return;
    }
    let isCurrent = true;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const attempt = () => {
      const f = fetcher.current;
      if (!f) return;
      f().then(
        (r) => isCurrent && setToken(r.token),
        () => {
          if (isCurrent) retry = setTimeout(attempt, TOKEN_RETRY_MS);
        },
      );
    };
    attempt();
    return () => {
      isCurrent = false;
      clearTimeout(retry);
    };
  }, [isEnabled, fetcher, generation]);
  const [refresh] = useState(() => () => {
    const now = Date.now();
    if (now - lastRefresh.current < TOKEN_REFRESH_MIN_MS) return;
    lastRefresh.current = now;
    setGeneration((g) => g + 1);
  });
  return { token, refresh };
}

/** Asks the server for the device's token again whenever the bridge refuses the current one. */
export function useRefreshOnRefusal(snapshot: BridgeSnapshot, refresh: () => void): void {
  useEffect(() => {
    if (snapshot.lastCloseReason === BRIDGE_TOKEN_REFUSED) refresh();
  }, [snapshot.lastCloseReason, snapshot.changedAt, refresh]);
}
