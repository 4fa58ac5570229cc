/**
 * Checks that run before a handler reads or acts on a request (docs/security.md):
 * - bodies are read against a byte limit, refusing on Content-Length before reading and
 *   stopping the stream at the limit otherwise (Next hands route handlers an unbounded stream);
 * - a cookie-authenticated (staff browser) mutation must come from our own origin, so another
 *   site on the same host name (SameSite=Lax does not stop same-site posts) cannot act with
 *   the staff member's session.
 */
import { SESSION_COOKIE } from "./auth/tokens.ts";

/** tRPC and REST request bodies (JSON inputs are small; the largest are catalog edits). */
export const MAX_API_BODY_BYTES = 1024 * 1024;
export { MAX_TRPC_BATCH_SIZE } from "./limits.ts";

/**
 * The body as bytes, or null when it is larger than `maxBytes` (nothing beyond the limit is
 * buffered: the stream is cancelled there).
 */
export async function readBodyLimited(req: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const declared = req.headers.get("content-length");
  if (declared !== null && (!/^\d+$/.test(declared) || Number(declared) > maxBytes)) {
    await req.body?.cancel().catch(() => undefined);
    return null;
  }
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** The request with its body read under the limit (a fresh, replayable Request), or a 413 answer. */
export async function withLimitedBody(req: Request, maxBytes: number): Promise<Request | Response> {
  if (req.method === "GET" || req.method === "HEAD") return req;
  const body = await readBodyLimited(req, maxBytes);
  if (body === null) return Response.json({ error: "payload_too_large", maxBytes }, { status: 413 });
  return new Request(req.url, {
    method: req.method,
    headers: req.headers,
    signal: req.signal,
    ...(body.byteLength > 0 ? { body } : {}),
  });
}

function hasSessionCookie(req: Request): boolean {
  return (req.headers.get("cookie") ?? "").split(";").some((part) => part.trim().startsWith(`${SESSION_COOKIE}=`));
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/**
 * 403 for a state-changing request that carries the staff session cookie but comes from
 * another origin (by `Origin`, or by `Sec-Fetch-Site` when a browser sent no Origin). Bearer
 * clients (kiosks, booking systems) send no cookie and are not affected.
 */
export function crossOriginRefusal(req: Request, publicUrl: string): Response | null {
  if (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS") return null;
  if (!hasSessionCookie(req)) return null;
  const allowed = new Set([originOf(publicUrl), originOf(req.url)].filter((o): o is string => o !== null));
  const origin = req.headers.get("origin");
  const fetchSite = req.headers.get("sec-fetch-site");
  const isForeign =
    origin !== null ? !allowed.has(origin) : fetchSite !== null && fetchSite !== "same-origin" && fetchSite !== "none";
  return isForeign
    ? Response.json(
        {
          error: "cross_origin_request",
          message: "State-changing requests with the staff session must come from this site.",
        },
        { status: 403 },
      )
    : null;
}
