import { getRuntime } from "@kiosk/api/app-services.ts";
import { restHandler } from "@kiosk/api/http-handlers.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const handler = restHandler(getRuntime);
export { handler as GET, handler as POST, handler as PUT, handler as PATCH, handler as DELETE };
