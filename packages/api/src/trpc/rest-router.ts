/**
 * The REST face (/api/rest/*, documented at /api/openapi.json) of the booking-system
 * API: every query and mutation of the app router that an API key may call
 * (meta.auth "api_client"), generated here so routers need no REST boilerplate.
 *
 * Each REST procedure re-calls the real procedure through a server-side caller with
 * the same context, so auth, scopes, rate limits, idempotency and error mapping are
 * exactly those of /api/trpc. Input schemas are the procedures' own; the response
 * schema is the procedure's `.output()` when it declares one (otherwise documented
 * as any JSON). A procedure with its own `meta.openapi` keeps it.
 */
import type { AnyProcedure, AnyRouter } from "@trpc/server";
import type { OpenApiMeta, OpenApiMethod } from "trpc-to-openapi";
import { z } from "zod";
import type { Context } from "./context.ts";
import { createCallerFactory, publicProcedure, router } from "./init.ts";
import { appRouter } from "./root.ts";

type OpenApi = NonNullable<OpenApiMeta["openapi"]>;

/** Friendly REST routes for known procedures; others get `GET|POST /<router>/<name>`. */
export const REST_ROUTES: Readonly<Record<string, { method: OpenApiMethod; path: `/${string}`; summary?: string }>> = {
  "catalog.slots": { method: "GET", path: "/catalog/slots", summary: "Slots with live availability" },
  "booking.create": {
    method: "POST",
    path: "/bookings",
    summary: "Create a booking (holds capacity); idempotent by idempotencyKey",
  },
  "booking.get": { method: "GET", path: "/bookings/{orderId}", summary: "A booking with its lines and state" },
  "booking.cancel": {
    method: "POST",
    path: "/bookings/{orderId}/cancel",
    summary: "Cancel an unpaid booking; idempotent by idempotencyKey",
  },
  "booking.confirm": {
    method: "POST",
    path: "/bookings/{orderId}/confirm",
    summary: "Confirm a booking paid on the booking system's side (issues its tickets); idempotent by idempotencyKey",
  },
  "booking.tickets": {
    method: "GET",
    path: "/bookings/{orderId}/tickets",
    summary: "The booking's tickets with their QR payloads",
  },
  "booking.redeem": { method: "POST", path: "/tickets/redeem", summary: "Redeem a ticket by its code (once)" },
  "booking.refund": {
    method: "POST",
    path: "/refunds",
    summary: "Refund a payment, fully or partly; idempotent by idempotencyKey",
  },
  "events.list": { method: "GET", path: "/events", summary: "Sales and redemption events after a cursor" },
};

interface ProcedureDef {
  type: "query" | "mutation" | "subscription";
  meta?: { auth?: string; openapi?: OpenApi };
  inputs: unknown[];
  output?: unknown;
}

function defOf(p: AnyProcedure): ProcedureDef {
  return p._def as unknown as ProcedureDef;
}

/** REST needs an object input: unwrap `.optional()` objects; no input → empty object. */
function restInput(def: ProcedureDef): z.ZodObject {
  const first = def.inputs[0];
  if (first instanceof z.ZodObject) return first;
  if (first instanceof z.ZodOptional && first.unwrap() instanceof z.ZodObject) return first.unwrap() as z.ZodObject;
  return z.object({});
}

function restOutput(def: ProcedureDef): z.ZodType {
  return def.output instanceof z.ZodType ? def.output : z.any();
}

async function callByPath(ctx: Context, path: string, input: unknown): Promise<unknown> {
  const caller = createCallerFactory(appRouter)(ctx) as unknown as Record<
    string,
    Record<string, (i: unknown) => Promise<unknown>>
  >;
  const [ns, name] = path.split(".") as [string, string];
  return caller[ns]![name]!(input);
}

export function buildRestRouter(source: AnyRouter = appRouter) {
  const groups: Record<string, Record<string, AnyProcedure>> = {};
  for (const [path, procedure] of Object.entries(source._def.procedures as Record<string, AnyProcedure>)) {
    const def = defOf(procedure);
    if (def.meta?.auth !== "api_client" || def.type === "subscription") continue;
    const [ns, ...rest] = path.split(".");
    if (!ns || rest.length !== 1) continue;
    const name = rest[0]!;
    const route = REST_ROUTES[path];
    const openapi: OpenApi = def.meta.openapi ?? {
      method: route?.method ?? (def.type === "query" ? "GET" : "POST"),
      path: route?.path ?? `/${ns}/${name}`,
      ...(route?.summary ? { summary: route.summary } : {}),
      tags: [ns],
      protect: true,
    };
    const base = publicProcedure.meta({ auth: "api_client", openapi }).input(restInput(def)).output(restOutput(def));
    const resolve = ({ ctx, input }: { ctx: Context; input: unknown }) =>
      callByPath(ctx, path, Object.keys(input as object).length === 0 && def.inputs.length === 0 ? undefined : input);
    (groups[ns] ??= {})[name] = def.type === "query" ? base.query(resolve) : base.mutation(resolve);
  }
  return router(Object.fromEntries(Object.entries(groups).map(([ns, procs]) => [ns, router(procs)])));
}

let cached: ReturnType<typeof buildRestRouter> | undefined;

export function getRestRouter(): ReturnType<typeof buildRestRouter> {
  cached ??= buildRestRouter();
  return cached;
}
