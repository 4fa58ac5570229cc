"use client";
import { useEffect, useRef, useState } from "react";

/**
 * Watches for touches while `isWatched`: after `idleMs` without one, `onWarn`; then, if
 * nobody answers the prompt within `countdownMs`, `onTimeout`. A new screen and the end of
 * a prompt count as activity. Returns when the prompt will time out (for its countdown), or null.
 */
export function useIdle(opts: {
  resetKey: string;
  isWatched: boolean;
  isPrompting: boolean;
  idleMs: number;
  countdownMs: number;
  onWarn: () => void;
  onTimeout: () => void;
}): number | null {
  const latest = useRef(opts);
  latest.current = opts;
  const lastActivity = useRef(Date.now());
  const wasPrompting = useRef(false);
  const [activityTick, setActivityTick] = useState(0);
  const [promptDeadline, setPromptDeadline] = useState<number | null>(null);

  useEffect(() => {
    let last = 0;
    const onActivity = () => {
      const now = Date.now();
      if (latest.current.isPrompting || now - last < 250) return;
      last = now;
      lastActivity.current = now;
      setActivityTick((n) => n + 1);
    };
    const events = ["pointerdown", "keydown", "touchstart", "wheel"] as const;
    for (const e of events) window.addEventListener(e, onActivity, { passive: true, capture: true });
    return () => {
      for (const e of events) window.removeEventListener(e, onActivity, { capture: true });
    };
  }, []);

  useEffect(() => {
    lastActivity.current = Date.now();
  }, [opts.resetKey]);

  useEffect(() => {
    if (wasPrompting.current && !opts.isPrompting) lastActivity.current = Date.now();
    wasPrompting.current = opts.isPrompting;
    if (!opts.isWatched || opts.isPrompting) return;
    const id = setTimeout(() => latest.current.onWarn(), Math.max(0, lastActivity.current + opts.idleMs - Date.now()));
    return () => clearTimeout(id);
  }, [opts.isWatched, opts.isPrompting, opts.idleMs, opts.resetKey, activityTick]);

  useEffect(() => {
    if (!opts.isPrompting) {
      setPromptDeadline(null);
      return;
    }
    const deadline = Date.now() + opts.countdownMs;
    setPromptDeadline(deadline);
    const id = setTimeout(() => latest.current.onTimeout(), opts.countdownMs);
    return () => clearTimeout(id);
  }, [opts.isPrompting, opts.countdownMs]);

  return promptDeadline;
}
