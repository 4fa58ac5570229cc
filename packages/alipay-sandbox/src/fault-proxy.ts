/**
 * A fault-injecting HTTP proxy between a merchant server and an Alipay gateway (the sandbox,
 * or any gateway), for fault drills. Gateway calls go `merchant → proxy → gateway`; the
 * gateway's asynchronous notifications go `gateway → proxy /notify → merchant` (point the
 * merchant's notify URL at `proxy.notifyUrl`). A seeded generator decides, per call, which
 * fault to inject, from a plan of rates per fault kind; every fault injected is counted.
 *
 * The same seed gives the same sequence of decisions in the same order of arrival (calls that
 * arrive concurrently may arrive in another order from run to run).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "./http-util.ts";

export const FAULT_KINDS = [
  "delay",
  "drop_before",
  "drop_after",
  "http_5xx",
  "malformed_xml",
  "malformed_json",
  "bad_signature",
  "duplicate_notification",
  "late_notification",
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export type FaultPlan = {
  /** Per gateway call. `delay` combines with any other fault; the rest exclude each other. */
  gateway: {
    /** Hold the call for `delayMs` before anything else. */
    delay: number;
    /** Destroy the connection without forwarding: the gateway never sees the call. */
    dropBefore: number;
    /** Forward, then destroy the connection: the gateway acted, the merchant never hears. */
    dropAfter: number;
    /** Answer 502/503 (half before forwarding, half after the gateway acted). */
    http5xx: number;
    /** Forward, then truncate the XML or JSON answer. */
    malformed: number;
    /** Forward, then alter one character of the answer's signature. */
    badSignature: number;
  };
  /** Real delay range of `delay`, ms. */
  delayMs: readonly [number, number];
  notifications: {
    /** Deliver an extra copy right after the original. */
    duplicate: number;
    /** Deliver an extra copy much later (after `lateDelayMs`). */
    late: number;
  };
  lateDelayMs: readonly [number, number];
};

export const DEFAULT_FAULT_PLAN: FaultPlan = Object.freeze({
  gateway: Object.freeze({
    delay: 0.1,
    dropBefore: 0.04,
    dropAfter: 0.04,
    http5xx: 0.04,
    malformed: 0.04,
    badSignature: 0.04,
  }),
  delayMs: Object.freeze([50, 1500] as const),
  notifications: Object.freeze({ duplicate: 0.3, late: 0.2 }),
  lateDelayMs: Object.freeze([2000, 8000] as const),
});

/** mulberry32: a small, fast, seeded generator of numbers in [0, 1). */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type FaultProxyOptions = {
  /** The gateway's URL; calls to the proxy's same path (plus query) are forwarded to it. */
  gatewayUrl: string;
  /** Where notifications received on `/notify` go (the merchant's notify endpoint). */
  notifyTargetUrl?: string;
  seed: number;
  plan?: FaultPlan;
  /** @default "127.0.0.1" */
  host?: string;
  /** @default 0 */
  port?: number;
  /** Real timeout of one forwarded call. @default 20000 */
  forwardTimeoutMs?: number;
};

export type FaultProxy = {
  readonly url: string;
  /** The proxy's URL for the gateway (same path as `gatewayUrl`). */
  readonly gatewayUrl: string;
  /** Give this to the gateway as the notify URL. */
  readonly notifyUrl: string;
  /** Faults injected so far, by kind. */
  readonly counts: Record<FaultKind, number>;
  /** Calls seen: gateway calls and notifications. */
  readonly seen: { gateway: number; notifications: number };
  /** Turns injection off or on (e.g. while a checker reads the gateway through it). */
  setEnabled(isEnabled: boolean): void;
  setNotifyTarget(url: string): void;
  /** Stops; with `shouldFlush`, first delivers the duplicate and late copies still scheduled. */
  close(options?: { shouldFlush?: boolean }): Promise<void>;
};

type GatewayFault = "none" | "drop_before" | "drop_after" | "http_5xx" | "malformed" | "bad_signature";

function pickGatewayFault(rng: () => number, rates: FaultPlan["gateway"]): GatewayFault {
  const roll = rng();
  let edge = 0;
  const order: [GatewayFault, number][] = [
    ["drop_before", rates.dropBefore],
    ["drop_after", rates.dropAfter],
    ["http_5xx", rates.http5xx],
    ["malformed", rates.malformed],
    ["bad_signature", rates.badSignature],
  ];
  for (const [fault, rate] of order) {
    edge += rate;
    if (roll < edge) return fault;
  }
  return "none";
}

