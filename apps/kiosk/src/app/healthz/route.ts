import { healthzHandler } from "../../server/http-handlers.ts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function GET(): Response {
  return healthzHandler();
}
