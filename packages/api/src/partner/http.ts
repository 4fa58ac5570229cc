/**
 * The partner payment API over REST (issue 18): `/api/partner/v1/*`, JSON in and out, a
 * terminal's API key as `Authorization: Bearer ktm_…`. Documented in the OpenAPI document
 * (partner/openapi.ts) and docs/partner-api.md. A plain (Request) => Response function, so
 * the Next route file and the headless server share it.
 */
import { z } from "zod";
import { isKioskError, KioskError, httpStatusOf } from "../errors.ts";
import { readBodyLimited } from "../request-guards.ts";
import type { PartnerServices } from "./index.ts";
import { MAX_WAIT_SECONDS } from "./payments.ts";

export const PARTNER_ENDPOINT = "/api/partner/v1";
const MAX_BODY_BYTES = 16 * 1024;
const SSE_KEEPALIVE_MS = 15_000;

const ERROR_NAMES: Record<string, string> = {
  BAD_REQUEST: "invalid_request",
  UNAUTHORIZED: "unauthorized",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "not_found",
  CONFLICT: "conflict",
  TOO_MANY_REQUESTS: "rate_limited",
  PRECONDITION_FAILED: "precondition_failed",
  INTERNAL: "internal_error",
};

export const createPaymentBody = z.strictObject({
  amount: z.number().int().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  paymentCode: z.string().min(1).max(64),
  reference: z.string().min(1).max(64),
  subject: z.string().min(1).max(128),
  storeId: z.string().min(1).max(32),
  terminalId: z.string().min(1).max(32),
});

export const refundBody = z.strictObject({
  amount: z.number().int().positive().optional(),
  reason: z.string().min(3).max(128).optional(),
});

function errorResponse(error: unknown): Response {
  if (isKioskError(error)) {
    const reason = typeof error.details?.reason === "string" ? error.details.reason : undefined;
    const code = reason === "idempotency_key_reused" ? "idempotency_conflict" : (ERROR_NAMES[error.code] ?? "error");
    return Response.json(
      { error: { code, message: error.message, ...(error.details ? { details: error.details } : {}) } },
      { status: httpStatusOf(error.code) },
    );
  }
  return Response.json(
    { error: { code: "internal_error", message: "Internal error; retry with the same Idempotency-Key" } },
    { status: 500 },
  );
}

