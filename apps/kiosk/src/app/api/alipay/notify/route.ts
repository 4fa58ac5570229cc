import { getAppServices } from "../../../../server/app-services.ts";
import { handleNotifyRequest } from "../../../../server/services/notify-http.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Alipay async notification (MAPI and OpenAPI, form-encoded). Answers "success" only once applied. */
export async function POST(request: Request): Promise<Response> {
  const services = await getAppServices();
  return handleNotifyRequest(request, services.money.notify);
}
