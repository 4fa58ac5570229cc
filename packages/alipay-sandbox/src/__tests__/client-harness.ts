/**
 * The harness of the client-against-sandbox tests: the matrix rows, a sandbox + real client per
 * test on one manual clock, payment runs, store look-ups, and the tamper proxy.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, expect } from "vitest";
import {
  createAlipayClient,
  FetchTransport,
  runPayment,
  type AlipayClient,
  type AlipayClientConfig,
  type Clock as CoreClock,
  type DriveResult,
  type PaymentState,
  type RequestSummary,
  type SigningKey,
  type TransitionRecord,
} from "@kiosk/alipay-core";
import {
  TEST_ANTOM_CLIENT_ID,
  TEST_APP_ID,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MD5_KEY,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_PARTNER_ID,
} from "@kiosk/alipay-core/testing";
import { createManualClock, type ManualClock } from "../clock.ts";
import {
  DEFAULT_INITIAL_BUYER_BALANCE_CNY,
  startSandbox,
  type RunningSandbox,
  type SandboxOptions,
} from "../sandbox.ts";
import type { Trade } from "../store.ts";
import { startNotificationReceiver, type NotificationReceiver } from "../testing/index.ts";

/** The spelling each protocol gives the same fact. */
export function spelled(row: Row, words: { mapi: string; openapi: string; antom: string }): string {
  return words[row.protocol];
}

export type Row = {
  name: string;
  protocol: "mapi" | "openapi" | "antom";
  signType: "MD5" | "RSA" | "RSA2";
};

export const ROWS: readonly Row[] = [
  { name: "MAPI MD5", protocol: "mapi", signType: "MD5" },
  { name: "MAPI RSA", protocol: "mapi", signType: "RSA" },
  { name: "MAPI RSA2", protocol: "mapi", signType: "RSA2" },
  { name: "OpenAPI RSA2", protocol: "openapi", signType: "RSA2" },
  { name: "Antom RSA256", protocol: "antom", signType: "RSA2" },
];

export const CURRENCY = "SGD";
export const AMOUNT = 1234; // 12.34 SGD
export const SUBJECT = "2 x Adult";
export const PIN_CONFIRM_SECONDS = 30;
export const PIN_REJECT_SECONDS = 20;

export function merchantIdOf(row: Row): string {
  return row.protocol === "mapi" ? TEST_PARTNER_ID : row.protocol === "antom" ? TEST_ANTOM_CLIENT_ID : TEST_APP_ID;
}

export function clientConfig(
  row: Row,
  gatewayUrl: string,
  extra: { notifyUrl?: string; payTimeoutMs?: number },
): AlipayClientConfig {
  const common = {
    gatewayUrl,
    ...(extra.notifyUrl !== undefined ? { notifyUrl: extra.notifyUrl } : {}),
    ...(extra.payTimeoutMs !== undefined ? { timeouts: { pay: extra.payTimeoutMs } } : {}),
  };
  if (row.protocol === "antom") {
    return {
      protocol: "antom",
      ...common,
      // Antom's gatewayUrl is the domain; the client appends /ams/api/v1/payments/….
      gatewayUrl: new URL(gatewayUrl).origin,
      clientId: TEST_ANTOM_CLIENT_ID,
      privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
      alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
      referenceMerchantId: "S001",
      merchantName: "Harbour Tickets",
      merchantMcc: "7996",
      storeId: "ST01",
      terminalId: "K01",
    };
  }
  if (row.protocol === "openapi") {
    return {
      protocol: "openapi",
      ...common,
      appId: TEST_APP_ID,
      sellerId: TEST_PARTNER_ID,
      signType: "RSA2",
      privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
      alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
      storeId: "ST01",
      terminalId: "K01",
    };
  }
  const merchant = {
    secondaryMerchantId: "S001",
    secondaryMerchantName: "Harbour Tickets",
    secondaryMerchantIndustry: "7996",
    storeId: "ST01",
    terminalId: "K01",
  };
  return row.signType === "MD5"
    ? {
        protocol: "mapi",
        ...common,
        partnerId: TEST_PARTNER_ID,
        signType: "MD5",
        md5Key: TEST_MD5_KEY,
        merchant,
      }
    : {
        protocol: "mapi",
        ...common,
        partnerId: TEST_PARTNER_ID,
        signType: row.signType,
        privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
        alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
        merchant,
      };
}

/** A key Alipay does not hold: the forger's. */
export function forgerKey(row: Row): SigningKey {
  return row.signType === "MD5"
    ? { signType: "MD5", md5Key: "0123456789abcdefghijklmnopqrstuv" }
    : { signType: row.signType, privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM };
}

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