function between(rng: () => number, range: readonly [number, number]): number {
  return Math.round(range[0] + rng() * (range[1] - range[0]));
}

const SIGN_PATTERNS = [/(<sign>)([^<]+)(<\/sign>)/, /("sign"\s*:\s*")([^"]+)(")/];

/** The answer with one character of its signature changed, or null when it carries none. */
export function corruptSignature(body: string): string | null {
  for (const pattern of SIGN_PATTERNS) {
    const m = pattern.exec(body);
    if (!m) continue;
    const sign = m[2] as string;
    const i = Math.floor(sign.length / 2);
    const swapped = sign[i] === "A" ? "B" : "A";
    const bad = `${sign.slice(0, i)}${swapped}${sign.slice(i + 1)}`;
    return body.replace(pattern, `$1${bad}$3`);
  }
  return null;
}

/** Antom's signature headers, relayed as they are (requests and notifications; answers). */
const ANTOM_REQUEST_HEADERS = ["signature", "request-time", "client-id"] as const;
const ANTOM_RESPONSE_HEADERS = ["signature", "response-time", "client-id"] as const;

function signedHeadersOf(headers: IncomingMessage["headers"], names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    const one = Array.isArray(value) ? value[0] : value;
    if (one !== undefined) out[name] = one;
  }
  return out;
}

/** Antom's `signature` header with one character of its signature value flipped. */
export function corruptHeaderSignature(header: string): string {
  const m = /(signature=)([^,]+)/.exec(header);
  if (!m) return header;
  const sign = m[2] as string;
  const i = Math.floor(sign.length / 2);
  const bad = `${sign.slice(0, i)}${sign[i] === "A" ? "B" : "A"}${sign.slice(i + 1)}`;
  return header.replace(/(signature=)([^,]+)/, `$1${bad}`);
}

/** The kind of structured answer, or null for anything else (settlement text files). */
export function bodyFormat(contentType: string, body: string): "xml" | "json" | null {
  const type = contentType.toLowerCase();
  if (type.includes("xml") || body.trimStart().startsWith("<")) return "xml";
  if (type.includes("json") || body.trimStart().startsWith("{")) return "json";
  return null;
}

