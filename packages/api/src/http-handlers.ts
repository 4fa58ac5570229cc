import { createHash, timingSafeEqual } from "node:crypto";
/**
 * The HTTP entry points, as plain (Request) => Response functions over a runtime
 * getter, so tests call them without Next. src/app/** route files only re-export.
 */
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { createOpenApiFetchHandler } from "trpc-to-openapi";
import { getHeaderConfig } from "./env.ts";
import type { AppRuntime } from "./app-services.ts";
import { trustedProxiesOf } from "./client-address.ts";
import { buildOpenApiDocument, REST_ENDPOINT } from "./openapi.ts";
import { checkReadiness } from "./readiness.ts";
import { securityHeaders, withSecurityHeaders } from "./security-headers.ts";
import { crossOriginRefusal, MAX_API_BODY_BYTES, MAX_TRPC_BATCH_SIZE, withLimitedBody } from "./request-guards.ts";
import { PARTNER_ENDPOINT, partnerRequestHandler } from "./partner/http.ts";
import { handleNotifyRequest } from "./services/notify-http.ts";
import { createContextInner, requestAuth, type Context } from "./trpc/context.ts";
import { appRouter } from "./trpc/root.ts";
import { getRestRouter } from "./trpc/rest-router.ts";

export const TRPC_ENDPOINT = "/api/trpc";
export const NOTIFY_ENDPOINT = "/api/alipay/notify";
export const OPENAPI_DOCUMENT_PATH = "/api/openapi.json";

export type RuntimeGetter = () => Promise<AppRuntime>;

const startedAtMs = Date.now();

/**
 * Credentials come only from the Authorization header or the session cookie, never from
 * tRPC's `connectionParams`: on server-sent events those travel in the URL, and so into
 * access logs and proxies. The kiosk page opens its subscriptions with a header
 * (lib/trpc.tsx, an EventSource that can send one).
 */
function contextFor(runtime: AppRuntime, req: Request, resHeaders: Headers): Context {
  return createContextInner({
    services: runtime.services,
    auth: requestAuth(req, trustedProxiesOf(runtime.env.trustedProxies)),
    requestId: req.headers.get("x-request-id") ?? undefined,
    resHeaders,
    isSecureCookies: runtime.env.isSecureCookies,
  });
}

/** The security headers for this server's answers (security-headers.ts). */
function headersFor(runtime: AppRuntime) {
  return securityHeaders(Object.assign({}, getHeaderConfig(), { publicUrl: runtime.env.publicUrl }));
}

function secured(runtime: AppRuntime, response: Response): Response {
  return withSecurityHeaders(response, headersFor(runtime));
}

export function trpcHandler(getRuntime: RuntimeGetter): (req: Request) => Promise<Response> {
  return async (incoming) => secured(await getRuntime(), await handleTrpc(getRuntime, incoming));
}

async function handleTrpc(getRuntime: RuntimeGetter, incoming: Request): Promise<Response> {
  const runtime = await getRuntime();
  const refusal = crossOriginRefusal(incoming, runtime.env.publicUrl);
  if (refusal) return refusal;
  const req = await withLimitedBody(incoming, MAX_API_BODY_BYTES);
  if (req instanceof Response) return req;
  return fetchRequestHandler({
    endpoint: TRPC_ENDPOINT,
    req,
    router: appRouter,
    maxBatchSize: MAX_TRPC_BATCH_SIZE,
    createContext: ({ req: r, resHeaders }) => contextFor(runtime, r, resHeaders),
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR" && !path)
        runtime.services.log.error("tRPC request failed outside a procedure", { error });
    },
  });
}

export function restHandler(getRuntime: RuntimeGetter): (req: Request) => Promise<Response> {
  return async (incoming) => secured(await getRuntime(), await handleRest(getRuntime, incoming));
}

async function handleRest(getRuntime: RuntimeGetter, incoming: Request): Promise<Response> {
  const runtime = await getRuntime();
  const refusal = crossOriginRefusal(incoming, runtime.env.publicUrl);
  if (refusal) return refusal;
  const req = await withLimitedBody(incoming, MAX_API_BODY_BYTES);
  if (req instanceof Response) return req;
  return createOpenApiFetchHandler({
    endpoint: REST_ENDPOINT,
    req,
    router: getRestRouter(),
    createContext: ({ req: r, resHeaders }: { req: Request; resHeaders: Headers }) =>
      contextFor(runtime, r, resHeaders),
  });
}

export function openApiHandler(getRuntime: RuntimeGetter): () => Promise<Response> {
  let cached: string | undefined;
  return async () => {
    const runtime = await getRuntime();
    cached ??= JSON.stringify(buildOpenApiDocument({ publicUrl: runtime.env.publicUrl }));
    return new Response(cached, {
      headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-cache" },
    });
  };
}

/** Liveness: the process answers. No dependencies checked (a DB outage must not restart the server). */
export function healthzHandler(): Response {
  return Response.json(
    { status: "ok", uptimeSec: Math.round((Date.now() - startedAtMs) / 1000) },
    { headers: { "cache-control": "no-store" } },
  );
}

