/**
 * A small round-robin HTTP load balancer for the fleet proof: each request goes to the next
 * backend; a backend that refuses the connection (its process is dead) is skipped for a second
 * and the request goes to the next one (it never reached a server, so resending is safe). A
 * connection that breaks after the request was sent answers 502: the request may have been
 * acted on, so it is not sent twice. Counts requests per backend.
 */
import { request as httpRequest, createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RoundRobin {
  url: string;
  served: number[];
  /** Requests resent to another backend after a refused connection. */
  rerouted: number;
  /** Requests answered 502 because their backend broke mid-request. */
  broken: number;
  close(): Promise<void>;
}

const SKIP_MS = 1_000;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function startRoundRobin(backends: readonly string[]): Promise<RoundRobin> {
  const targets = backends.map((b) => new URL(b));
  const downUntil = targets.map(() => 0);
  let next = 0;
  const state = { served: targets.map(() => 0), rerouted: 0, broken: 0 };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const tried = new Set<number>();
      for (;;) {
        let i = -1;
        for (let k = 0; k < targets.length; k++) {
          const j = (next + k) % targets.length;
          if (!tried.has(j) && downUntil[j]! <= Date.now()) {
            i = j;
            break;
          }
        }
        if (i === -1) i = [...targets.keys()].find((j) => !tried.has(j)) ?? -1;
        if (i === -1) {
          res.writeHead(503, { "content-type": "text/plain", "retry-after": "1" }).end("no backend up");
          return;
        }
        next = (i + 1) % targets.length;
        tried.add(i);
        const outcome = await new Promise<"done" | "refused">((resolve) => {
          const target = targets[i]!;
          const upstream = httpRequest(
            {
              host: target.hostname,
              port: target.port,
              method: req.method,
              path: req.url,
              headers: { ...req.headers, host: target.host, connection: "close" },
            },
            (answer) => {
              state.served[i]! += 1;
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(res);
              answer.on("end", () => resolve("done"));
              answer.on("error", () => {
                res.destroy();
                resolve("done");
              });
            },
          );
          upstream.on("error", (error: NodeJS.ErrnoException) => {
            if (error.code === "ECONNREFUSED") {
              downUntil[i] = Date.now() + SKIP_MS;
              resolve("refused");
              return;
            }
            state.broken += 1;
            if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" }).end("backend broke");
            else res.destroy();
            resolve("done");
          });
          upstream.end(body);
        });
        if (outcome === "done") return;
        state.rerouted += 1;
      }
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get served() {
      return state.served;
    },
    get rerouted() {
      return state.rerouted;
    },
    get broken() {
      return state.broken;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
