/**
 * A tampering proxy in front of the gateway: passes every exchange through unchanged until
 * armed, then alters one byte inside the signed part of the next N answers (a digit of the
 * MAPI `<response>` element, of the OpenAPI `*_response` object or of an Antom body), as a man in the middle
 * would. The client must reject such an answer as a signature error.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface TamperProxy {
  /** Base URL to use instead of the gateway's origin (path and query are forwarded as is). */
  url: string;
  /** Tamper with the next `count` answers that have a signed part. */
  arm(count?: number): void;
  /** Answers tampered with so far. */
  tamperedCount(): number;
  close(): Promise<void>;
}

/** Changes the first digit after the start of the signed part; `null` when there is none. */
export function flipSignedByte(body: string): string | null {
  // Antom signs the whole JSON body (header signature): its answers start with the result.
  const antomStart = body.startsWith('{"result":') ? 0 : -1;
  const start = [body.indexOf("<response>"), body.search(/_response"\s*:/), antomStart]
    .filter((i) => i >= 0)
    .sort((a, b) => a - b)[0];
  if (start === undefined) return null;
  const rest = body.slice(start);
  const at = rest.search(/\d/);
  if (at < 0) return null;
  const i = start + at;
  const digit = Number(body[i]);
  return `${body.slice(0, i)}${(digit + 1) % 10}${body.slice(i + 1)}`;
}

const ANTOM_RESPONSE_HEADERS = ["client-id", "response-time", "signature"] as const;

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startTamperProxy(options: { gatewayOrigin: string }): Promise<TamperProxy> {
  let armed = 0;
  let tampered = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const body = await readBody(req);
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) {
          if (typeof value === "string" && !["host", "connection", "content-length"].includes(name))
            headers[name] = value;
        }
        const upstream = await fetch(new URL(req.url ?? "/", options.gatewayOrigin), {
          method: req.method ?? "GET",
          headers,
          ...(body.byteLength > 0 ? { body: new Uint8Array(body) } : {}),
          redirect: "manual",
        });
        let out = Buffer.from(await upstream.arrayBuffer());
        if (armed > 0) {
          const flipped = flipSignedByte(out.toString("utf8"));
          if (flipped !== null) {
            armed -= 1;
            tampered += 1;
            out = Buffer.from(flipped, "utf8");
          }
        }
        res.writeHead(upstream.status, {
          "content-type": upstream.headers.get("content-type") ?? "text/plain",
          "content-length": String(out.byteLength),
          // Antom's answer signature travels in headers.
          ...Object.fromEntries(
            ANTOM_RESPONSE_HEADERS.flatMap((name) => {
              const value = upstream.headers.get(name);
              return value === null ? [] : [[name, value]];
            }),
          ),
        });
        res.end(out);
      } catch (error) {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`tamper proxy: upstream failed (${error instanceof Error ? error.message : String(error)})`);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arm(count = 1) {
      armed += count;
    },
    tamperedCount: () => tampered,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
