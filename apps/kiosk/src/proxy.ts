/**
 * Next's request proxy (Node.js runtime): adds the security headers (server/security-headers.ts)
 * to pages, read per request from the server's configuration. Not on /api: with a proxy in
 * front, Next buffers a request's body so both can read it, which would defeat the route
 * handlers' own body limits; the API handlers set the same headers themselves
 * (http-handlers.ts).
 */
import { NextResponse, type NextRequest } from "next/server";
import { getHeaderConfig } from "@kiosk/api/env.ts";
import { securityHeaders } from "@kiosk/api/security-headers.ts";

export function proxy(request: NextRequest): NextResponse {
  void request;
  const response = NextResponse.next();
  const headers = securityHeaders(getHeaderConfig());
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

export const config = {
  matcher: ["/((?!api/).*)"],
};
