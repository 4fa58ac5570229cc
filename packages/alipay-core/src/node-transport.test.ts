import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  AlipayAbortError,
  AlipayNetworkError,
  AlipayResponseError,
  AlipayTimeoutError,
  mayHaveReachedGateway,
} from "./errors.ts";
import { NodeHttpTransport, type HttpRequest } from "./transport.ts";

type Seen = { method: string; url: string; headers: IncomingMessage["headers"]; body: string; socket: Socket };

/** A real HTTP server on loopback; `answer` writes each response, `seen` records what came. */
async function gateway(answer: (req: IncomingMessage, res: ServerResponse) => void, server: Server = createServer()) {
  const seen: Seen[] = [];
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        socket: req.socket,
      });
      answer(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  servers.push(server);
  return { seen, port, server };
}

const servers: Server[] = [];
const transports: NodeHttpTransport[] = [];
afterEach(async () => {
  for (const t of transports.splice(0)) t.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

function transport(options?: ConstructorParameters<typeof NodeHttpTransport>[0]) {
  const t = new NodeHttpTransport(options);
  transports.push(t);
  return t;
}

const post = (url: string, body = "a=1&b=%E4%B8%AD", signal = new AbortController().signal, timeoutMs = 5000) =>
  ({
    method: "POST",
    url,
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body,
    timeoutMs,
    signal,
  }) satisfies HttpRequest;

describe("NodeHttpTransport", () => {
  it("sends the body and headers as given; returns status, lower-cased headers and the raw bytes", async () => {
    const gbk = Buffer.from([0x3c, 0x61, 0x3e, 0xd6, 0xd0, 0x3c, 0x2f, 0x61, 0x3e]); // <a>中</a> in GBK
    const g = await gateway((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/xml; charset=GBK", "X-Trace": "t1" });
      res.end(gbk);
    });
    const body = "sign=ab%2Bc%3D&out_trade_no=K1&subject=%E9%97%A8%E7%A5%A8";
    const response = await transport().request(
      post(`http://127.0.0.1:${g.port}/gateway.do?_input_charset=utf-8`, body),
    );
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("text/xml; charset=GBK");
    expect(response.headers["x-trace"]).toBe("t1");
    expect(Buffer.from(response.body).equals(gbk)).toBe(true);
    expect(g.seen).toHaveLength(1);
    expect(g.seen[0]).toMatchObject({
      method: "POST",
      url: "/gateway.do?_input_charset=utf-8",
      body,
    });
    expect(g.seen[0]!.headers["content-type"]).toBe("application/x-www-form-urlencoded; charset=utf-8");
    expect(g.seen[0]!.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
  });

  it("sends no body for GET", async () => {
    const g = await gateway((_req, res) => res.end("ok"));
    const response = await transport().request({
      ...post(`http://127.0.0.1:${g.port}/gateway.do?x=1`),
      method: "GET",
      body: undefined,
    });
    expect(new TextDecoder().decode(response.body)).toBe("ok");
    expect(g.seen[0]).toMatchObject({ method: "GET", body: "" });
    expect(g.seen[0]!.headers["content-length"]).toBeUndefined();
  });

  it("keeps the connection: consecutive exchanges go over one socket", async () => {
    const g = await gateway((_req, res) => res.end("ok"));
    const t = transport();
    for (let i = 0; i < 3; i++) await t.request(post(`http://127.0.0.1:${g.port}/gateway.do`));
    expect(new Set(g.seen.map((s) => s.socket)).size).toBe(1);
  });

  it("an answer slower than the idle-socket time-out still arrives (that time-out is for idle sockets only)", async () => {
    const g = await gateway((_req, res) => {
      setTimeout(() => res.end("late"), 80); // a PIN-entry pay holds the socket this long and more
    });
    const response = await transport({ idleSocketMs: 20 }).request(post(`http://127.0.0.1:${g.port}/gateway.do`));
    expect(new TextDecoder().decode(response.body)).toBe("late");
  });

  it("does not follow a redirect: the 3xx comes back as it is", async () => {
    const g = await gateway((req, res) => {
      if (req.url === "/elsewhere") return res.end("followed");
      res.writeHead(302, { Location: "/elsewhere" });
      res.end();
    });
    const response = await transport().request(post(`http://127.0.0.1:${g.port}/gateway.do`));
    expect(response.status).toBe(302);
    expect(g.seen.map((s) => s.url)).toEqual(["/gateway.do"]);
  });

  it("maps its own time-out to AlipayTimeoutError (the request was sent)", async () => {
    const g = await gateway(() => {}); // never answers
    const error = await transport()
      .request(post(`http://127.0.0.1:${g.port}/gateway.do`, "a=1", undefined, 30))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlipayTimeoutError);
    expect(mayHaveReachedGateway(error)).toBe(true);
  });

  it("maps a caller abort to AlipayAbortError, before or during the exchange", async () => {
    const g = await gateway(() => {});
    const controller = new AbortController();
    const pending = transport().request(post(`http://127.0.0.1:${g.port}/gateway.do`, "a=1", controller.signal));
    await new Promise((r) => setImmediate(r));
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AlipayAbortError);
    const early = new AbortController();
    early.abort();
    await expect(
      transport().request(post(`http://127.0.0.1:${g.port}/gateway.do`, "a=1", early.signal)),
    ).rejects.toBeInstanceOf(AlipayAbortError);
  });

  it("a refused connection is a network error that never reached the gateway; no URL in the message", async () => {
    const g = await gateway(() => {});
    const port = g.port;
    g.server.close();
    servers.splice(servers.indexOf(g.server), 1);
    await new Promise((r) => setImmediate(r));
    const error = await transport()
      .request(post(`http://127.0.0.1:${port}/gateway.do`))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlipayNetworkError);
    expect((error as AlipayNetworkError).isRequestSent).toBe(false);
    expect((error as Error).message).toContain("ECONNREFUSED");
    expect((error as Error).message).not.toContain("127.0.0.1");
  });

  it("an answer cut off mid-body is a network error that may have reached the gateway", async () => {
    const g = await gateway((_req, res) => {
      res.writeHead(200, { "Content-Length": "100" });
      res.write("<alipay>");
      setImmediate(() => res.socket?.destroy());
    });
    const error = await transport()
      .request(post(`http://127.0.0.1:${g.port}/gateway.do`))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlipayNetworkError);
    expect((error as AlipayNetworkError).isRequestSent).toBe(true);
  });

  it("refuses oversized bodies, declared or streamed", async () => {
    const declared = await gateway((_req, res) => {
      res.writeHead(200, { "Content-Length": "999" });
      res.end("x".repeat(999));
    });
    await expect(
      transport({ maxResponseBytes: 10 }).request(post(`http://127.0.0.1:${declared.port}/gateway.do`)),
    ).rejects.toThrow(/999 bytes/);
    const streamed = await gateway((_req, res) => {
      res.writeHead(200); // chunked: no length declared
      res.write("x".repeat(8));
      res.end("y".repeat(8));
    });
    const error = await transport({ maxResponseBytes: 10 })
      .request(post(`http://127.0.0.1:${streamed.port}/gateway.do`))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlipayResponseError);
  });

  it("speaks https, trusting a given certificate authority besides the system's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kiosk-tls-"));
    try {
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:P-256",
          "-nodes",
          "-days",
          "1",
          "-subj",
          "/CN=127.0.0.1",
          "-addext",
          "subjectAltName=IP:127.0.0.1",
          "-keyout",
          join(dir, "key.pem"),
          "-out",
          join(dir, "cert.pem"),
        ],
        { stdio: "ignore" },
      );
      const cert = readFileSync(join(dir, "cert.pem"), "utf8");
      const key = readFileSync(join(dir, "key.pem"), "utf8");
      const g = await gateway((_req, res) => res.end("<alipay/>"), createHttpsServer({ cert, key }));
      const url = `https://127.0.0.1:${g.port}/gateway.do`;
      const response = await transport({ ca: cert }).request(post(url));
      expect(new TextDecoder().decode(response.body)).toBe("<alipay/>");
      expect(g.seen[0]!.body).toBe("a=1&b=%E4%B8%AD");
      // Without the authority the certificate is refused: a network error, nothing accepted.
      const refused = await transport()
        .request(post(url))
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(AlipayNetworkError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is what the clients use when given no transport", async () => {
    const { defaultTransport } = await import("./transport.ts");
    expect(defaultTransport()).toBeInstanceOf(NodeHttpTransport);
    expect(defaultTransport()).toBe(defaultTransport());
  });
});
