import { healthzHandler } from "@kiosk/api/http-handlers.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function GET(): Response {
  return healthzHandler();
}
