import { getRuntime } from "../../../../server/app-services.ts";
import { notifyHandler } from "../../../../server/http-handlers.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Alipay async notification (MAPI and OpenAPI, form-encoded). Answers "success" only once applied. */
export const POST = notifyHandler(getRuntime);
