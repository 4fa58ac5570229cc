/**
 * The partner API suites' shared set-up: the real sandbox gateway (over HTTP), a platform
 * harness on SQLite or PostgreSQL, every server endpoint over real HTTP, a webhook receiver
 * that can be told to fail, two registered terminals, and helpers to call the API and to
 * move the clock while driving the sandbox and the worker.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startSandbox, type RunningSandbox } from "@kiosk/alipay-sandbox";
import { createHarness as createPlatformHarness, type Harness } from "../../__tests__/platform-harness.ts";
import { callTrpc, serveApi, type TrpcAnswer } from "../../__tests__/serve-http.ts";
import { createAlipay, PG_URL } from "../../services/__tests__/harness.ts";
import type { TerminalPaymentView } from "../payments.ts";

export const ATTRACTION = "attr_skyline";

export interface Answer<T = TerminalPaymentView> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CreateBody {
  amount: number;
  currency: string;
  paymentCode: string;
  reference: string;
  subject: string;
  storeId: string;
  terminalId: string;
  [extra: string]: unknown;
}

export interface PartnerFixture {
  h: Harness;
  sandbox: RunningSandbox;
  baseUrl: string;
  hookUrl: string;
  /** Every webhook delivery the receiver got, in order. */
  received: { headers: IncomingMessage["headers"]; body: string }[];
  /** The receiver answers the next `n` deliveries with a 500. */
  failNextHooks(n: number): void;
  /** The GIFTSHOP / POS-1 terminal's key and webhook secret (webhooks go to the receiver). */
  key: string;
  webhookSecret: string;
  /** Another terminal (CAFE / ECR-9, no webhook URL). */
  otherKey: string;
  call<T = TerminalPaymentView>(
    method: string,
    path: string,
    opts?: { body?: unknown; key?: string | null; idem?: string; raw?: string },
  ): Promise<Answer<T>>;
  /** A create body for GIFTSHOP / POS-1 with a fresh reference. */
  body(paymentCode: string, amount?: number, extra?: Record<string, unknown>): CreateBody;
  /** Moves time and drives the sandbox and the worker (which also runs the webhook outbox) once. */
  step(ms?: number): Promise<void>;
  /** Steps until `p` settles (at most `max` steps). */
  until<T>(p: Promise<T>, max?: number): Promise<T>;
  /** A staff member's tRPC call over HTTP (session cookie). */
  staff<T = unknown>(
    role: "viewer" | "cashier" | "supervisor" | "admin",
    path: string,
    input: unknown,
    type?: "query" | "mutation",
  ): Promise<TrpcAnswer<T>>;
  /** The webhook events the receiver got for one terminal payment. */
  hooksFor(id: string): { id: string; data: { payment: TerminalPaymentView } }[];
  close(): Promise<void>;
}

export async function startPartnerFixture(provider: "sqlite" | "postgresql"): Promise<PartnerFixture> {
  let now = (): number => Date.parse("2026-03-01T02:00:00.000Z");
  const sandbox = await startSandbox({ port: 0, clock: { now: () => now() }, tickIntervalMs: 0 });
  const h = await createPlatformHarness(provider, {
    pgUrl: PG_URL,
    withTicketKeys: true,
    alipay: (clock) => createAlipay({ gatewayUrl: sandbox.gatewayUrl, clock }),
  });
  now = () => h.clock.now().getTime();
  const api = await serveApi(h);
  const received: PartnerFixture["received"] = [];
  let hookFailuresLeft = 0;
  const hook: Server = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString("utf8")));
    req.on("end", () => {
      received.push({ headers: req.headers, body: text });
      if (hookFailuresLeft > 0) {
        hookFailuresLeft -= 1;
        res.writeHead(500).end("down");
      } else res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hooks/kiosk`;
  const partner = h.services.money.partner;
  const made = await partner.terminals.create({
    attractionId: ATTRACTION,
    storeId: "GIFTSHOP",
    terminalCode: "POS-1",
    name: "Gift shop till 1",
    webhookUrl: hookUrl,
  });
  const other = await partner.terminals.create({
    attractionId: ATTRACTION,
    storeId: "CAFE",
    terminalCode: "ECR-9",
    name: "Café",
  });
  let serial = 0;
  const sessions = new Map<string, string>();

  const call: PartnerFixture["call"] = async (method, path, opts = {}) => {
    const useKey = opts.key === undefined ? made.key : opts.key;
    const res = await fetch(`${api.baseUrl}/api/partner/v1${path}`, {
      method,
      headers: {
        ...(useKey ? { authorization: `Bearer ${useKey}` } : {}),
        ...(opts.idem ? { "idempotency-key": opts.idem } : {}),
        ...(opts.body !== undefined || opts.raw !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(opts.raw !== undefined
        ? { body: opts.raw }
        : opts.body !== undefined
          ? { body: JSON.stringify(opts.body) }
          : {}),
    });
    return { status: res.status, body: (await res.json()) as never, headers: res.headers };
  };

  const step = async (ms = 1_000): Promise<void> => {
    // Let the server's own I/O in (a thread-pool signature, a socket): on SQLite a tick can
    // settle on promises alone, and sixty of them would pass before the server's next await.
    await new Promise((r) => setImmediate(r));
    h.clock.advance(ms);
    await sandbox.tick();
    await h.services.money.worker.tick();
  };

  return {
    h,
    sandbox,
    baseUrl: api.baseUrl,
    hookUrl,
    received,
    failNextHooks: (n) => (hookFailuresLeft = n),
    key: made.key,
    webhookSecret: made.webhookSecret,
    otherKey: other.key,
    call,
    body: (paymentCode, amount = 1250, extra = {}) => ({
      amount,
      currency: "SGD",
      paymentCode,
      reference: `R-${++serial}`,
      subject: "Gift shop: mug",
      storeId: "GIFTSHOP",
      terminalId: "POS-1",
      ...extra,
    }),
    step,
    async until<T>(p: Promise<T>, max = 60): Promise<T> {
      let done = false;
      const tracked = p.finally(() => (done = true));
      for (let i = 0; i < max && !done; i++) await step();
      return tracked;
    },
    async staff<T>(
      role: Parameters<Harness["staffSession"]>[0],
      path: string,
      input: unknown,
      type: "query" | "mutation" = "mutation",
    ): Promise<TrpcAnswer<T>> {
      const send = (token: string) =>
        callTrpc<T>(api.baseUrl, path, input, {
          type,
          headers: { cookie: `kiosk_session=${encodeURIComponent(token)}` },
        });
      const known = sessions.get(role);
      const answer = known ? await send(known) : null;
      // A session the moved clock has expired: sign in again.
      if (answer && answer.error !== "UNAUTHORIZED") return answer;
      const token = (await h.staffSession(role)).token;
      sessions.set(role, token);
      return send(token);
    },
    hooksFor: (id) =>
      received
        .filter((r) => r.body.includes(id))
        .map((r) => JSON.parse(r.body) as { id: string; data: { payment: TerminalPaymentView } }),
    async close() {
      await h.services.money.worker.stop();
      api.server.close();
      hook.close();
      await h.close();
      await sandbox.close();
    },
  };
}
