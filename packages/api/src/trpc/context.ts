import { randomUUID } from "node:crypto";
import type { AppServices } from "../app-services.ts";
import type { Clock } from "../clock.ts";
import { silentLogger, type Logger } from "../log.ts";
import { bearerKind, DEVICE_COOKIE, SESSION_COOKIE } from "../auth/tokens.ts";
import { clientAddress, parseTrustedProxies, type TrustedProxies } from "../client-address.ts";

export type { AppServices } from "../app-services.ts";
export type { MoneyServices } from "../services/index.ts";

/** Credentials found on the request, already split by kind (see auth/tokens.ts). */
export interface RequestAuth {
  /** `kiosk_session` cookie, or `Authorization: Bearer kst_…`. */
  sessionToken: string | null;
  /** `Authorization: Bearer kdc_…`. */
  kioskCredential: string | null;
  /** `Authorization: Bearer kak_…` or `X-Api-Key: kak_…`. */
  apiKey: string | null;
  /** `Authorization: Bearer ktm_…`: a partner terminal's key (issue 18, `terminal.payments.*`). */
  terminalKey: string | null;
  /** Client address for rate limits and the audit log (see client-address.ts). */
  ip: string;
  /** The `kiosk_device` cookie: a browser that signed in before (passes the login back-off). */
  deviceToken: string | null;
  userAgent: string | null;
}

export interface CookieOptions {
  maxAgeSec?: number;
  isSecure?: boolean;
}

/** Writes Set-Cookie headers on the HTTP response (when there is one) and remembers them for tests. */
export class ResponseCookies {
  readonly written: string[] = [];
  constructor(
    private readonly resHeaders: Headers | null,
    private readonly isSecureDefault: boolean,
  ) {}

  set(name: string, value: string, opts: CookieOptions = {}): void {
    const parts = [`${name}=${encodeURIComponent(value)}`, "Path=/", "HttpOnly", "SameSite=Lax"];
    if (opts.maxAgeSec !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(opts.maxAgeSec))}`);
    if (opts.isSecure ?? this.isSecureDefault) parts.push("Secure");
    const header = parts.join("; ");
    this.written.push(header);
    this.resHeaders?.append("Set-Cookie", header);
  }

  clear(name: string): void {
    this.set(name, "", { maxAgeSec: 0 });
  }
}

export interface Context {
  services: AppServices;
  clock: Clock;
  log: Logger;
  auth: RequestAuth;
  requestId: string;
  cookies: ResponseCookies;
}

export interface ContextInnerOptions {
  services: AppServices;
  clock?: Clock;
  log?: Logger;
  auth?: Partial<RequestAuth>;
  requestId?: string;
  resHeaders?: Headers | null;
  /** Mark cookies Secure (true when PUBLIC_URL is https). */
  isSecureCookies?: boolean;
}

/** The context without HTTP: what tests pass to `createCaller`. */
export function createContextInner(opts: ContextInnerOptions): Context {
  const requestId = opts.requestId ?? randomUUID();
  const log = (opts.log ?? opts.services.log ?? silentLogger).child({ requestId });
  return {
    services: opts.services,
    clock: opts.clock ?? opts.services.clock,
    log,
    requestId,
    auth: {
      sessionToken: opts.auth?.sessionToken ?? null,
      kioskCredential: opts.auth?.kioskCredential ?? null,
      apiKey: opts.auth?.apiKey ?? null,
      terminalKey: opts.auth?.terminalKey ?? null,
      ip: opts.auth?.ip ?? "127.0.0.1",
      deviceToken: opts.auth?.deviceToken ?? null,
      userAgent: opts.auth?.userAgent ?? null,
    },
    cookies: new ResponseCookies(opts.resHeaders ?? null, opts.isSecureCookies ?? false),
  };
}

export function readCookie(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

const NO_TRUSTED_PROXIES = parseTrustedProxies("");

/**
 * Reads credentials from a request. The client IP comes from X-Forwarded-For as far as
 * `trustedProxies` wrote it (client-address.ts); X-Real-IP is not believed.
 */
export function requestAuth(req: Request, trustedProxies: TrustedProxies = NO_TRUSTED_PROXIES): RequestAuth {
  const h = req.headers;
  const authz = h.get("authorization");
  const bearer = authz?.toLowerCase().startsWith("bearer ") ? authz.slice(7).trim() : null;
  const kind = bearer ? bearerKind(bearer) : null;
  const headerKey = h.get("x-api-key")?.trim() ?? null;
  return {
    sessionToken: kind === "session" ? bearer : readCookie(h.get("cookie"), SESSION_COOKIE),
    kioskCredential: kind === "kiosk" ? bearer : null,
    apiKey: kind === "api_key" ? bearer : headerKey && bearerKind(headerKey) === "api_key" ? headerKey : null,
    terminalKey: bearer?.startsWith("ktm_") ? bearer : null,
    ip: clientAddress(h.get("x-forwarded-for"), trustedProxies),
    deviceToken: readCookie(h.get("cookie"), DEVICE_COOKIE),
    userAgent: h.get("user-agent"),
  };
}

/** The route handler's context: the process-wide services plus this request's credentials. */
export async function createContext(opts: { req: Request; resHeaders?: Headers }): Promise<Context> {
  const { getAppServices, getAppConfig } = await import("../app-services.ts");
  const services = await getAppServices();
  return createContextInner({
    services,
    auth: requestAuth(opts.req, getAppConfig().trustedProxies),
    requestId: opts.req.headers.get("x-request-id") ?? undefined,
    resHeaders: opts.resHeaders ?? null,
    isSecureCookies: getAppConfig().isSecureCookies,
  });
}
