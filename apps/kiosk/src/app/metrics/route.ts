import { getRuntime } from "../../server/app-services.ts";
import { metricsHandler } from "../../server/http-handlers.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const metrics = metricsHandler(getRuntime);
export const GET = (req: Request) => metrics(req);
