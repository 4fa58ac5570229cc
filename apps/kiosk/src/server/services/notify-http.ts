/**
 * HTTP side of Alipay's asynchronous notifications: form-encoded body in, `success` out only
 * after the notification was verified and durably applied (otherwise Alipay sends it again).
 * Kept apart from the route file so it is tested without Next.js.
 */
import { parseNotificationBody } from "@kiosk/alipay-core";
import type { NotifyService } from "./notify-service.ts";

/** Alipay's acknowledgement body (MAPI and OpenAPI alike). */
export const NOTIFY_ACK = "success";
const MAX_BODY_BYTES = 64 * 1024;

export async function handleNotifyRequest(request: Request, notify: NotifyService): Promise<Response> {
  const text = await request.text();
  if (text.length > MAX_BODY_BYTES) return new Response("fail", { status: 413 });
  let params: Record<string, string>;
  try {
    params = parseNotificationBody(text);
  } catch {
    return new Response("fail", { status: 400 });
  }
  const outcome = await notify.handle(params);
  if (!outcome.ack) return new Response("fail", { status: 400, headers: { "content-type": "text/plain" } });
  return new Response(NOTIFY_ACK, { status: 200, headers: { "content-type": "text/plain" } });
}
