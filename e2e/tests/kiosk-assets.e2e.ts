/**
 * The kiosk page's script (public/kiosk-app/, built by apps/kiosk/scripts/build-kiosk-client.mjs)
 * reaches the browser compressed from the kiosk server itself (`npm start`, server.ts), not only
 * behind the Docker image's nginx: a kiosk on a slow uplink loads the 237 KB entry as 64.5 KB
 * of brotli. The files are compressed once at build time (brotli and gzip beside each), so no
 * request spends the server's CPU on it; their names carry their content hash, so they are
 * cached for good.
 */
import { request as httpRequest } from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { expect, test } from "@playwright/test";
import { E2E } from "../support/system.ts";

interface Fetched {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET with exactly the Accept-Encoding given (none: the header is left out). */
function get(path: string, acceptEncoding?: string): Promise<Fetched> {
  const url = new URL(path, E2E.kioskUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        headers: acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

async function entryScriptPath(): Promise<string> {
  const page = await get("/kiosk");
  expect(page.status).toBe(200);
  const src = /<script[^>]+src="(\/kiosk-app\/kiosk-[^"]+\.js)"/.exec(page.body.toString("utf8"))?.[1];
  expect(src, "the /kiosk page loads its script from /kiosk-app/").toBeTruthy();
  return src!;
}

test("the kiosk page's script is served brotli- or gzip-compressed as the browser accepts, the same bytes", async () => {
  const path = await entryScriptPath();
  const plain = await get(path);
  expect(plain.status).toBe(200);
  expect(plain.headers["content-encoding"]).toBeUndefined();
  expect(plain.body.length).toBeGreaterThan(10_000);

  const br = await get(path, "gzip, deflate, br");
  expect(br.status).toBe(200);
  expect(br.headers["content-encoding"]).toBe("br");
  expect(br.headers["vary"]).toMatch(/accept-encoding/i);
  expect(br.body.length).toBeLessThan(plain.body.length / 2);
  expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true);

  const gz = await get(path, "gzip");
  expect(gz.status).toBe(200);
  expect(gz.headers["content-encoding"]).toBe("gzip");
  expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);

  for (const res of [plain, br, gz]) expect(res.headers["content-type"]).toMatch(/javascript/);
});

test("the kiosk page's script carries the security headers and is cached for good (its name is its hash)", async () => {
  const path = await entryScriptPath();
  const res = await get(path, "br");
  expect(res.headers["x-content-type-options"]).toBe("nosniff");
  expect(res.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(res.headers["cache-control"]).toMatch(/immutable/);
  // A name that is not in the build is a 404, not a fall-through to something else.
  expect((await get("/kiosk-app/kiosk-NOPE0000.js", "br")).status).toBe(404);
});
