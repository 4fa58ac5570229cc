import { getRuntime } from "@kiosk/api/app-services.ts";
import { openApiHandler } from "@kiosk/api/http-handlers.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = openApiHandler(getRuntime);
