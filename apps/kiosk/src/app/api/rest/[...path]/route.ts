import { getRuntime } from "../../../../server/app-services.ts";
import { restHandler } from "../../../../server/http-handlers.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const handler = restHandler(getRuntime);
export { handler as GET, handler as POST, handler as PUT, handler as PATCH, handler as DELETE };
