/**
 * node:http in front of a fetch-style handler ((Request) => Promise<Response>), for processes
 * that serve the kiosk's handlers without Next (scripts/api-server.ts, tests). Response bodies
 * are streamed, so tRPC subscriptions (server-sent events) work; a client that goes away
 * aborts its request's signal, which ends the subscription.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { stampPeer } from "./client-address.ts";

export type FetchHandler = (req: Request) => Promise<Response>;

/** Request bodies above this are refused with 413 before the handler runs. */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<Buffer | "too_large"> {
  // A declared length over the limit (or not a number) is refused before a byte is read: a
  // client that claims 60 MB and stalls must not hold the request open (as readBodyLimited).
  const declared = req.headers["content-length"];
  if (declared !== undefined && (!/^\d+$/.test(declared) || Number(declared) > MAX_REQUEST_BODY_BYTES))
    return "too_large";
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BODY_BYTES) return "too_large";
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function headersOf(req: IncomingMessage): Headers {
  // The TCP peer goes last, so the handlers can tell what a trusted proxy wrote from what the client invented.
  stampPeer(req);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((v, k) => {
    if (k !== "set-cookie") out[k] = v;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) out["set-cookie"] = cookies;
  if (!response.body) {
    res.writeHead(response.status, out);
    res.end();
    return;
  }
  // A finite answer (every one but a subscription's event stream) goes out in one write: piping
  // a web stream into the socket cost more CPU than most handlers' own work.
  if (!(response.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    const bytes = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, Object.assign({}, out, { "content-length": String(bytes.length) }));
    res.end(bytes);
    return;
  }
  res.writeHead(response.status, out);
  const body = Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>);
  await new Promise<void>((resolve) => {
    body.on("error", () => resolve());
    res.on("close", () => {
      body.destroy();
      resolve();
    });
    body.pipe(res);
  });
}

/**
 * How long an idle keep-alive connection stays open. Node's default (5 s) races clients that
 * keep connections longer: a request sent as the server closes the socket fails with
 * ECONNRESET (seen once in `proof:load` from a booking system's client). Proxies keep upstream
 * connections up to 60 s (nginx's and most load balancers' default), so the server outlives them.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** Applies the keep-alive policy (and a headers timeout beyond it, as Node requires) to a server. */
export function keepConnectionsAlive(server: Server): Server {
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  return server;
}

/**
 * A node:http request listener calling `handler`. `origin()` is the server's own origin
 * (`http://127.0.0.1:<port>`), the base of every Request URL.
 */
export function toNodeListener(
  handler: FetchHandler,
  origin: () => string,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void (async () => {
      const aborter = new AbortController();
      res.on("close", () => {
        if (!res.writableFinished) aborter.abort();
      });
      try {
        const method = req.method ?? "GET";
        const body = method === "GET" || method === "HEAD" ? null : await readBody(req);
        if (body === "too_large") {
          // The unread rest of the body is not waited for: the connection closes with the answer.
          res.writeHead(413, { "content-type": "text/plain", connection: "close" }).end("request body too large");
          return;
        }
        const request = new Request(`${origin()}${req.url ?? "/"}`, {
          method,
          headers: headersOf(req),
          signal: aborter.signal,
          ...(body && body.length > 0 ? { body: new Uint8Array(body) } : {}),
        });
        await writeResponse(res, await handler(request));
      } catch (error) {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        res
          .writeHead(500, { "content-type": "text/plain" })
          .end(error instanceof Error ? error.message : "internal error");
      }
    })();
  };
}
