/**
 * Requests that must not exhaust or misuse the server, over real HTTP: bodies refused at their
 * limit before being read whole, bounded tRPC batches, staff-cookie mutations only from our
 * own origin, credentials never taken from a URL, and security headers on every answer.
 */
import type { Server } from "node:http";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "./env.ts";
import { ADMIN_EMAIL, ADMIN_PASSWORD, createHarness, type Harness } from "./__tests__/platform-harness.ts";
import { serve, serveStreaming } from "./__tests__/serve-http.ts";
import type { AppRuntime } from "./app-services.ts";
import { apiRequestHandler } from "./http-handlers.ts";

/**
 * Sends the headers and `sentBytes` of a body that claims (or, chunked, may grow to) far more,
 * and waits for the answer without finishing the upload: a server that reads the whole body
 * first never answers.
 */
function partialUpload(
  baseUrl: string,
  path: string,
  opts: { declaredBytes?: number; sentBytes: number; headers?: Record<string, string> },
): Promise<number> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", ...opts.headers };
    if (opts.declaredBytes !== undefined) headers["content-length"] = String(opts.declaredBytes);
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      },
    );
    req.on("error", (e) =>
      e.message.includes("socket hang up") || e.message.includes("EPIPE") || e.message.includes("ECONNRESET")
        ? undefined
        : reject(e),
    );
    const chunk = Buffer.alloc(64 * 1024, "a");
    for (let sent = 0; sent < opts.sentBytes; sent += chunk.length) req.write(chunk);
    // Deliberately not ended: the rest of the claimed body never comes.
  });
}

describe("request hardening", () => {
  let h: Harness;
  let runtime: AppRuntime;
  let streaming: { server: Server; baseUrl: string };
  let buffered: { server: Server; baseUrl: string };
  beforeAll(async () => {
    h = await createHarness("sqlite");
    runtime = {
      env: parseEnv({ NODE_ENV: "test", DATABASE_URL: h.tdb.url, PUBLIC_URL: "http://kiosk.test" }),
      dbHandle: h.tdb,
      services: h.services,
      stop: async () => undefined,
    };
    streaming = await serveStreaming(apiRequestHandler(async () => runtime));
    buffered = await serve(apiRequestHandler(async () => runtime));
  });
  afterAll(async () => {
    for (const s of [streaming, buffered]) await new Promise((resolve) => s?.server.close(resolve));
    await h?.close();
  });

  // A server that reads the whole body first never answers these: 10 s is far more than a refusal takes.
  describe("body size limits, before the body is read", { timeout: 10_000 }, () => {
    it("the notify endpoint refuses a 60 MB declared body after 256 KB, without waiting for the rest", async () => {
      expect(
        await partialUpload(streaming.baseUrl, "/api/alipay/notify", {
          declaredBytes: 60 * 1024 * 1024,
          sentBytes: 256 * 1024,
        }),
      ).toBe(413);
    });

    it("the notify endpoint stops reading a chunked body at its limit", async () => {
      expect(await partialUpload(streaming.baseUrl, "/api/alipay/notify", { sentBytes: 2 * 1024 * 1024 })).toBe(413);
    });

    it("tRPC refuses a 60 MB declared body, and stops reading a chunked one at its limit", async () => {
      const json = { "content-type": "application/json" };
      expect(
        await partialUpload(streaming.baseUrl, "/api/trpc/auth.login", {
          declaredBytes: 60 * 1024 * 1024,
          sentBytes: 256 * 1024,
          headers: json,
        }),
      ).toBe(413);
      expect(
        await partialUpload(streaming.baseUrl, "/api/trpc/auth.login", { sentBytes: 4 * 1024 * 1024, headers: json }),
      ).toBe(413);
    });
  });

  it("tRPC refuses a batch of more calls than the limit", async () => {
    const calls = 200;
    const batch = (n: number) => {
      const paths = Array.from({ length: n }, () => "auth.me").join(",");
      const input = encodeURIComponent(
        JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [i, { json: null }]))),
      );
      return fetch(`${buffered.baseUrl}/api/trpc/${paths}?batch=1&input=${input}`);
    };
    const small = await batch(2);
    expect((await small.json()) as unknown[]).toHaveLength(2);
    const res = await batch(calls);
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/batch/i);
  });

  describe("staff-cookie mutations only from our own origin", () => {
    async function signIn(): Promise<string> {
      const res = await fetch(`${buffered.baseUrl}/api/trpc/auth.login`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: buffered.baseUrl },
        body: JSON.stringify({ json: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } }),
      });
      expect(res.status).toBe(200);
      return (res.headers.get("set-cookie") ?? "").split(";")[0]!;
    }
    const me = async (cookie: string) =>
      (await fetch(`${buffered.baseUrl}/api/trpc/auth.me`, { headers: { cookie } })).status;

    it("a multipart form post from another site cannot sign a staff member out", async () => {
      const cookie = await signIn();
      const form = new FormData();
      form.set("x", "1");
      const res = await fetch(`${buffered.baseUrl}/api/trpc/auth.logout`, {
        method: "POST",
        headers: { cookie, origin: "http://127.0.0.1:4010" },
        body: form,
      });
      expect(res.status).toBe(403);
      expect(await me(cookie)).toBe(200);
    });

    it("a cross-site request without Origin is judged by Sec-Fetch-Site", async () => {
      const cookie = await signIn();
      const res = await fetch(`${buffered.baseUrl}/api/trpc/auth.logout`, {
        method: "POST",
        headers: { cookie, "sec-fetch-site": "same-site", "content-type": "application/json" },
        body: "{}",
      });
      expect(res.status).toBe(403);
      expect(await me(cookie)).toBe(200);
    });

    it("our own pages (same origin, or PUBLIC_URL behind a proxy) still can", async () => {
      const cookie = await signIn();
      const res = await fetch(`${buffered.baseUrl}/api/trpc/auth.logout`, {
        method: "POST",
        headers: { cookie, origin: "http://kiosk.test", "content-type": "application/json" },
        body: "{}",
      });
      expect(res.status).toBe(200);
      expect(await me(cookie)).toBe(401);
    });
  });

  it("every answer carries the security headers (CSP with frame-ancestors, nosniff, Referrer-Policy; HSTS only on https)", async () => {
    const res = await fetch(`${buffered.baseUrl}/healthz`);
    expect(res.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get("content-security-policy")).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:\*/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("strict-transport-security")).toBeNull();
    const https: AppRuntime = { ...runtime, env: { ...runtime.env, publicUrl: "https://tickets.example.com" } };
    const secure = await apiRequestHandler(async () => https)(new Request("https://tickets.example.com/healthz"));
    expect(secure.headers.get("strict-transport-security")).toMatch(/max-age=\d+/);
  });
});
