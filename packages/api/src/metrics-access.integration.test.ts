/**
 * /metrics tells anyone who reads it how the fleet and the payments are doing: over real HTTP,
 * it answers only with METRICS_TOKEN as a bearer, and not at all in production without one.
 */
import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "./env.ts";
import { createHarness, type Harness } from "./__tests__/platform-harness.ts";
import { serve } from "./__tests__/serve-http.ts";
import type { AppRuntime } from "./app-services.ts";
import { apiRequestHandler } from "./http-handlers.ts";

const TOKEN = "metrics-scraper-token-0123456789abcdef";

describe("/metrics access", () => {
  let h: Harness;
  const servers: Server[] = [];
  beforeAll(async () => {
    h = await createHarness("sqlite");
  });
  afterAll(async () => {
    for (const s of servers) await new Promise((resolve) => s.close(resolve));
    await h?.close();
  });

  async function serveWith(env: Record<string, string>): Promise<string> {
    const runtime: AppRuntime = {
      env: parseEnv({ DATABASE_URL: h.tdb.url, PUBLIC_URL: "http://kiosk.test", ...env }),
      dbHandle: h.tdb,
      services: h.services,
      stop: async () => undefined,
    };
    const { server, baseUrl } = await serve(apiRequestHandler(async () => runtime));
    servers.push(server);
    return baseUrl;
  }

  it("with METRICS_TOKEN: only a scraper that presents it", async () => {
    const base = await serveWith({ NODE_ENV: "production", METRICS_TOKEN: TOKEN });
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect(
      (await fetch(`${base}/metrics`, { headers: { authorization: "Bearer wrong-token-wrong-token-0000" } })).status,
    ).toBe(401);
    const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("# TYPE kiosk_kiosks_online gauge");
  });

  it("in production without METRICS_TOKEN: refused", async () => {
    const base = await serveWith({ NODE_ENV: "production" });
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(403);
    expect(await res.text()).not.toContain("kiosk_");
  });
});
