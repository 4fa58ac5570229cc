/**
 * A TCP proxy in front of a real server (PostgreSQL, in the outage tests) that a test switches
 * between forwarding, blackholing (accepts, never answers: a dead network path) and refusing
 * (closes every connection at once: a stopped server). Switching drops what was open.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from "node:net";

export interface SwitchableProxy {
  port: number;
  forward(): void;
  blackhole(): void;
  refuse(): void;
  close(): Promise<void>;
}

export async function switchableProxy(target: { host: string; port: number }): Promise<SwitchableProxy> {
  let mode: "forward" | "blackhole" | "refuse" = "forward";
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (mode === "refuse") {
      client.destroy();
      return;
    }
    open.add(client);
    client.on("close", () => open.delete(client));
    client.on("error", () => undefined);
    if (mode === "blackhole") return; // holds the socket, says nothing
    const upstream = connect(target.port, target.host);
    open.add(upstream);
    upstream.on("close", () => open.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const drop = () => {
    for (const s of open) s.destroy();
  };
  return {
    port: (server.address() as AddressInfo).port,
    forward() {
      mode = "forward";
    },
    blackhole() {
      mode = "blackhole";
      drop();
    },
    refuse() {
      mode = "refuse";
      drop();
    },
    close: () =>
      new Promise<void>((r) => {
        drop();
        server.close(() => r());
      }),
  };
}

/** A loopback port nothing listens on (bound and released): connections to it are refused. */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
