import { Validator } from "@seriousme/openapi-schema-validator";
import { createDb } from "@kiosk/db";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "./env.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD, ATTRACTION, createHarness, type Harness } from "./__tests__/platform-harness.ts";
import type { AppRuntime } from "./app-services.ts";
import {
  isApiPath,
  apiRequestHandler,
  healthzHandler,
  metricsHandler,
  openApiHandler,
  readyzHandler,
  restHandler,
  trpcHandler,
} from "./http-handlers.ts";
import { buildOpenApiDocument } from "./openapi.ts";
import { appRouter } from "./trpc/root.ts";

const BASE = "http://kiosk.test";

describe("HTTP route handlers", () => {
  let h: Harness;
  let runtime: AppRuntime;
  let trpc: (req: Request) => Promise<Response>;
  beforeAll(async () => {
    h = await createHarness("sqlite");
    runtime = {
      env: parseEnv({ NODE_ENV: "test", DATABASE_URL: h.tdb.url, PUBLIC_URL: BASE }),
      dbHandle: h.tdb,
      services: h.services,
      stop: async () => undefined,
    };
    trpc = trpcHandler(async () => runtime);
  });
  afterAll(async () => {
    await h?.close();
  });

  async function signIn(): Promise<string> {
    const res = await trpc(
      new Request(`${BASE}/api/trpc/auth.login`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-forwarded-for": "198.18.0.1" },
        body: JSON.stringify({ json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } }),
      }),
    );
    expect(res.status).toBe(200);
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith("kiosk_session=")) ?? "";
    expect(setCookie).toMatch(/^kiosk_session=kst_[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=3600$/);
    expect(res.headers.getSetCookie().find((c) => c.startsWith("kiosk_device="))).toMatch(
      /^kiosk_device=kdv_[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=15552000$/,
    );
    return setCookie.split(";")[0]!;
  }

  it("serves a mutation and a query over the tRPC fetch handler with superjson and the session cookie", async () => {
    const cookie = await signIn();
    const me = await trpc(new Request(`${BASE}/api/trpc/auth.me`, { headers: { cookie } }));
    expect(me.status).toBe(200);
    const body = (await me.json()) as {
      result: {
        data: { json: { staff: { email: string }; expiresAt: string }; meta: { values: Record<string, unknown> } };
      };
    };
    expect(body.result.data.json.staff.email).toBe(ADMIN_EMAIL);
    expect(body.result.data.meta.values).toEqual({ expiresAt: ["Date"] });
  });

  it("routes every endpoint by path for the server without Next (api-server.ts)", async () => {
    const api = apiRequestHandler(async () => runtime);
    expect((await api(new Request(`${BASE}/healthz`))).status).toBe(200);
    expect(await (await api(new Request(`${BASE}/readyz`))).json()).toMatchObject({ status: "ready" });
    expect((await api(new Request(`${BASE}/metrics`))).headers.get("content-type")).toContain("text/plain");
    expect((await api(new Request(`${BASE}/api/openapi.json`))).status).toBe(200);
    expect((await api(new Request(`${BASE}/api/trpc/auth.me`))).status).not.toBe(404);
    // A notification that is not form-encoded Alipay is refused, and nothing changes.
    const notify = await api(
      new Request(`${BASE}/api/alipay/notify`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "trade_status=TRADE_SUCCESS",
      }),
    );
    expect(notify.status).toBe(400);
    expect(await notify.text()).toBe("fail");
    expect((await api(new Request(`${BASE}/api/alipay/notify`))).status).toBe(404);
    expect((await api(new Request(`${BASE}/kiosk`))).status).toBe(404);
  });

  it("answers batched calls", async () => {
    const cookie = await signIn();
    const input = encodeURIComponent(JSON.stringify({ 0: { json: null }, 1: { json: { attractionId: ATTRACTION } } }));
    const res = await trpc(
      new Request(`${BASE}/api/trpc/auth.me,fleet.list?batch=1&input=${input}`, { headers: { cookie } }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as Array<{ result: { data: { json: unknown } } }>;
    expect(body).toHaveLength(2);
    expect(Array.isArray(body[1]!.result.data.json)).toBe(true);
  });

  it("maps errors to HTTP statuses with zod's flattened errors and KioskError details", async () => {
    const unauth = await trpc(new Request(`${BASE}/api/trpc/auth.me`));
    expect(unauth.status).toBe(401);
    const bad = await trpc(
      new Request(`${BASE}/api/trpc/auth.login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ json: { email: "nope", password: "" } }),
      }),
    );
    expect(bad.status).toBe(400);
    const err = (await bad.json()) as {
      error: { json: { data: { code: string; zodError: { fieldErrors: Record<string, string[]> } } } };
    };
    expect(err.error.json.data.code).toBe("BAD_REQUEST");
    expect(Object.keys(err.error.json.data.zodError.fieldErrors).sort()).toEqual(["email", "password"]);

    const cookie = await signIn();
    const forbidden = await trpc(
      new Request(`${BASE}/api/trpc/fleet.issuePairingCode`, {
        method: "POST",
        headers: { cookie, "content-type": "application/json" },
        body: JSON.stringify({ json: { kioskId: "kio_nope" } }),
      }),
    );
    expect(forbidden.status).toBe(404);
  });

  it("authenticates a kiosk by its bearer credential", async () => {
    const credential = await h.pairDemoKiosk();
    const res = await trpc(
      new Request(`${BASE}/api/trpc/fleet.heartbeat`, {
        method: "POST",
        headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" },
        body: JSON.stringify({ json: { isBridgeConnected: false, appVersion: "9.9.9" } }),
      }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { data: { json: { isInService: boolean } } } };
    expect(body.result.data.json.isInService).toBe(true);
  });

  it("streams a subscription as server-sent events", async () => {
    const cookie = await signIn();
    const ac = new AbortController();
    const input = encodeURIComponent(JSON.stringify({ json: { attractionId: ATTRACTION } }));
    const res = await trpc(
      new Request(`${BASE}/api/trpc/fleet.live?input=${input}`, {
        headers: { cookie, accept: "text/event-stream" },
        signal: ac.signal,
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("kiosk_lobby_1")) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    expect(text).toContain("event: connected");
    expect(text).toContain("kiosk_lobby_1");
    ac.abort();
    await reader.cancel().catch(() => undefined);
  });

  it("authorises a subscription by its Authorization header, never by connectionParams (they travel in the URL, into access logs)", async () => {
    const cookie = await signIn();
    const token = decodeURIComponent(/kiosk_session=([^;]+)/.exec(cookie)?.[1] ?? "");
    const input = encodeURIComponent(JSON.stringify({ json: { attractionId: ATTRACTION } }));
    const open = async (params?: Record<string, string>, headers: Record<string, string> = {}) => {
      const ac = new AbortController();
      const qs = params ? `&connectionParams=${encodeURIComponent(JSON.stringify(params))}` : "";
      const res = await trpc(
        new Request(`${BASE}/api/trpc/fleet.live?input=${input}${qs}`, {
          headers: { accept: "text/event-stream", ...headers },
          signal: ac.signal,
        }),
      );
      const reader = res.body!.getReader();
      let text = "";
      while (!/kiosk_lobby_1|UNAUTHORIZED/.test(text)) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += new TextDecoder().decode(chunk.value);
      }
      ac.abort();
      await reader.cancel().catch(() => undefined);
      return text;
    };
    expect(await open()).toContain("UNAUTHORIZED");
    expect(await open({ authorization: `Bearer ${token}` })).toContain("UNAUTHORIZED");
    const authorised = await open(undefined, { authorization: `Bearer ${token}` });
    expect(authorised).toContain("kiosk_lobby_1");
    expect(authorised).not.toContain("UNAUTHORIZED");
  });

  it("serves /healthz, /readyz and /metrics", async () => {
    const health = healthzHandler();
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok" });

    const ready = await readyzHandler(async () => runtime)();
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: "ready",
      database: { isOk: true },
      migrations: { isOk: true, pending: [] },
    });

    const metrics = await metricsHandler(async () => runtime)();
    expect(metrics.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    expect(text).toContain("# TYPE kiosk_heartbeats_total counter");
    expect(text).toContain("# TYPE kiosk_kiosks_online gauge");
    expect(text).toMatch(/kiosk_trpc_requests_total\{path="auth\.login",type="mutation",code="OK"\} \d+/);
  });

  it("reports not ready (503) when migrations are missing", async () => {
    const path = join(tmpdir(), `kiosk_unmigrated_${Date.now()}.db`);
    const handle = createDb({ url: `file:${path}` });
    try {
      const res = await readyzHandler(async () => ({
        ...runtime,
        dbHandle: handle,
        services: { ...runtime.services, db: handle.db },
      }))();
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({
        status: "not_ready",
        database: { isOk: true },
        migrations: { isOk: false },
      });
    } finally {
      await handle.close();
      rmSync(path, { force: true });
    }
  });

  it("publishes a valid OpenAPI 3.1 document listing every booking and events REST procedure", async () => {
    const res = await openApiHandler(async () => runtime)();
    const doc = (await res.json()) as {
      openapi: string;
      info: { title: string; version: string };
      servers: { url: string }[];
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    const validator = new Validator();
    const result = await validator.validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers[0]!.url).toBe(`${BASE}/api/rest`);
    const operationIds = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    const procedures = Object.entries(
      appRouter._def.procedures as unknown as Record<string, { _def: { type: string; meta?: { auth?: string } } }>,
    );
    const apiProcedures = procedures
      .filter(([, p]) => p._def.meta?.auth === "api_client" && p._def.type !== "subscription")
      .map(([path]) => path);
    expect(apiProcedures).toEqual(expect.arrayContaining(["events.list"]));
    for (const [path, p] of procedures)
      if (path.startsWith("booking.")) expect({ path, auth: p._def.meta?.auth }).toEqual({ path, auth: "api_client" });
    // Every booking-system procedure (booking.*, catalog.slots, events.list, …) is on the REST face.
    for (const path of apiProcedures) expect(operationIds).toContain(path.replace(/\./g, "-"));
    expect(doc.paths["/bookings"]).toHaveProperty("post");
    expect(buildOpenApiDocument({ publicUrl: "https://x.example/" }).servers?.[0]?.url).toBe(
      "https://x.example/api/rest",
    );
  });

  it("serves the REST face with the same auth and procedures", async () => {
    const rest = restHandler(async () => runtime);
    const { key } = await h.apiKey(["events:read"]);
    await h.services.events.publish({
      type: "sale.completed",
      attractionId: ATTRACTION,
      subject: { type: "order", id: "ord_rest" },
      actor: { type: "system", id: null },
      data: { amountMinor: 3200 },
    });
    const ok = await rest(
      new Request(`${BASE}/api/rest/events?afterId=0&limit=50`, { headers: { authorization: `Bearer ${key}` } }),
    );
    expect(ok.status).toBe(200);
    const page = (await ok.json()) as {
      events: Array<{ subject: { id: string }; occurredAt: string }>;
      cursor: string;
    };
    expect(page.events.map((e) => e.subject.id)).toContain("ord_rest");
    expect(typeof page.events[0]!.occurredAt).toBe("string");
    const unauth = await rest(new Request(`${BASE}/api/rest/events?afterId=0`));
    expect(unauth.status).toBe(401);
    const bad = await rest(
      new Request(`${BASE}/api/rest/events?afterId=abc`, { headers: { authorization: `Bearer ${key}` } }),
    );
    expect(bad.status).toBe(400);
    // Booking procedures answer over REST with the same scope checks.
    const noScope = await rest(
      new Request(`${BASE}/api/rest/bookings/ord_x`, { headers: { authorization: `Bearer ${key}` } }),
    );
    expect(noScope.status).toBe(403);
    const reader = await h.apiKey(["bookings:read", "bookings:write"]);
    const missing = await rest(
      new Request(`${BASE}/api/rest/bookings/ord_missing`, { headers: { authorization: `Bearer ${reader.key}` } }),
    );
    expect(missing.status).toBe(404);
    const badBooking = await rest(
      new Request(`${BASE}/api/rest/bookings`, {
        method: "POST",
        headers: { authorization: `Bearer ${reader.key}`, "content-type": "application/json" },
        body: JSON.stringify({ idempotencyKey: "bk-rest-0001", lines: [] }),
      }),
    );
    expect(badBooking.status).toBe(400);
  });
});

// apps/kiosk/server.ts sends these to the API handlers and everything else to Next.
describe("isApiPath", () => {
  it("claims the API and the probes, and leaves the pages to Next", () => {
    for (const path of [
      "/api/trpc/order.create",
      "/api/alipay/notify",
      "/api/rest/catalog",
      "/api/partner/v1/pay",
      "/api/openapi.json",
      "/api/nothing",
      "/healthz",
      "/readyz",
      "/metrics",
    ])
      expect(isApiPath(path), path).toBe(true);
    for (const path of [
      "/",
      "/kiosk",
      "/staff",
      "/staff/payments",
      "/_next/static/chunks/a.js",
      "/sw.js",
      "/apix",
      "/api",
      "/healthzz",
      "/metrics/x",
    ])
      expect(isApiPath(path), path).toBe(false);
  });
});
