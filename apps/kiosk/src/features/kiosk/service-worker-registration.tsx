"use client";
import { useEffect } from "react";

/** Registers /sw.js (app-shell cache) so a reload with the network down still shows the kiosk's own screens. */
export function ServiceWorkerRegistration() {
  useEffect(() => {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {
      // Without a service worker the kiosk still works online; only the offline reload is lost.
    });
  }, []);
  return null;
}
