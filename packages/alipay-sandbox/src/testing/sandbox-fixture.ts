/**
 * Test fixture: a sandbox on 127.0.0.1:0 with a manual clock, plus a notification receiver.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createManualClock, type ManualClock } from "../clock.ts";
import { startSandbox, type RunningSandbox, type SandboxOptions } from "../sandbox.ts";

export type TestSandbox = RunningSandbox & { clock: ManualClock };

/** Starts a sandbox on a free loopback port with a manual clock and no background tick. */
export async function startTestSandbox(options: SandboxOptions = {}): Promise<TestSandbox> {
  const clock = createManualClock();
  const sandbox = await startSandbox({
    clock,
    tickIntervalMs: 0,
    port: 0,
    host: "127.0.0.1",
    ...options,
  });
  return {
    ...sandbox,
    clock: (options.clock as ManualClock | undefined) ?? clock,
  };
}

export type ReceivedNotification = {
  path: string;
  params: Record<string, string>;
  /** The raw body and the signature headers (Antom signs in headers over the JSON body). */
  body: string;
  headers: Record<string, string | undefined>;
};

export type NotificationReceiver = {
  url: string;
  received: ReceivedNotification[];
  /** Body to answer with (default `success`). */
  answer: string;
  close(): Promise<void>;
};

/** A merchant endpoint that records form POSTs and answers `answer`. */
export async function startNotificationReceiver(): Promise<NotificationReceiver> {
  const received: ReceivedNotification[] = [];
  const receiver = { answer: "success" };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const header = (name: string): string | undefined => {
        const v = req.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      received.push({
        path: req.url ?? "/",
        params: Object.fromEntries(new URLSearchParams(body)),
        body,
        headers: {
          "content-type": header("content-type"),
          signature: header("signature"),
          "request-time": header("request-time"),
          "client-id": header("client-id"),
        },
      });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(receiver.answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/notify`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}
