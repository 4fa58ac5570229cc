/**
 * tRPC building blocks. This folder is the only place that knows TRPCError:
 * services throw KioskError, and one middleware (`errorMiddleware`) converts it.
 *
 *   publicProcedure              anyone
 *   kioskProcedure               a paired kiosk (device credential, rate-limited per kiosk) → ctx.kiosk {id, attractionId, name, isInService}
 *   sellingKioskProcedure        kioskProcedure + must be in service (PRECONDITION_FAILED otherwise)
 *   staffProcedure               a signed-in staff member (any role) → ctx.staff {id, email, name, role}, ctx.session
 *   requireRole(min)             staffProcedure + role ≥ min (viewer < cashier < supervisor < admin)
 *   sellerProcedure              a paired kiosk, or (no device credential) staff with role ≥ cashier selling at a counter → ctx.seller
 *   sellingSellerProcedure       sellerProcedure + a kiosk must be in service
 *   apiClientProcedure(scope)    a booking system's API key with the scope(s) → ctx.apiClient {id, attractionId, name, scopes}
 *   idempotent(handler)          wraps a mutation resolver whose input has `idempotencyKey`
 *
 * Staff mutations must use requireRole("cashier") or higher: a test asserts that a
 * viewer is refused every mutation whose meta.auth is "staff" (the one exception,
 * auth.changePassword, is listed there).
 */
import type { ApiScope, StaffRole } from "@kiosk/db";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import type { OpenApiMeta } from "trpc-to-openapi";
import { z, ZodError } from "zod";
import type { ApiClientIdentity, KioskIdentity, StaffIdentity } from "../auth/auth-service.ts";
import { hasRoleAtLeast } from "../auth/roles.ts";
import { SESSION_COOKIE } from "../auth/tokens.ts";
import { KioskError, type KioskErrorCode } from "../errors.ts";
import type { BatchStatement } from "../services/raw-sql.ts";
import type { Context } from "./context.ts";

export type ProcedureAuth = "public" | "kiosk" | "staff" | "api_client" | "seller" | "terminal";

/**
 * Procedure metadata. `openapi` (trpc-to-openapi) puts a procedure on the REST face
 * `/api/rest/<path>` and into `/api/openapi.json`; such a procedure MUST also
 * declare `.output(zodSchema)`. Example:
 *   .meta({ openapi: { method: "POST", path: "/bookings", tags: ["booking"], protect: true } })
 */
export type ProcedureMeta = OpenApiMeta<{
  /** Who may call it; set by the procedure builders below (absent = "public"). */
  auth?: ProcedureAuth;
  /** For staff procedures: the lowest role allowed. */
  minRole?: StaffRole;
  /** For API procedures: the scopes required. */
  scopes?: readonly ApiScope[];
}>;

const TRPC_CODE: Readonly<Record<KioskErrorCode, TRPCError["code"]>> = {
  BAD_REQUEST: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  TOO_MANY_REQUESTS: "TOO_MANY_REQUESTS",
  PRECONDITION_FAILED: "PRECONDITION_FAILED",
  INTERNAL: "INTERNAL_SERVER_ERROR",
};

