import { getRuntime } from "../../../server/app-services.ts";
import { openApiHandler } from "../../../server/http-handlers.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = openApiHandler(getRuntime);
