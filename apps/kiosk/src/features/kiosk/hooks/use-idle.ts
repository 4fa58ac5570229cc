"use client";
import { useEffect, useRef, useState } from "react";

/**
 * Watches for touches while `isWatched`: after `idleMs` without one, `onWarn`; then, if
 * nobody answers the prompt within `countdownMs`, `onTimeout`. Returns when the prompt
 * will time out (for its countdown), or null.
 */
export function useIdle(opts: { resetKey: string; isWatched: boolean; isPrompting: boolean; idleMs: number; countdownMs: number; onWarn: () => void; onTimeout: () => void }): number | null {
  const latest = useRef(opts);
  latest.current = opts;
  const [activityAt, setActivityAt] = useState(() => Date.now());
  const [promptDeadline, setPromptDeadline] = useState<number | null>(null);

  useEffect(() => {
    let last = 0;
    const onActivity = () => {
      const now = Date.now();
      if (now - last < 250) return;
      last = now;
      if (!latest.current.isPrompting) setActivityAt(now);
    };
    const events = ["pointerdown", "keydown", "touchstart", "wheel"] as const;
    for (const e of events) window.addEventListener(e, onActivity, { passive: true, capture: true });
    return () => {
      for (const e of events) window.removeEventListener(e, onActivity, { capture: true });
    };
  }, []);

  // A new screen counts as activity: the visitor gets the full time on it.
  useEffect(() => setActivityAt(Date.now()), [opts.resetKey]);

  useEffect(() => {
    if (!opts.isWatched || opts.isPrompting) return;
    const id = setTimeout(() => latest.current.onWarn(), Math.max(0, activityAt + opts.idleMs - Date.now()));
    return () => clearTimeout(id);
  }, [opts.isWatched, opts.isPrompting, opts.idleMs, activityAt]);

  useEffect(() => {
    if (!opts.isPrompting) {
      setPromptDeadline(null);
      setActivityAt(Date.now());
      return;
    }
    const deadline = Date.now() + opts.countdownMs;
    setPromptDeadline(deadline);
    const id = setTimeout(() => latest.current.onTimeout(), opts.countdownMs);
    return () => clearTimeout(id);
  }, [opts.isPrompting, opts.countdownMs]);

  return promptDeadline;
}
