import { getBridgeUrl } from "@kiosk/api/env.ts";
import { KioskApp } from "../../features/kiosk/kiosk-app.tsx";

// The bridge URL is read per request from the server configuration; the bridge token is never in the page (the page fetches it after authenticating).
export const dynamic = "force-dynamic";

export default function KioskPage() {
  return <KioskApp defaultBridgeUrl={getBridgeUrl()} />;
}
