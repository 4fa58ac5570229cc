/**
 * Next's request proxy (Node.js runtime): adds the security headers (server/security-headers.ts)
 * to every page and route response, read per request from the server's configuration.
 */
import { NextResponse, type NextRequest } from "next/server";
import { getHeaderConfig } from "./env.ts";
import { securityHeaders } from "./server/security-headers.ts";

export function proxy(request: NextRequest): NextResponse {
  void request;
  const response = NextResponse.next();
  const headers = securityHeaders(getHeaderConfig());
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}
