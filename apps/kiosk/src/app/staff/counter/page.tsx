import { getBridgeUrl } from "@kiosk/api/env.ts";
import { CounterView } from "../../../features/counter/counter-view.tsx";

// The bridge settings are read per request from the server configuration, as on the kiosk page.
export const dynamic = "force-dynamic";

export default function Page() {
  return <CounterView bridgeUrl={getBridgeUrl()} />;
}