const cleanups: Array<() => Promise<void>> = [];

/** Closes what a test started (sandboxes, proxies, receivers), after each test of the calling file. */
export function closeAfterEach(): void {
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
}

export type Harness = {
  row: Row;
  clock: ManualClock;
  /** The client's clock: sleeping advances the sandbox clock and ticks the sandbox. */
  coreClock: CoreClock;
  sandbox: RunningSandbox;
  client: AlipayClient;
  requests: RequestSummary[];
  /** Every request as it went on the wire: `METHOD url` + body. */
  wire: string[];
  merchantId: string;
  /** Another client on the same sandbox and clock (e.g. through a proxy). */
  makeClient(extra: { gatewayUrl?: string; notifyUrl?: string; payTimeoutMs?: number }): AlipayClient;
};

export async function setup(
  row: Row,
  options: {
    sandbox?: SandboxOptions;
    notifyUrl?: string;
    payTimeoutMs?: number;
  } = {},
): Promise<Harness> {
  const clock = createManualClock();
  const sandbox = await startSandbox({
    host: "127.0.0.1",
    port: 0,
    clock,
    tickIntervalMs: 0,
    ...options.sandbox,
  });
  cleanups.push(() => sandbox.close());
  const coreClock: CoreClock = {
    now: () => clock.now(),
    async sleep(ms, signal) {
      signal?.throwIfAborted();
      clock.advance(Math.max(0, ms));
      await sandbox.tick();
      signal?.throwIfAborted();
    },
  };
  const requests: RequestSummary[] = [];
  const wire: string[] = [];
  const fetchTransport = new FetchTransport();
  const transport = {
    request: (request: Parameters<FetchTransport["request"]>[0]) => {
      wire.push(`${request.method} ${request.url}\n${request.body ?? ""}`);
      return fetchTransport.request(request);
    },
  };
  const makeClient: Harness["makeClient"] = (extra) =>
    createAlipayClient(
      clientConfig(row, extra.gatewayUrl ?? sandbox.gatewayUrl, {
        ...(extra.notifyUrl !== undefined ? { notifyUrl: extra.notifyUrl } : {}),
        ...(extra.payTimeoutMs !== undefined ? { payTimeoutMs: extra.payTimeoutMs } : {}),
      }),
      {
        clock: coreClock,
        transport,
        hooks: { onRequest: (summary) => requests.push(summary) },
      },
    );
  const client = makeClient({
    ...(options.notifyUrl !== undefined ? { notifyUrl: options.notifyUrl } : {}),
    ...(options.payTimeoutMs !== undefined ? { payTimeoutMs: options.payTimeoutMs } : {}),
  });
  return {
    row,
    clock,
    coreClock,
    sandbox,
    client,
    requests,
    wire,
    merchantId: merchantIdOf(row),
    makeClient,
  };
}

let idCounter = 0;
export function newId(row: Row, label: string): string {
  idCounter += 1;
  return `K_${row.protocol}_${row.signType}_${label}_${idCounter}`.slice(0, 64);
}

export type Run = {
  id: string;
  result: DriveResult;
  transitions: TransitionRecord[];
  commands: string[];
};

export async function pay(h: Harness, code: string, label: string, amountMinor = AMOUNT): Promise<Run> {
  const id = newId(h.row, label);
  const transitions: TransitionRecord[] = [];
  const commands: string[] = [];
  const result = await runPayment({
    client: h.client,
    clock: h.coreClock,
    payment: {
      partnerTransId: id,
      amountMinor,
      currency: CURRENCY,
      paymentCode: code,
      subject: SUBJECT,
    },
    onTransition: (record) => {
      transitions.push(record);
    },
    onCommand: (command) => {
      commands.push(command.type);
    },
  });
  return { id, result, transitions, commands };
}

export function tradesOf(h: Harness, id: string): Trade[] {
  return [...h.sandbox.store.trades.values()].filter((t) => t.merchantId === h.merchantId && t.outTradeNo === id);
}

export function onlyTrade(h: Harness, id: string): Trade {
  const trades = tradesOf(h, id);
  expect(trades).toHaveLength(1); // never two trades (two charges) for one partner_trans_id
  return trades[0] as Trade;
}

export function merchantBalance(h: Harness): number {
  return h.sandbox.store.accounts.get(h.merchantId)?.balances[CURRENCY] ?? 0;
}

export function buyerBalanceCny(h: Harness, trade: Trade): number {
  return h.sandbox.store.accounts.get(trade.buyerUserId)?.balances["CNY"] ?? DEFAULT_INITIAL_BUYER_BALANCE_CNY;
}