async function jsonBody<T>(req: Request, schema: z.ZodType<T>): Promise<T> {
  const bytes = await readBodyLimited(req, MAX_BODY_BYTES);
  if (bytes === null) throw new KioskError("BAD_REQUEST", `The body is over ${MAX_BODY_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = bytes.byteLength === 0 ? {} : JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new KioskError("BAD_REQUEST", "The body is not JSON");
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new KioskError("BAD_REQUEST", `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`, {
      details: { field: issue?.path.join(".") ?? null },
    });
  }
  return result.data;
}

function waitOf(url: URL): number {
  const raw = url.searchParams.get("wait");
  if (raw === null) return 0;
  if (!/^\d{1,3}$/.test(raw) || Number(raw) > MAX_WAIT_SECONDS)
    throw new KioskError("BAD_REQUEST", `wait is 0 to ${MAX_WAIT_SECONDS} seconds`, { details: { field: "wait" } });
  return Number(raw);
}

function idempotencyKeyOf(req: Request): string {
  const key = req.headers.get("idempotency-key");
  if (!key)
    throw new KioskError("BAD_REQUEST", "The Idempotency-Key header is required", {
      details: { field: "Idempotency-Key" },
    });
  return key;
}

/** `limit`: called with each authenticated terminal's id; throws TOO_MANY_REQUESTS over its rate. */
export function partnerRequestHandler(
  getPartner: () => Promise<PartnerServices>,
  limit?: (terminalId: string) => Promise<void> | void,
): (req: Request) => Promise<Response> {
  return async (req) => {
    try {
      return await route(await getPartner(), req, limit);
    } catch (error) {
      return errorResponse(error);
    }
  };
}

async function route(
  partner: PartnerServices,
  req: Request,
  limit?: (terminalId: string) => Promise<void> | void,
): Promise<Response> {
  const url = new URL(req.url);
  const path = url.pathname.slice(PARTNER_ENDPOINT.length).replace(/\/+$/, "");
  const segments = path.split("/").filter(Boolean);
  if (segments[0] !== "payments") throw new KioskError("NOT_FOUND", `No route ${url.pathname}`);
  const terminal = await partner.terminals.authorize(
    /^Bearer (\S+)$/.exec(req.headers.get("authorization") ?? "")?.[1],
  );
  await limit?.(terminal.id);
  const pay = partner.payments;
  const [, id, sub] = segments;
  if (id !== undefined && !/^[A-Za-z0-9_]{1,64}$/.test(id)) throw new KioskError("NOT_FOUND", "No such payment");
  const method = req.method;
  if (segments.length === 1 && method === "POST") {
    const key = idempotencyKeyOf(req);
    const wait = waitOf(url);
    const body = await jsonBody(req, createPaymentBody);
    const { payment, isReplay } = await pay.create(terminal, key, body, { waitSeconds: wait, signal: req.signal });
    return Response.json(payment, {
      status: isReplay ? 200 : 201,
      headers: { "idempotent-replayed": String(isReplay), location: `${PARTNER_ENDPOINT}/payments/${payment.id}` },
    });
  }
  if (segments.length === 1 && method === "GET") {
    const date = url.searchParams.get("date");
    if (!date) throw new KioskError("BAD_REQUEST", "date=YYYY-MM-DD is required", { details: { field: "date" } });
    return Response.json({ date, payments: await pay.listByDay(terminal, date) });
  }
  if (id === undefined) throw new KioskError("NOT_FOUND", `No route ${method} ${url.pathname}`);
  if (segments.length === 2 && method === "GET")
    return Response.json(await pay.waitFor(terminal, id, waitOf(url), req.signal));
  if (segments.length === 3 && sub === "events" && method === "GET")
    return sse(pay.follow(terminal, id, req.signal), req.signal);
  if (segments.length === 3 && sub === "cancel" && method === "POST")
    return Response.json(await pay.cancel(terminal, id));
  if (segments.length === 3 && sub === "refunds" && method === "POST") {
    const key = idempotencyKeyOf(req);
    const body = await jsonBody(req, refundBody);
    return Response.json(await pay.refund(terminal, id, key, body));
  }
  if (segments.length === 3 && sub === "receipt" && method === "GET")
    return Response.json(await pay.receipt(terminal, id));
  throw new KioskError("NOT_FOUND", `No route ${method} ${url.pathname}`);
}

/** Server-sent events: `event: payment`, `id: <version>`, the payment as data; closes once final. */
async function sse(
  source: AsyncGenerator<{ version: number; isFinal: boolean }>,
  signal: AbortSignal,
): Promise<Response> {
  // The first item is read before answering, so an unknown id is a 404, not an empty stream.
  const first = await source.next();
  const encoder = new TextEncoder();
  let keepalive: ReturnType<typeof setInterval> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const write = (view: { version: number }): void =>
        controller.enqueue(encoder.encode(`event: payment\nid: ${view.version}\ndata: ${JSON.stringify(view)}\n\n`));
      keepalive = setInterval(() => controller.enqueue(encoder.encode(": keepalive\n\n")), SSE_KEEPALIVE_MS);
      try {
        if (!first.done) write(first.value);
        if (!first.done && !first.value.isFinal) for await (const view of source) write(view);
      } catch {
        // The payment could not be read any more: the client reconnects or GETs it.
      } finally {
        clearInterval(keepalive);
        if (!signal.aborted) controller.close();
      }
    },
    cancel() {
      clearInterval(keepalive);
      void source.return(undefined);
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    },
  });
}
