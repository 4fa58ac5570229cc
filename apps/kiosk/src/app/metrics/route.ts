import { getRuntime } from "../../server/app-services.ts";
import { metricsHandler } from "../../server/http-handlers.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = metricsHandler(getRuntime);
