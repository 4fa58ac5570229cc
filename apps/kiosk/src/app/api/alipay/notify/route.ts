import { getRuntime } from "@kiosk/api/app-services.ts";
import { notifyHandler } from "@kiosk/api/http-handlers.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Alipay async notification (MAPI and OpenAPI, form-encoded). Answers "success" only once applied. */
export const POST = notifyHandler(getRuntime);
