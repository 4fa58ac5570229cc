/**
 * The kiosk page's script (issue 20: the cold /kiosk load). `/kiosk` is a server-rendered page
 * that ships none of Next's client runtime (src/pages/kiosk.tsx); this module, bundled on its own
 * by scripts/build-kiosk-client.mjs, starts the kiosk app in the page's root element, which
 * holds the server-rendered boot screen until the first render replaces it.
 */
import { createRoot } from "react-dom/client";
import { KioskTrpcProvider } from "../../lib/trpc.tsx";
import { KioskApp } from "./kiosk-app.tsx";
import { KIOSK_ROOT_ID } from "./page-shell.ts";
import { ServiceWorkerRegistration } from "./service-worker-registration.tsx";

const root = document.getElementById(KIOSK_ROOT_ID);
if (root) {
  createRoot(root).render(
    <KioskTrpcProvider>
      <ServiceWorkerRegistration />
      <KioskApp defaultBridgeUrl={root.dataset.bridgeUrl ?? ""} />
    </KioskTrpcProvider>,
  );
}