/** Cuts a structured answer in the middle, so no parser accepts it. */
export function truncateBody(body: string): string {
  return body.slice(0, Math.max(1, Math.floor(body.length / 2)));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const plan = options.plan ?? DEFAULT_FAULT_PLAN;
  const rng = createRng(options.seed);
  const upstream = new URL(options.gatewayUrl);
  const forwardTimeoutMs = options.forwardTimeoutMs ?? 20_000;
  const counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const seen = { gateway: 0, notifications: 0 };
  /** Duplicate and late copies still to be delivered. */
  const pending = new Set<Promise<void>>();
  const lateTimers = new Set<NodeJS.Timeout>();
  let notifyTarget = options.notifyTargetUrl;
  let isEnabled = true;
  const roll = (rate: number): boolean => isEnabled && rng() < rate;

  async function forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; contentType: string; text: string; headers: Record<string, string> }> {
    const target = new URL(req.url ?? "/", upstream);
    const headers: Record<string, string> = signedHeadersOf(req.headers, ANTOM_REQUEST_HEADERS);
    const contentType = req.headers["content-type"];
    if (contentType) headers["content-type"] = contentType;
    const response = await fetch(target, {
      method: req.method ?? "GET",
      headers,
      ...(req.method === "GET" || req.method === "HEAD" ? {} : { body: new Uint8Array(body) }),
      signal: AbortSignal.timeout(forwardTimeoutMs),
    });
    return {
      status: response.status,
      contentType: response.headers.get("content-type") ?? "text/plain",
      text: await response.text(),
      headers: Object.fromEntries(
        ANTOM_RESPONSE_HEADERS.flatMap((name) => {
          const value = response.headers.get(name);
          return value === null ? [] : [[name, value]];
        }),
      ),
    };
  }

  async function handleGateway(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    seen.gateway += 1;
    if (roll(plan.gateway.delay)) {
      counts.delay += 1;
      await sleep(between(rng, plan.delayMs));
    }
    const fault = isEnabled ? pickGatewayFault(rng, plan.gateway) : ("none" as const);
    const isEarly5xx = fault === "http_5xx" && rng() < 0.5;
    if (fault === "drop_before") {
      counts.drop_before += 1;
      req.socket.destroy();
      return;
    }
    if (isEarly5xx) {
      counts.http_5xx += 1;
      res.writeHead(503, { "content-type": "text/html" }).end("<html><body>503 Service Unavailable</body></html>");
      return;
    }
    let answer: Awaited<ReturnType<typeof forward>>;
    try {
      answer = await forward(req, body);
    } catch {
      // The gateway dropped the connection (or timed out): so does the proxy.
      req.socket.destroy();
      return;
    }
    let text = answer.text;
    if (fault === "drop_after") {
      counts.drop_after += 1;
      req.socket.destroy();
      return;
    }
    if (fault === "http_5xx") {
      counts.http_5xx += 1;
      res.writeHead(502, { "content-type": "text/html" }).end("<html><body>502 Bad Gateway</body></html>");
      return;
    }
    const format = bodyFormat(answer.contentType, text);
    if (fault === "malformed" && format) {
      counts[format === "xml" ? "malformed_xml" : "malformed_json"] += 1;
      text = truncateBody(text);
    } else if (fault === "bad_signature") {
      const corrupted = corruptSignature(text);
      const header = answer.headers["signature"];
      if (corrupted) {
        counts.bad_signature += 1;
        text = corrupted;
      } else if (header !== undefined) {
        // Antom signs in a header: one flipped character of its signature.
        counts.bad_signature += 1;
        answer.headers["signature"] = corruptHeaderSignature(header);
      }
    }
    res.writeHead(answer.status, Object.assign({}, answer.headers, { "content-type": answer.contentType })).end(text);
  }

  async function deliver(
    body: Buffer,
    contentType: string,
    signed: Record<string, string> = {},
  ): Promise<{ status: number; text: string }> {
    if (!notifyTarget) return { status: 502, text: "no notify target" };
    try {
      const response = await fetch(notifyTarget, {
        method: "POST",
        headers: Object.assign({}, signed, { "content-type": contentType }),
        body: new Uint8Array(body),
        signal: AbortSignal.timeout(forwardTimeoutMs),
      });
      return { status: response.status, text: await response.text() };
    } catch {
      return { status: 502, text: "fail" };
    }
  }

  async function handleNotification(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    seen.notifications += 1;
    const contentType = req.headers["content-type"] ?? "application/x-www-form-urlencoded";
    const signed = signedHeadersOf(req.headers, ANTOM_REQUEST_HEADERS);
    const answer = await deliver(body, contentType, signed);
    res.writeHead(answer.status, { "content-type": "text/plain" }).end(answer.text);
    const isDuplicate = roll(plan.notifications.duplicate);
    const lateDelayMs = roll(plan.notifications.late) ? between(rng, plan.lateDelayMs) : undefined;
    const extra = (async () => {
      if (isDuplicate) {
        counts.duplicate_notification += 1;
        await deliver(body, contentType, signed);
      }
      if (lateDelayMs !== undefined) {
        counts.late_notification += 1;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            lateTimers.delete(timer);
            resolve();
          }, lateDelayMs);
          lateTimers.add(timer);
        });
        await deliver(body, contentType, signed);
      }
    })();
    pending.add(extra);
    void extra.finally(() => pending.delete(extra));
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const body = await readBody(req);
        const path = new URL(req.url ?? "/", "http://proxy").pathname;
        // Antom signs a notification over the path it was POSTed to: the proxy also takes it at the target's own path.
        const targetPath = notifyTarget === undefined ? undefined : new URL(notifyTarget).pathname;
        if ((path === "/notify" || path === targetPath) && req.method === "POST") {
          await handleNotification(req, res, body);
        } else {
          await handleGateway(req, res, body);
        }
      } catch {
        if (!res.headersSent) res.writeHead(500).end("proxy error");
        else res.destroy();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? "127.0.0.1"}:${port}`;
  return {
    url,
    gatewayUrl: `${url}${upstream.pathname}`,
    notifyUrl: `${url}/notify`,
    counts,
    seen,
    setEnabled(value) {
      isEnabled = value;
    },
    setNotifyTarget(target) {
      notifyTarget = target;
    },
    async close(closeOptions = {}) {
      if (closeOptions.shouldFlush) await Promise.all([...pending]);
      for (const timer of lateTimers) clearTimeout(timer);
      lateTimers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
