/**
 * Response headers every page and endpoint carries (docs/security.md): a Content Security
 * Policy (scripts and styles from us only, connections to us and to the device bridge on this
 * machine's loopback, never framed), nosniff, no Referer to other sites, camera for us only,
 * and HSTS when the public URL is https. Applied by src/proxy.ts (Next) and by the server
 * without Next (http-handlers.ts apiRequestHandler).
 */
export interface SecurityHeaderOptions {
  /** PUBLIC_URL: HSTS is sent only when it is https. */
  publicUrl: string;
  /** BRIDGE_URL: its origin is allowed as a WebSocket target besides loopback. */
  bridgeUrl?: string;
  /** Next's development server needs eval for its refresh runtime. */
  isDevelopment?: boolean;
}

const LOOPBACK_WS = ["ws://127.0.0.1:*", "ws://localhost:*", "ws://[::1]:*"];

function originOf(url: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

export function contentSecurityPolicy(opts: SecurityHeaderOptions): string {
  const bridge = originOf(opts.bridgeUrl);
  const connect = [
    "'self'",
    ...LOOPBACK_WS,
    ...(bridge && bridge !== "null" && !LOOPBACK_WS.some((p) => bridge.startsWith(p.slice(0, -2))) ? [bridge] : []),
  ];
  return [
    "default-src 'self'",
    // Next's App Router streams its payload in inline <script> tags; no nonce without dynamic-only rendering.
    `script-src 'self' 'unsafe-inline'${opts.isDevelopment ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "media-src 'self' blob:",
    "worker-src 'self' blob:",
    `connect-src ${connect.join(" ")}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function securityHeaders(opts: SecurityHeaderOptions): Record<string, string> {
  return {
    "content-security-policy": contentSecurityPolicy(opts),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(self), microphone=(), geolocation=(), payment=()",
    "cross-origin-opener-policy": "same-origin",
    ...(opts.publicUrl.startsWith("https://")
      ? { "strict-transport-security": "max-age=31536000; includeSubDomains" }
      : {}),
  };
}

/** Copies the headers onto a response (keeping any the handler set itself). */
export function withSecurityHeaders(response: Response, headers: Record<string, string>): Response {
  for (const [name, value] of Object.entries(headers)) {
    if (!response.headers.has(name)) {
      try {
        response.headers.set(name, value);
      } catch {
        // Immutable headers (a fetched Response): wrap it.
        const copy = new Response(response.body, response);
        for (const [n, v] of Object.entries(headers)) if (!copy.headers.has(n)) copy.headers.set(n, v);
        return copy;
      }
    }
  }
  return response;
}
