import { getRuntime } from "@kiosk/api/app-services.ts";
import { partnerHandler } from "@kiosk/api/http-handlers.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const handler = partnerHandler(getRuntime);
export { handler as GET, handler as POST };