/** Readiness: DB reachable and migrations applied; 503 otherwise. */
export function readyzHandler(getRuntime: RuntimeGetter): () => Promise<Response> {
  return async () => {
    let runtime: AppRuntime;
    try {
      runtime = await getRuntime();
    } catch (e) {
      return Response.json(
        { status: "not_ready", error: e instanceof Error ? e.message : "start-up failed" },
        { status: 503, headers: { "cache-control": "no-store" } },
      );
    }
    const report = await checkReadiness(runtime.services.db, runtime.dbHandle.provider);
    return Response.json(
      { status: report.isReady ? "ready" : "not_ready", ...report.checks },
      { status: report.isReady ? 200 : 503, headers: { "cache-control": "no-store" } },
    );
  };
}

/**
 * Prometheus metrics. With METRICS_TOKEN set, only `Authorization: Bearer <token>`; without
 * one, refused in production (set a token, or scrape a server bound to an internal network).
 */
export function metricsHandler(getRuntime: RuntimeGetter): (req?: Request) => Promise<Response> {
  return async (req) => {
    const runtime = await getRuntime();
    const expected = runtime.env.metricsToken;
    if (expected === null && runtime.env.isProduction) {
      return Response.json(
        { error: "metrics_disabled", message: "Set METRICS_TOKEN to scrape /metrics in production." },
        { status: 403 },
      );
    }
    if (expected !== null && !bearerMatches(req?.headers.get("authorization") ?? null, expected)) {
      return Response.json(
        { error: "unauthorized" },
        { status: 401, headers: { "www-authenticate": 'Bearer realm="metrics"' } },
      );
    }
    const { fleet, metrics } = runtime.services;
    await fleet.countOnline().catch(() => undefined);
    return new Response(await metrics.registry.metrics(), {
      headers: { "content-type": metrics.registry.contentType, "cache-control": "no-store" },
    });
  };
}

function bearerMatches(header: string | null, expected: string): boolean {
  const given = /^Bearer (.+)$/.exec(header ?? "")?.[1] ?? "";
  // Digests have equal length, so the comparison is constant-time whatever was sent.
  return timingSafeEqual(createHash("sha256").update(given).digest(), createHash("sha256").update(expected).digest());
}

/** Alipay's asynchronous notifications (form-encoded; "success" only once applied). */
export function notifyHandler(getRuntime: RuntimeGetter): (req: Request) => Promise<Response> {
  return async (req) => {
    const runtime = await getRuntime();
    return secured(runtime, await handleNotifyRequest(req, runtime.services.money.notify));
  };
}

/** The partner payment API for terminals (issue 18, partner/http.ts), rate-limited per terminal like an API key. */
function partnerOf(getRuntime: RuntimeGetter): (req: Request) => Promise<Response> {
  return partnerRequestHandler(
    async () => (await getRuntime()).services.money.partner,
    async (terminalId) => (await getRuntime()).services.rateLimiter.consume("bookingApi", `terminal:${terminalId}`),
  );
}

export function partnerHandler(getRuntime: RuntimeGetter): (req: Request) => Promise<Response> {
  return async (req) => secured(await getRuntime(), await partnerOf(getRuntime)(req));
}

/**
 * Every server endpoint except the pages, routed by path as the Next app's route files do:
 * for a server without Next (scripts/api-server.ts).
 */
/** The paths `apiRequestHandler` answers (everything under /api/ and the three probes); the rest are pages. */
export function isApiPath(pathname: string): boolean {
  return pathname.startsWith("/api/") || pathname === "/healthz" || pathname === "/readyz" || pathname === "/metrics";
}

export function apiRequestHandler(getRuntime: RuntimeGetter): (req: Request) => Promise<Response> {
  const trpc = trpcHandler(getRuntime);
  const rest = restHandler(getRuntime);
  const openApi = openApiHandler(getRuntime);
  const notify = notifyHandler(getRuntime);
  const readyz = readyzHandler(getRuntime);
  const metrics = metricsHandler(getRuntime);
  const partner = partnerOf(getRuntime);
  return async (req) => {
    const runtime = await getRuntime();
    const headers = headersFor(runtime);
    return withSecurityHeaders(await route(req), headers);
  };

  async function route(req: Request): Promise<Response> {
    const { pathname } = new URL(req.url);
    const isGet = req.method === "GET" || req.method === "HEAD";
    if (pathname.startsWith(`${TRPC_ENDPOINT}/`)) return trpc(req);
    if (pathname === REST_ENDPOINT || pathname.startsWith(`${REST_ENDPOINT}/`)) return rest(req);
    if (pathname === NOTIFY_ENDPOINT && req.method === "POST") return notify(req);
    if (pathname.startsWith(`${PARTNER_ENDPOINT}/`)) return partner(req);
    if (isGet && pathname === OPENAPI_DOCUMENT_PATH) return openApi();
    if (isGet && pathname === "/healthz") return healthzHandler();
    if (isGet && pathname === "/readyz") return readyz();
    if (isGet && pathname === "/metrics") return metrics(req);
    return Response.json({ error: "not_found", path: pathname }, { status: 404 });
  }
}
