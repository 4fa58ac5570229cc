import { getRuntime } from "@kiosk/api/app-services.ts";
import { metricsHandler } from "@kiosk/api/http-handlers.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const metrics = metricsHandler(getRuntime);
export const GET = (req: Request) => metrics(req);
