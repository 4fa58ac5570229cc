/**
 * Helpers for the staff console e2e tests: a tiny tRPC-over-HTTP client (superjson
 * envelope, no dates in inputs), staff sign-in with a cookie, throw-away role users,
 * kiosks of our own (registered, paired) and purchases driven through the kiosk
 * procedures, so these tests do not depend on the visitor kiosk UI.
 */
import { randomBytes, randomInt } from "node:crypto";
import { minorToDecimal } from "@kiosk/alipay-core/money";
import { expect, type Page } from "@playwright/test";
import { E2E, demoCredentials } from "../support/system.ts";

export interface CallAuth {
  cookie?: string;
  bearer?: string;
  /** Rate limits are per client address; each simulated client gets its own. */
  ip?: string;
}

export class TrpcError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly httpStatus: number,
  ) {
    super(message);
  }
}

function headers(auth: CallAuth): Record<string, string> {
  const h: Record<string, string> = { "content-type": "application/json" };
  if (auth.cookie) h.cookie = auth.cookie;
  if (auth.bearer) h.authorization = `Bearer ${auth.bearer}`;
  h["x-forwarded-for"] = auth.ip ?? testIp();
  return h;
}

export function testIp(): string {
  return `10.${randomInt(1, 250)}.${randomInt(1, 250)}.${randomInt(1, 250)}`;
}

async function parse(res: Response): Promise<{ data: unknown; setCookie: string | null }> {
  const body = (await res.json()) as {
    result?: { data?: { json?: unknown } };
    error?: { json?: { message?: string; data?: { code?: string; httpStatus?: number } } };
  };
  if (body.error) {
    const e = body.error.json ?? {};
    throw new TrpcError(e.message ?? "tRPC error", e.data?.code ?? "UNKNOWN", e.data?.httpStatus ?? res.status);
  }
  return { data: body.result?.data?.json, setCookie: res.headers.get("set-cookie") };
}

export async function query<T = unknown>(path: string, input: unknown, auth: CallAuth = {}): Promise<T> {
  const qs = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const res = await fetch(`${E2E.kioskUrl}/api/trpc/${path}${qs}`, { headers: headers(auth) });
  return (await parse(res)).data as T;
}

export async function mutate<T = unknown>(path: string, input: unknown, auth: CallAuth = {}): Promise<T> {
  const res = await fetch(`${E2E.kioskUrl}/api/trpc/${path}`, {
    method: "POST",
    headers: headers(auth),
    body: JSON.stringify(input === undefined ? {} : { json: input }),
  });
  return (await parse(res)).data as T;
}

export async function loginCookie(email: string, password: string): Promise<string> {
  const res = await fetch(`${E2E.kioskUrl}/api/trpc/auth.login`, {
    method: "POST",
    headers: headers({}),
    body: JSON.stringify({ json: { email, password } }),
  });
  const { setCookie } = await parse(res);
  const m = /kiosk_session=([^;]+)/.exec(setCookie ?? "");
  if (!m) throw new Error("no session cookie");
  return `kiosk_session=${m[1]}`;
}

export async function adminCookie(): Promise<string> {
  const c = demoCredentials();
  return loginCookie(c.adminEmail, c.adminPassword);
}

export type Role = "admin" | "supervisor" | "cashier" | "viewer";
export interface TestUser {
  email: string;
  password: string;
  role: Role;
}

export async function createUser(admin: string, role: Role): Promise<TestUser> {
  const user = {
    email: `${role}-${Date.now()}-${randomBytes(3).toString("hex")}@example.com`,
    password: `pw-${randomBytes(12).toString("base64url")}`,
    role,
  };
  await mutate(
    "staff.createUser",
    { email: user.email, name: `E2E ${role}`, password: user.password, role },
    { cookie: admin },
  );
  return user;
}

/** Signs in through the console's form; the page's requests get their own client address. */
export async function signInUi(page: Page, user: { email: string; password: string }): Promise<void> {
  await page.context().setExtraHTTPHeaders({ "x-forwarded-for": testIp() });
  await page.goto("/staff");
  await page.getByLabel("E-mail").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in-as")).toBeVisible();
}

export interface TestKiosk {
  id: string;
  credential: string;
  attractionId: string;
  ip: string;
}

