"use client";
import { useEffect, useState, useSyncExternalStore } from "react";
import { BridgeClient, type BridgeSnapshot } from "../../../lib/bridge-client.ts";

const IDLE_SNAPSHOT: BridgeSnapshot = { connection: "idle", devices: null, bridgeVersion: null, lastCloseReason: null, changedAt: 0 };
const noopSubscribe = () => () => {};
const idle = () => IDLE_SNAPSHOT;

/** One bridge connection for the page's lifetime (restarted if the URL or token changes). */
export function useBridge(url: string | null, token: string | null): { client: BridgeClient | null; snapshot: BridgeSnapshot } {
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
