/**
 * A pass-through HTTP proxy on 127.0.0.1 that keeps every request exactly as it arrived
 * (method, path with query, raw body bytes as text), for asserting what a gateway received.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  body: string;
}

export interface RecordingProxy {
  /** e.g. `http://127.0.0.1:54321/gateway.do` when `target` ends in `/gateway.do`. */
  url: string;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Forwards to `target`'s origin; `url` has `target`'s path. */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const targetUrl = new URL(target);
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readRaw(req);
      const path = req.url ?? "/";
      received.push({ method: req.method ?? "GET", path, body: body.toString("utf8") });
      const headers: Record<string, string> = {};
      for (const name of ["content-type", "accept"]) {
        const value = req.headers[name];
        if (typeof value === "string") headers[name] = value;
      }
      const answer = await fetch(`${targetUrl.origin}${path}`, {
        method: req.method ?? "GET",
        headers,
        ...(req.method === "POST" ? { body: new Uint8Array(body) } : {}),
        redirect: "manual",
      });
      const bytes = Buffer.from(await answer.arrayBuffer());
      res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "text/plain" });
      res.end(bytes);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${targetUrl.pathname}`,
    received,
    close: () => new Promise<void>((resolveClose) => server.close(() => resolveClose())),
  };
}