/** KioskError → TRPCError with the same message; the KioskError stays the cause (details reach the client). */
export function toTrpcError(error: KioskError): TRPCError {
  return new TRPCError({ code: TRPC_CODE[error.code], message: error.message, cause: error });
}

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({
    transformer: superjson,
    defaultMeta: { auth: "public" },
    errorFormatter({ shape, error }) {
      const cause = error.cause;
      return Object.assign({}, shape, {
        data: Object.assign({}, shape.data, {
          zodError: cause instanceof ZodError ? z.flattenError(cause) : null,
          details: cause instanceof KioskError ? (cause.details ?? null) : null,
        }),
      });
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const middleware = t.middleware;
export const mergeRouters = t.mergeRouters;

/**
 * The one error conversion: KioskError → matching TRPCError; TRPCErrors raised by
 * tRPC itself (input validation) pass through; anything else is logged and
 * answered as INTERNAL_SERVER_ERROR without its message (no stack or SQL leaks).
 * Also records duration and outcome metrics per procedure.
 */
const errorMiddleware = t.middleware(async ({ ctx, path, type, next }) => {
  const stop = ctx.services.metrics.trpcDurationSeconds.startTimer({ path, type });
  const result = await next();
  let code = "OK";
  if (!result.ok) {
    const error = result.error;
    const cause = error.cause;
    let mapped: TRPCError;
    if (cause instanceof KioskError) mapped = toTrpcError(cause);
    else if (error.code !== "INTERNAL_SERVER_ERROR") mapped = error;
    else {
      ctx.log.error("procedure failed", { path, type, error: cause ?? error });
      mapped = new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: `Internal error (request ${ctx.requestId}).` });
    }
    code = mapped.code;
    if (mapped.code === "TOO_MANY_REQUESTS") ctx.services.metrics.rateLimitedTotal.inc({ path });
    if (mapped.code !== "INTERNAL_SERVER_ERROR")
      ctx.log.info("procedure refused", { path, type, code: mapped.code, reason: mapped.message });
    stop({ code });
    ctx.services.metrics.trpcRequestsTotal.inc({ path, type, code });
    throw mapped;
  }
  stop({ code });
  ctx.services.metrics.trpcRequestsTotal.inc({ path, type, code });
  return result;
});

const baseProcedure = t.procedure.use(errorMiddleware);

function hasNul(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (depth > 20 || typeof value !== "object" || value === null) return false;
  return Object.entries(value).some(([k, v]) => k.includes("\u0000") || hasNul(v, depth + 1));
}

/**
 * Refuses input text with NUL characters: PostgreSQL cannot store or even compare them
 * (a lookup by such an id failed as an internal error), SQLite would cut the text there.
 * Runs after the caller is authenticated and authorised, before input parsing.
 */
const nulFreeInput = t.middleware(async ({ getRawInput, next }) => {
  if (hasNul(await getRawInput()))
    throw new KioskError("BAD_REQUEST", "Text in the input must not contain NUL characters (U+0000).");
  return next();
});

export const publicProcedure = baseProcedure.use(nulFreeInput);

/** The kiosk behind the device credential; rate-limited per kiosk (kioskDevice policy) like API keys. */
async function authenticateKioskCtx(ctx: Context): Promise<KioskIdentity> {
  const credential = ctx.auth.kioskCredential;
  if (!credential)
    throw new KioskError("UNAUTHORIZED", "This call needs a kiosk device credential (Authorization: Bearer kdc_…).");
  // With the shared (database) limiter, the device's lookup and its bucket are one statement.
  const bucket = ctx.services.rateLimiter.sharedBucket("kioskDevice");
  const kiosk: KioskIdentity | null = bucket
    ? await ctx.services.auth.authenticateKioskCounted(credential, bucket)
    : await ctx.services.auth.authenticateKiosk(credential);
  if (!kiosk)
    throw new KioskError(
      "UNAUTHORIZED",
      "The kiosk device credential is not valid (the kiosk may have been paired again, or staff revoked it).",
    );
  if (!bucket) await ctx.services.rateLimiter.consume("kioskDevice", kiosk.id);
  return kiosk;
}

export const kioskProcedure = baseProcedure
  .meta({ auth: "kiosk" })
  .use(async ({ ctx, next }) => {
    const kiosk = await authenticateKioskCtx(ctx);
    return next({ ctx: { kiosk, log: ctx.log.child({ kioskId: kiosk.id }) } });
  })
  .use(nulFreeInput);

/** For procedures that sell: a kiosk taken out of service is refused. */
export const sellingKioskProcedure = kioskProcedure.use(({ ctx, next }) => {
  if (!ctx.kiosk.isInService)
    throw new KioskError("PRECONDITION_FAILED", `Kiosk ${ctx.kiosk.id} is out of service and cannot sell.`, {
      details: { kioskId: ctx.kiosk.id, isInService: false },
    });
  return next();
});

async function authenticateStaffCtx(
  ctx: Context,
): Promise<{ staff: StaffIdentity; session: { id: string; expiresAt: Date } }> {
  const token = ctx.auth.sessionToken;
  if (!token) throw new KioskError("UNAUTHORIZED", "Sign in first.");
  const session = await ctx.services.auth.authenticateSession(token);
  if (!session) {
    ctx.cookies.clear(SESSION_COOKIE);
    throw new KioskError("UNAUTHORIZED", "Your session has expired or was ended; sign in again.");
  }
  if (session.isRenewed)
    ctx.cookies.set(SESSION_COOKIE, token, {
      maxAgeSec: (session.expiresAt.getTime() - ctx.clock.now().getTime()) / 1000,
    });
  return { staff: session.staff, session: { id: session.sessionId, expiresAt: session.expiresAt } };
}

function assertRole(staff: StaffIdentity, min: StaffRole): void {
  if (!hasRoleAtLeast(staff.role, min)) {
    throw new KioskError("FORBIDDEN", `This needs the ${min} role or higher; ${staff.email} is ${staff.role}.`, {
      details: { requiredRole: min, role: staff.role },
    });
  }
}

const signedInStaff = baseProcedure.meta({ auth: "staff" }).use(async ({ ctx, next }) => {
  const { staff, session } = await authenticateStaffCtx(ctx);
  return next({ ctx: { staff, session, log: ctx.log.child({ staffId: staff.id }) } });
});

export const staffProcedure = signedInStaff.use(nulFreeInput);

/** Staff with at least role `min`. Checked before input parsing, so a refused caller learns nothing about inputs. */
export function requireRole(min: StaffRole) {
  return signedInStaff
    .meta({ auth: "staff", minRole: min })
    .use(({ ctx, next }) => {
      assertRole(ctx.staff, min);
      return next();
    })
    .use(nulFreeInput);
}

/** Who sells: the kiosk itself, or a cashier at a counter (the counter sale of the staff console). */
export type Seller = { type: "kiosk"; kiosk: KioskIdentity } | { type: "staff"; staff: StaffIdentity };

/** The lowest staff role that may sell at a counter. */
export const COUNTER_SALE_ROLE: StaffRole = "cashier";

/**
 * The kiosk's sale procedures, shared with the counter sale so both take the same path:
 * a request with a device credential is the kiosk (exactly as kioskProcedure); one without
 * is a staff session that must have the cashier role or higher.
 */
export const sellerProcedure = baseProcedure
  .meta({ auth: "seller", minRole: COUNTER_SALE_ROLE })
  .use(async ({ ctx, next }) => {
    const seller: Seller = ctx.auth.kioskCredential
      ? { type: "kiosk", kiosk: await authenticateKioskCtx(ctx) }
      : { type: "staff", staff: await authenticateCashierCtx(ctx) };
    return next({
      ctx: {
        seller,
        log: ctx.log.child(seller.type === "kiosk" ? { kioskId: seller.kiosk.id } : { staffId: seller.staff.id }),
      },
    });
  })
  .use(nulFreeInput);

async function authenticateCashierCtx(ctx: Context): Promise<StaffIdentity> {
  const { staff } = await authenticateStaffCtx(ctx);
  assertRole(staff, COUNTER_SALE_ROLE);
  return staff;
}

/** For seller procedures that sell: a kiosk taken out of service is refused (a counter's open shift is checked by the counter service). */
export const sellingSellerProcedure = sellerProcedure.use(({ ctx, next }) => {
  const { seller } = ctx;
  if (seller.type === "kiosk" && !seller.kiosk.isInService) {
    throw new KioskError("PRECONDITION_FAILED", `Kiosk ${seller.kiosk.id} is out of service and cannot sell.`, {
      details: { kioskId: seller.kiosk.id, isInService: false },
    });
  }
  return next();
});

/** A booking system's API key carrying every scope in `scope`; rate-limited per client (bookingApi policy). */
export function apiClientProcedure(scope: ApiScope | readonly ApiScope[]) {
  const scopes: readonly ApiScope[] = typeof scope === "string" ? [scope] : scope;
  return baseProcedure
    .meta({ auth: "api_client", scopes })
    .use(async ({ ctx, next }) => {
      const key = ctx.auth.apiKey;
      if (!key) throw new KioskError("UNAUTHORIZED", "This call needs an API key (Authorization: Bearer kak_…).");
      // With the shared (database) limiter, the key's lookup and its bucket are one statement.
      const bucket = ctx.services.rateLimiter.sharedBucket("bookingApi");
      const client: ApiClientIdentity | null = bucket
        ? await ctx.services.auth.apiKeys.authenticateCounted(key, bucket)
        : await ctx.services.auth.apiKeys.authenticate(key);
      if (!client) throw new KioskError("UNAUTHORIZED", "The API key is not valid or was revoked.");
      if (!bucket) await ctx.services.rateLimiter.consume("bookingApi", client.id);
      const missing = scopes.filter((s) => !client.scopes.includes(s));
      if (missing.length > 0) {
        throw new KioskError("FORBIDDEN", `API client ${client.id} lacks the scope ${missing.join(", ")}.`, {
          details: { missingScopes: missing },
        });
      }
      return next({ ctx: { apiClient: client, log: ctx.log.child({ apiClientId: client.id }) } });
    })
    .use(nulFreeInput);
}

/** Idempotency keys: 8–200 visible ASCII characters (a UUID is a good choice). */
export const IdempotencyKeySchema = z
  .string()
  .min(8)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, "visible ASCII characters only");