export async function firstAttractionId(admin: string): Promise<string> {
  const list = await query<{ id: string }[]>("console.attractions", undefined, { cookie: admin });
  const id = list[0]?.id;
  if (!id) throw new Error("no attraction");
  return id;
}

/** Registers a kiosk, issues its pairing code and pairs it: our own kiosk, not the demo one. */
export async function pairedKiosk(admin: string, name = `E2E kiosk ${Date.now()}`): Promise<TestKiosk> {
  const attractionId = await firstAttractionId(admin);
  const { id } = await mutate<{ id: string }>(
    "fleet.register",
    { attractionId, name, location: "e2e" },
    { cookie: admin },
  );
  const { code } = await mutate<{ code: string }>("fleet.issuePairingCode", { kioskId: id }, { cookie: admin });
  const ip = testIp();
  const { credential } = await mutate<{ credential: string }>("auth.pairKiosk", { code }, { ip });
  await mutate(
    "fleet.heartbeat",
    { isBridgeConnected: true, appVersion: "e2e-1.0", bridgeVersion: "e2e-bridge" },
    { bearer: credential, ip },
  );
  return { id, credential, attractionId, ip };
}

interface Catalog {
  ticketTypes: { id: string; priceMinor: number; validityKind: string; name: string }[];
  slots: { id: string; kind: string; available: number }[];
}

export interface Purchase {
  orderId: string;
  paymentId: string;
  state: string;
  amountMinor: number;
  currency: string;
  unitPriceMinor: number;
  tickets: { id: string; code: string; state: string }[];
  partnerTransId: string;
}

/** Creates an order for `quantity` day tickets and pays it with `paymentCode` (sandbox scenario codes). */
export async function buy(kiosk: TestKiosk, paymentCode: string, quantity = 1): Promise<Purchase> {
  const auth = { bearer: kiosk.credential, ip: kiosk.ip };
  const catalog = await query<Catalog>("catalog.forKiosk", undefined, auth);
  const type = catalog.ticketTypes.find((t) => t.validityKind === "date" && t.priceMinor > 0) ?? catalog.ticketTypes[0];
  const slot = catalog.slots.find(
    (s) => s.kind === (type?.validityKind === "date" ? "day" : "timed") && s.available >= quantity,
  );
  if (!type || !slot) throw new Error("no ticket type / slot to buy");
  const order = await mutate<{ id: string }>(
    "order.create",
    { lines: [{ ticketTypeId: type.id, slotId: slot.id, quantity }] },
    auth,
  );
  const p = await mutate<{
    id: string;
    state: string;
    amountMinor: number;
    currency: string;
    tickets: { id: string; code: string; state: string }[];
    partnerTransId: string;
  }>("payment.start", { orderId: order.id, paymentCode }, auth);
  return {
    orderId: order.id,
    paymentId: p.id,
    state: p.state,
    amountMinor: p.amountMinor,
    currency: p.currency,
    unitPriceMinor: type.priceMinor,
    tickets: p.tickets,
    partnerTransId: p.partnerTransId,
  };
}

/** A sandbox scenario code: `28` + 8 random digits + 4-digit parameter + 4-digit scenario. */
export function scenarioCode(scenario: string, parameter = "0000"): string {
  return `28${String(randomInt(0, 99_999_999)).padStart(8, "0")}${parameter}${scenario}`;
}

export async function paymentState(admin: string, paymentId: string): Promise<string> {
  return (await query<{ state: string }>("payment.byId", { paymentId }, { cookie: admin })).state;
}

export async function auditEntries(
  admin: string,
  filter: Record<string, unknown>,
): Promise<
  {
    action: string;
    actorId: string | null;
    reason: string | null;
    targetId: string | null;
    details: Record<string, unknown>;
  }[]
> {
  return (
    await query<{
      entries: {
        action: string;
        actorId: string | null;
        reason: string | null;
        targetId: string | null;
        details: Record<string, unknown>;
      }[];
    }>("staff.auditLog", { limit: 200, ...filter }, { cookie: admin })
  ).entries;
}

export async function staffId(cookie: string): Promise<string> {
  return (await query<{ staff: { id: string } }>("auth.me", undefined, { cookie })).staff.id;
}

/** Minor units as the decimal text a person types (JPY has no decimals, CNY two): the money module's rule. */
export function decimalText(minor: number, currency: string): string {
  return minorToDecimal(minor, currency);
}