/** Every request the client sent carries this payment's id, and pays always the same id. */
export function expectOnlyId(h: Harness, id: string): void {
  expect(h.requests.length).toBeGreaterThan(0);
  for (const r of h.requests) expect(r.partnerTransId).toBe(id);
}

export function payRequests(h: Harness): RequestSummary[] {
  return h.requests.filter((r) => r.operation === "pay");
}

export function expectCharged(h: Harness, trade: Trade, amountMinor = AMOUNT): void {
  expect(trade.status).toBe("TRADE_SUCCESS");
  expect(trade.amountMinor).toBe(amountMinor);
  expect(merchantBalance(h)).toBe(amountMinor);
  expect(buyerBalanceCny(h, trade)).toBe(DEFAULT_INITIAL_BUYER_BALANCE_CNY - trade.cnyAmountMinor);
}

export function expectNothingCharged(h: Harness, trade: Trade | undefined): void {
  expect(merchantBalance(h)).toBe(0);
  if (trade !== undefined) {
    expect(trade.paidAt === undefined || trade.refundedMinor === trade.amountMinor).toBe(true);
    expect(buyerBalanceCny(h, trade)).toBe(DEFAULT_INITIAL_BUYER_BALANCE_CNY);
  }
}

export function finalState(run: Run): PaymentState {
  expect(run.result.outcome).toBe("settled");
  return run.result.state;
}

export function firstEventOfType(run: Run, type: TransitionRecord["event"]["type"]): TransitionRecord | undefined {
  return run.transitions.find((t) => t.event.type === type);
}

// ---------------------------------------------------------------------------
// A proxy that flips one digit inside the signed part of an answer
// ---------------------------------------------------------------------------

export type TamperProxy = { gatewayUrl: string; arm(count?: number): void };

/** Flips the last digit of the first run of ≥5 digits inside the signed part of the body. */
export function flipSignedDigit(body: string): string {
  if (body.startsWith('{"result":')) {
    // Antom: the whole body is signed; flip the case of the result message's first letter.
    const at = body.indexOf('"resultMessage":"') + '"resultMessage":"'.length;
    const c = body.charAt(at);
    return `${body.slice(0, at)}${c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()}${body.slice(at + 1)}`;
  }
  const markers = ["<response>", '_response":'];
  const start = markers.map((m) => body.indexOf(m)).find((index) => index >= 0);
  if (start === undefined) throw new Error(`nothing signed to tamper: ${body}`);
  const match = /\d{5,}/g;
  match.lastIndex = start;
  const found = match.exec(body);
  if (found === null) throw new Error(`no digits to tamper: ${body}`);
  const at = found.index + found[0].length - 1;
  const digit = Number(body[at]);
  return `${body.slice(0, at)}${(digit + 1) % 10}${body.slice(at + 1)}`;
}

export async function startTamperProxy(target: RunningSandbox): Promise<TamperProxy> {
  let armed = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const init: RequestInit = {
        method: req.method ?? "GET",
        headers: {
          "content-type": req.headers["content-type"] ?? "application/x-www-form-urlencoded",
          // Antom's signed request headers.
          ...Object.fromEntries(
            ["client-id", "request-time", "signature"].flatMap((name) => {
              const value = req.headers[name];
              return typeof value === "string" ? [[name, value]] : [];
            }),
          ),
        },
      };
      if (chunks.length > 0) init.body = Buffer.concat(chunks);
      fetch(`${target.url}${req.url ?? "/"}`, init)
        .then(async (upstream) => {
          let body = await upstream.text();
          if (armed > 0) {
            armed -= 1;
            body = flipSignedDigit(body);
          }
          res.writeHead(upstream.status, {
            "content-type": upstream.headers.get("content-type") ?? "text/plain",
            ...Object.fromEntries(
              ["client-id", "response-time", "signature"].flatMap((name) => {
                const value = upstream.headers.get(name);
                return value === null ? [] : [[name, value]];
              }),
            ),
          });
          res.end(body);
        })
        .catch(() => res.socket?.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const port = (server.address() as AddressInfo).port;
  return {
    gatewayUrl: `http://127.0.0.1:${port}/gateway.do`,
    arm(count = 1) {
      armed = count;
    },
  };
}

export async function receiver(): Promise<NotificationReceiver> {
  const r = await startNotificationReceiver();
  cleanups.push(() => r.close());
  return r;
}

// ---------------------------------------------------------------------------
// The matrix: every row × every scenario, driven to the end
// ---------------------------------------------------------------------------