interface IdempotentCtx {
  apiClient?: { id: string };
  staff?: { id: string };
  kiosk?: { id: string };
  services: Context["services"];
}

/**
 * Wraps a mutation resolver so a retried request with the same `idempotencyKey`
 * returns the first answer (stored in IdempotencyRecord), a key reused with a
 * different request is a CONFLICT, and the handler runs at most once per key.
 * Keys are scoped per caller and procedure.
 *
 *   create: apiClientProcedure("bookings:write")
 *     .input(z.object({ idempotencyKey: IdempotencyKeySchema, … }))
 *     .mutation(idempotent(async ({ ctx, input }) => …)),
 */
export function idempotent<TCtx extends IdempotentCtx, TInput extends { idempotencyKey: string }, TResult>(
  handler: (opts: IdempotentOpts<TCtx, TInput>) => Promise<TResult>,
): (opts: IdempotentOpts<TCtx, TInput>) => Promise<TResult> {
  return async (opts) =>
    opts.ctx.services.idempotency.run(Object.assign({}, idempotencyKeyOf(opts), { execute: () => handler(opts) }));
}

/**
 * `idempotent` for a handler that writes in one transaction and knows its answer before it
 * commits: it gets `record(answer)`, the statement storing the answer under the key, to write in
 * that transaction (IdempotencyService.runInTransaction: two round trips fewer than a claim and
 * an answer, and no crash between the work and its answer).
 */
