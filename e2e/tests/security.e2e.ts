/**
 * Issue 15 items 3 and 5 against `npm start` as a visitor or an attacker sees it: the device
 * bridge token is not in any page an unauthenticated visitor gets, a crafted link cannot
 * repoint the kiosk's device channel, and pages carry the security headers.
 */
import { request as httpRequest } from "node:http";
import { expect, test } from "@playwright/test";
import { demoCredentials, E2E } from "../support/system.ts";
import { expectScreen, kioskCredential, skipWhenDependencyMissing, openKiosk } from "./kiosk-support.ts";

test("no page serves a device bridge token to an unauthenticated visitor", async ({ request }) => {
  const { bridgePairingToken, counterBridgeToken } = demoCredentials();
  expect(bridgePairingToken).toMatch(/^kbt_/);
  for (const path of ["/kiosk", "/staff/counter", "/staff", "/"]) {
    const res = await request.get(path);
    expect(res.status()).toBe(200);
    const html = await res.text();
    expect(html).not.toContain(bridgePairingToken);
    expect(html).not.toContain(counterBridgeToken);
    expect(html).not.toContain("dev-pairing-token-change-me");
  }
});

test("pages carry the security headers", async ({ request }) => {
  const res = await request.get("/kiosk");
  const headers = res.headers();
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("no-referrer");
});

test("a crafted link cannot repoint the kiosk's device channel, now or later", async ({ page }) => {
  test.setTimeout(90_000);
  await skipWhenDependencyMissing("e2e");
  const credential = await kioskCredential();
  const attempts: string[] = [];
  page.on("websocket", (ws) => attempts.push(ws.url()));
  // What the attacker's link asks for: a bridge on their host, with their token.
  await page.addInitScript((c) => {
    if (!window.localStorage.getItem("kiosk.deviceCredential"))
      window.localStorage.setItem("kiosk.deviceCredential", c);
  }, credential);
  await page.goto(
    `/kiosk?${new URLSearchParams({ bridge: "ws://198.51.100.7:7878", bridgeToken: "attacker-token-0123456789" }).toString()}`,
  );
  await expectScreen(page, "attract", 30_000);
  expect(await page.evaluate(() => window.localStorage.getItem("kiosk.bridge"))).toBeNull();
  expect(attempts.some((u) => u.includes("198.51.100.7"))).toBe(false);
  // A plain reload afterwards still uses the configured bridge.
  await openKiosk(page, credential);
  await expectScreen(page, "attract", 30_000);
});

test("the notify endpoint refuses a 60 MB body before reading it (real Next server)", async () => {
  test.setTimeout(30_000);
  const url = new URL("/api/alipay/notify", E2E.kioskUrl);
  const started = Date.now();
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "content-length": String(60 * 1024 * 1024) },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      },
    );
    req.on("error", (e) => (/hang up|EPIPE|ECONNRESET/.test(e.message) ? undefined : reject(e)));
    // 256 KB of the claimed 60 MB, then nothing: a server that reads the whole body first never answers.
    req.write(Buffer.alloc(256 * 1024, "a"));
  });
  expect(status).toBe(413);
  expect(Date.now() - started).toBeLessThan(20_000);
});
