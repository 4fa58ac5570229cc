/**
 * HTTP side of Alipay's asynchronous notifications: form-encoded body in, `success` out only
 * after the notification was verified and durably applied (otherwise Alipay sends it again).
 * Kept apart from the route file so it is tested without Next.js.
 */
import { ANTOM_NOTIFICATION_ACK_BODY, parseNotificationBody } from "@kiosk/alipay-core";
import { readBodyLimited } from "../request-guards.ts";
import type { NotifyService } from "./notify-service.ts";

/** Alipay's acknowledgement body (MAPI and OpenAPI alike). */
export const NOTIFY_ACK = "success";
const MAX_BODY_BYTES = 64 * 1024;

/** Not applied (the database is away or timed out): 503, so the gateway sends it again later. */
function unavailable(): Response {
  return new Response("fail", { status: 503, headers: { "content-type": "text/plain", "retry-after": "30" } });
}

export async function handleNotifyRequest(request: Request, notify: NotifyService): Promise<Response> {
  // Refused on Content-Length before reading, or at the limit while reading: never buffered whole.
  const body = await readBodyLimited(request, MAX_BODY_BYTES);
  if (body === null) return new Response("fail", { status: 413, headers: { "content-type": "text/plain" } });
  const text = new TextDecoder().decode(body);
  // Antom's notifyPayment: a JSON body signed in headers; the client verifies the exact text.
  const antomSignature = request.headers.get("signature");
  if (antomSignature !== null && (request.headers.get("content-type") ?? "").includes("json")) {
    let outcome: Awaited<ReturnType<NotifyService["handle"]>>;
    try {
      outcome = await notify.handle({
        path: new URL(request.url).pathname,
        body: text,
        signature: antomSignature,
        "request-time": request.headers.get("request-time") ?? "",
        "client-id": request.headers.get("client-id") ?? "",
      });
    } catch {
      return unavailable();
    }
    return outcome.ack
      ? new Response(ANTOM_NOTIFICATION_ACK_BODY, { status: 200, headers: { "content-type": "application/json" } })
      : new Response("fail", { status: 400, headers: { "content-type": "text/plain" } });
  }
  let params: Record<string, string>;
  try {
    params = parseNotificationBody(text);
  } catch {
    return new Response("fail", { status: 400 });
  }
  let outcome: Awaited<ReturnType<NotifyService["handle"]>>;
  try {
    outcome = await notify.handle(params);
  } catch {
    return unavailable();
  }
  if (!outcome.ack) return new Response("fail", { status: 400, headers: { "content-type": "text/plain" } });
  return new Response(NOTIFY_ACK, { status: 200, headers: { "content-type": "text/plain" } });
}
