import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { installPeerForwarding } from "./peer-forwarding.ts";

describe("peer forwarding for next start (instrumentation.ts)", () => {
  let server: Server | undefined;
  afterAll(() => server?.close());

  it("appends the TCP peer to a client-sent X-Forwarded-For of every node:http request", async () => {
    installPeerForwarding();
    installPeerForwarding();
    server = createServer((req, res) => res.end(String(req.headers["x-forwarded-for"])));
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    expect(await (await fetch(url, { headers: { "x-forwarded-for": "203.0.113.7" } })).text()).toBe(
      "203.0.113.7, 127.0.0.1",
    );
    expect(await (await fetch(url)).text()).toBe("127.0.0.1");
  });
});
