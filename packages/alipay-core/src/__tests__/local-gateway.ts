import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type GatewayRequest = {
  method: string;
  path: string;
  /** URL query and form body merged (body wins). */
  params: Record<string, string>;
  query: Record<string, string>;
  body: Record<string, string>;
  headers: IncomingMessage["headers"];
};

export type GatewayReply = {
  status?: number;
  body: string | Buffer;
  contentType?: string;
  /** Never answer (for time-out tests). */
  isHanging?: boolean;
};

export type LocalGateway = {
  url: string;
  requests: GatewayRequest[];
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

/** A tiny local HTTP gateway on 127.0.0.1:0 for client tests (no dependency on the sandbox package). */
export async function startLocalGateway(
  handler: (request: GatewayRequest) => GatewayReply | Promise<GatewayReply>,
): Promise<LocalGateway> {
  const requests: GatewayRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const query = Object.fromEntries(url.searchParams);
        const body = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
        const request: GatewayRequest = {
          method: req.method ?? "GET",
          path: url.pathname,
          params: { ...query, ...body },
          query,
          body,
          headers: req.headers,
        };
        requests.push(request);
        const reply = await handler(request);
        if (reply.isHanging) return;
        res.writeHead(reply.status ?? 200, {
          "content-type": reply.contentType ?? "text/xml; charset=UTF-8",
        });
        res.end(reply.body);
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    url: `http://127.0.0.1:${port}/gateway.do`,
    requests,
    close,
    [Symbol.asyncDispose]: close,
  };
}