export function idempotentInTransaction<TCtx extends IdempotentCtx, TInput extends { idempotencyKey: string }, TResult>(
  handler: (opts: IdempotentOpts<TCtx, TInput>, record: (answer: unknown) => BatchStatement) => Promise<TResult>,
): (opts: IdempotentOpts<TCtx, TInput>) => Promise<TResult> {
  return async (opts) =>
    opts.ctx.services.idempotency.runInTransaction(
      Object.assign({}, idempotencyKeyOf(opts), {
        execute: (record: (answer: unknown) => BatchStatement) => handler(opts, record),
      }),
    );
}

type IdempotentOpts<TCtx, TInput> = { ctx: TCtx; input: TInput; signal?: AbortSignal | undefined; path: string };

/** Keys are scoped per caller and procedure; the request is the input without its key. */
function idempotencyKeyOf<TInput extends { idempotencyKey: string }>(opts: IdempotentOpts<IdempotentCtx, TInput>) {
  const { ctx, input, path } = opts;
  const actor = ctx.apiClient
    ? `api_client:${ctx.apiClient.id}`
    : ctx.staff
      ? `staff:${ctx.staff.id}`
      : ctx.kiosk
        ? `kiosk:${ctx.kiosk.id}`
        : "public";
  const { idempotencyKey, ...request } = input;
  return { scope: `${actor}:${path}`, key: idempotencyKey, request };
}
