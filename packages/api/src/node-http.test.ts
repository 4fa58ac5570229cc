import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "node:http";
import { keepConnectionsAlive, KEEP_ALIVE_TIMEOUT_MS, MAX_REQUEST_BODY_BYTES, toNodeListener } from "./node-http.ts";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

async function serve(): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  server = createServer(
    toNodeListener(
      async (req) => {
        seen.push(`${req.method} ${new URL(req.url).pathname} ${(await req.text()).length}`);
        return new Response("ok");
      },
      () => `http://127.0.0.1:${(server!.address() as AddressInfo).port}`,
    ),
  );
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { port: (server.address() as AddressInfo).port, seen };
}

/** Sends `sent` bytes of a body that claims `declared`, then nothing more; resolves with the status. */
function post(port: number, declared: string, sent: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, path: "/api/alipay/notify", method: "POST", headers: { "content-length": declared } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      },
    );
    req.on("error", (e) => (/hang up|EPIPE|ECONNRESET/.test(e.message) ? undefined : reject(e)));
    req.write(Buffer.alloc(sent, "a"));
    if (String(sent) === declared) req.end();
  });
}

describe("toNodeListener", () => {
  it("refuses a body that claims more than the limit before reading it (a client that stalls gets its 413)", async () => {
    const { port, seen } = await serve();
    // 256 KB of a claimed 60 MB, then silence: waiting for the rest would never answer.
    expect(await post(port, String(60 * 1024 * 1024), 256 * 1024)).toBe(413);
    expect(seen).toEqual([]);
  }, 10_000);

  it("passes a body within the limit to the handler, whole", async () => {
    const { port, seen } = await serve();
    expect(await post(port, String(MAX_REQUEST_BODY_BYTES), MAX_REQUEST_BODY_BYTES)).toBe(200);
    expect(seen).toEqual([`POST /api/alipay/notify ${MAX_REQUEST_BODY_BYTES}`]);
  });
});

describe("keep-alive", () => {
  it("tells clients the server keeps an idle connection 65 s (beyond a proxy's 60 s), and serves them on one", async () => {
    const { port } = await serve();
    keepConnectionsAlive(server!);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ hint: unknown; socket: unknown }>((resolve, reject) => {
        const req = httpRequest({ host: "127.0.0.1", port, path: "/healthz", agent }, (res) => {
          res.resume();
          res.on("end", () => resolve({ hint: res.headers["keep-alive"], socket: req.socket }));
        });
        req.on("error", reject);
        req.end();
      });
    const first = await get();
    const second = await get();
    agent.destroy();
    expect(first.hint).toBe(`timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);
    expect(KEEP_ALIVE_TIMEOUT_MS).toBeGreaterThan(60_000);
    expect(second.socket).toBe(first.socket);
    expect(server!.headersTimeout).toBeGreaterThan(KEEP_ALIVE_TIMEOUT_MS);
  });
});
