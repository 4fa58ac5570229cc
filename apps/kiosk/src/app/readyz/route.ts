import { getRuntime } from "../../server/app-services.ts";
import { readyzHandler } from "../../server/http-handlers.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = readyzHandler(getRuntime);
