"use client";
import { useEffect, useRef, useState } from "react";
import type { BridgeClient } from "../../../lib/bridge-client.ts";

/**
 * Arms the bridge's scanner while `isEnabled` (and re-arms when `rearmKey` changes), so a
 * stray scan at any other moment never pays; every scan goes to the latest `onScan`.
 * Returns whether the bridge acknowledged the arm.
 */
export function useArmedScanner(opts: {
  bridge: BridgeClient | null;
  isEnabled: boolean;
  armMs: number;
  rearmKey: string;
  onScan: (data: string) => void;
}): boolean {
  const { bridge, isEnabled, rearmKey } = opts;
  const [isArmed, setArmed] = useState(false);
  const latest = useRef(opts);
  latest.current = opts;
  useEffect(() => {
    if (!bridge || !isEnabled) return;
    let isCurrent = true;
    bridge
      .armScanner(latest.current.armMs)
      .then(() => isCurrent && setArmed(true))
      .catch(() => isCurrent && setArmed(false));
    const off = bridge.onScan((scan) => latest.current.onScan(scan.data.trim()));
    return () => {
      isCurrent = false;
      off();
      setArmed(false);
      bridge.disarmScanner().catch(() => {});
    };
  }, [bridge, isEnabled, rearmKey]);
  return isArmed;
}
