import { getBridgeToken, getBridgeUrl } from "../../env.ts";
import { KioskApp } from "../../features/kiosk/kiosk-app.tsx";

// The bridge settings are read per request from the server configuration, not baked in at build time.
export const dynamic = "force-dynamic";

export default function KioskPage() {
  return <KioskApp defaultBridgeUrl={getBridgeUrl()} defaultBridgeToken={getBridgeToken()} />;
}
