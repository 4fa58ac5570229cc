/**
 * The real `@kiosk/alipay-core` client against the real sandbox, over HTTP on 127.0.0.1.
 *
 * Matrix: {MAPI MD5, MAPI RSA, MAPI RSA2, OpenAPI RSA2, Antom RSA256} × every scenario in `SCENARIOS`, each
 * driven by `runPayment` (the pure payment machine + the in-memory driver) to its end and
 * cross-checked against the sandbox's own store (trade status, one trade per id, balances).
 * Then cancel / refund / settlement / notifications, and a tampered or forged answer for every
 * service, per row.
 *
 * Time: one manual clock shared by the sandbox and the client. The driver's `sleep` advances it
 * and calls `sandbox.tick()` (PIN waits, notifications) — no real sleeps. Only the slow-response
 * scenario uses a real (short) client time-out, since the sandbox delays that answer in real time.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  AlipaySignatureError,
  createAlipayClient,
  FetchTransport,
  fetchBill,
  runPayment,
  runRefund,
  signParams,
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
import { createManualClock, type ManualClock } from "./clock.ts";
import {
  DEFAULT_INITIAL_BUYER_BALANCE_CNY,
  startSandbox,
  type RunningSandbox,
  type SandboxOptions,
} from "./sandbox.ts";
import { SCENARIOS, scenarioCode, type ScenarioId } from "./scenarios.ts";
import type { Trade } from "./store.ts";
import { startNotificationReceiver, type NotificationReceiver } from "./testing/index.ts";
import { readZip } from "./zip.ts";

// ---------------------------------------------------------------------------
// Rows of the matrix
// ---------------------------------------------------------------------------

type Row = {
  name: string;
  protocol: "mapi" | "openapi" | "antom";
  signType: "MD5" | "RSA" | "RSA2";
};

/** The spelling each protocol gives the same fact. */
function spelled(row: Row, words: { mapi: string; openapi: string; antom: string }): string {
  return words[row.protocol];
}

const ROWS: readonly Row[] = [
  { name: "MAPI MD5", protocol: "mapi", signType: "MD5" },
  { name: "MAPI RSA", protocol: "mapi", signType: "RSA" },
  { name: "MAPI RSA2", protocol: "mapi", signType: "RSA2" },
  { name: "OpenAPI RSA2", protocol: "openapi", signType: "RSA2" },
  { name: "Antom RSA256", protocol: "antom", signType: "RSA2" },
];

const CURRENCY = "SGD";
const AMOUNT = 1234; // 12.34 SGD
const SUBJECT = "2 x Adult";
const PIN_CONFIRM_SECONDS = 30;
const PIN_REJECT_SECONDS = 20;

function merchantIdOf(row: Row): string {
  return row.protocol === "mapi" ? TEST_PARTNER_ID : row.protocol === "antom" ? TEST_ANTOM_CLIENT_ID : TEST_APP_ID;
}

function clientConfig(
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
function forgerKey(row: Row): SigningKey {
  return row.signType === "MD5"
    ? { signType: "MD5", md5Key: "0123456789abcdefghijklmnopqrstuv" }
    : { signType: row.signType, privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM };
}

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Harness = {
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

async function setup(
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
function newId(row: Row, label: string): string {
  idCounter += 1;
  return `K_${row.protocol}_${row.signType}_${label}_${idCounter}`.slice(0, 64);
}

type Run = {
  id: string;
  result: DriveResult;
  transitions: TransitionRecord[];
  commands: string[];
};

async function pay(h: Harness, code: string, label: string, amountMinor = AMOUNT): Promise<Run> {
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

function tradesOf(h: Harness, id: string): Trade[] {
  return [...h.sandbox.store.trades.values()].filter((t) => t.merchantId === h.merchantId && t.outTradeNo === id);
}

function onlyTrade(h: Harness, id: string): Trade {
  const trades = tradesOf(h, id);
  expect(trades).toHaveLength(1); // never two trades (two charges) for one partner_trans_id
  return trades[0] as Trade;
}

function merchantBalance(h: Harness): number {
  return h.sandbox.store.accounts.get(h.merchantId)?.balances[CURRENCY] ?? 0;
}

function buyerBalanceCny(h: Harness, trade: Trade): number {
  return h.sandbox.store.accounts.get(trade.buyerUserId)?.balances["CNY"] ?? DEFAULT_INITIAL_BUYER_BALANCE_CNY;
}

/** Every request the client sent carries this payment's id, and pays always the same id. */
function expectOnlyId(h: Harness, id: string): void {
  expect(h.requests.length).toBeGreaterThan(0);
  for (const r of h.requests) expect(r.partnerTransId).toBe(id);
}

function payRequests(h: Harness): RequestSummary[] {
  return h.requests.filter((r) => r.operation === "pay");
}

function expectCharged(h: Harness, trade: Trade, amountMinor = AMOUNT): void {
  expect(trade.status).toBe("TRADE_SUCCESS");
  expect(trade.amountMinor).toBe(amountMinor);
  expect(merchantBalance(h)).toBe(amountMinor);
  expect(buyerBalanceCny(h, trade)).toBe(DEFAULT_INITIAL_BUYER_BALANCE_CNY - trade.cnyAmountMinor);
}

function expectNothingCharged(h: Harness, trade: Trade | undefined): void {
  expect(merchantBalance(h)).toBe(0);
  if (trade !== undefined) {
    expect(trade.paidAt === undefined || trade.refundedMinor === trade.amountMinor).toBe(true);
    expect(buyerBalanceCny(h, trade)).toBe(DEFAULT_INITIAL_BUYER_BALANCE_CNY);
  }
}

function finalState(run: Run): PaymentState {
  expect(run.result.outcome).toBe("settled");
  return run.result.state;
}

function firstEventOfType(run: Run, type: TransitionRecord["event"]["type"]): TransitionRecord | undefined {
  return run.transitions.find((t) => t.event.type === type);
}

// ---------------------------------------------------------------------------
// A proxy that flips one digit inside the signed part of an answer
// ---------------------------------------------------------------------------

type TamperProxy = { gatewayUrl: string; arm(count?: number): void };

/** Flips the last digit of the first run of ≥5 digits inside the signed part of the body. */
function flipSignedDigit(body: string): string {
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

async function startTamperProxy(target: RunningSandbox): Promise<TamperProxy> {
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

async function receiver(): Promise<NotificationReceiver> {
  const r = await startNotificationReceiver();
  cleanups.push(() => r.close());
  return r;
}

// ---------------------------------------------------------------------------
// The matrix: every row × every scenario, driven to the end
// ---------------------------------------------------------------------------

const SCENARIO_PARAMETER: Partial<Record<ScenarioId, number>> = {
  pin_wait_confirm: PIN_CONFIRM_SECONDS,
  pin_wait_reject: PIN_REJECT_SECONDS,
  slow_response: 2,
  system_error_no_trade: 2,
};

/** Per-scenario sandbox / client settings (only slow_response needs any). */
const SCENARIO_SETUP: Partial<Record<ScenarioId, { sandbox?: SandboxOptions; payTimeoutMs?: number }>> = {
  // 2 s × 0.5 = 1 s real delay; the client gives up after 150 ms (real time).
  slow_response: { sandbox: { slowResponseScale: 0.5 }, payTimeoutMs: 150 },
};

type ScenarioCheck = (h: Harness, run: Run) => void;

/** What each scenario must end in, per protocol. */
const EXPECTED: Record<ScenarioId, ScenarioCheck> = {
  success(h, run) {
    const state = finalState(run);
    expect(state.state).toBe("PAID");
    expect(run.commands).toEqual(["issue_tickets"]);
    expect(payRequests(h)).toHaveLength(1);
    expect(h.requests.filter((r) => r.operation === "query")).toHaveLength(0);
    const trade = onlyTrade(h, run.id);
    expect(state.alipayTransId).toBe(trade.tradeNo);
    expectCharged(h, trade);
  },
  insufficient_balance(h, run) {
    const state = finalState(run);
    expect(state).toMatchObject({
      state: "FAILED",
      failureReason: spelled(h.row, {
        mapi: "BUYER_BALANCE_NOT_ENOUGH",
        openapi: "ACQ.BUYER_BALANCE_NOT_ENOUGH",
        antom: "USER_BALANCE_NOT_ENOUGH",
      }),
    });
    expect(run.commands).toEqual(["release_hold"]);
    const trade = onlyTrade(h, run.id);
    expect(trade.status).toBe("TRADE_CLOSED");
    expect(trade.failureCode).toBe("BUYER_BALANCE_NOT_ENOUGH");
    expectNothingCharged(h, trade);
  },
  expired_code(h, run) {
    const state = finalState(run);
    expect(state).toMatchObject({
      state: "FAILED",
      failureReason: spelled(h.row, {
        mapi: "SOUNDWAVE_PARSER_FAIL",
        openapi: "ACQ.PAYMENT_AUTH_CODE_INVALID",
        antom: "INVALID_CODE",
      }),
    });
    expect(tradesOf(h, run.id)).toHaveLength(0);
    expectNothingCharged(h, undefined);
  },
  pin_wait_confirm(h, run) {
    const state = finalState(run);
    expect(state.state).toBe("PAID");
    const payEvent = firstEventOfType(run, "pay_result");
    // MAPI answers UNKNOW / ORDER_SUCCESS_PAY_INPROCESS (an unknown outcome, not a system
    // error: query, never resend); OpenAPI answers 10003 (waiting for the buyer).
    expect(payEvent?.event).toMatchObject({
      result:
        h.row.protocol === "mapi"
          ? {
              status: "unknown",
              reason: "ORDER_SUCCESS_PAY_INPROCESS",
              isSystemError: false,
            }
          : { status: "waiting_buyer" },
    });
    expect(payEvent?.to).toBe("POLLING");
    // Queries saw WAIT_BUYER_PAY until the buyer confirmed after N s of sandbox time.
    const queries = run.transitions.filter((t) => t.event.type === "query_result");
    expect(queries.length).toBeGreaterThan(1);
    expect(queries.at(-1)?.atMs).toBeGreaterThanOrEqual(state.createdAt + PIN_CONFIRM_SECONDS * 1000);
    expect(state.paidAt).toBe(state.createdAt + PIN_CONFIRM_SECONDS * 1000);
    expect(payRequests(h)).toHaveLength(1);
    const trade = onlyTrade(h, run.id);
    expectCharged(h, trade);
  },
  pin_wait_never(h, run) {
    const state = finalState(run);
    expect(state).toMatchObject({
      state: "CANCELLED",
      cancelReason: "deadline",
      cancelOutcome: "cancelled",
    });
    expect(h.clock.now()).toBeGreaterThanOrEqual(state.deadlineAt - 3_500);
    expect(payRequests(h)).toHaveLength(1);
    const trade = onlyTrade(h, run.id);
    expect(trade).toMatchObject({
      status: "TRADE_CLOSED",
      closeReason: "cancelled",
      cancelAction: "close",
    });
    expectNothingCharged(h, trade);
  },
  pin_wait_reject(h, run) {
    const state = finalState(run);
    expect(state).toMatchObject({ state: "FAILED", failureReason: "closed" });
    expect(run.commands).toEqual(["release_hold"]);
    const trade = onlyTrade(h, run.id);
    expect(trade).toMatchObject({
      status: "TRADE_CLOSED",
      closeReason: "buyer_rejected",
      closedAt: state.createdAt + PIN_REJECT_SECONDS * 1000,
    });
    expectNothingCharged(h, trade);
  },
  unknown_paid(h, run) {
    const state = finalState(run);
    expect(state.state).toBe("PAID");
    expect(firstEventOfType(run, "pay_result")?.event).toMatchObject({
      result: { status: "unknown" },
    });
    expect(firstEventOfType(run, "query_result")?.event).toMatchObject({
      result: { status: "paid" },
    });
    expect(payRequests(h)).toHaveLength(1);
    expectCharged(h, onlyTrade(h, run.id));
  },
  unknown_not_created(h, run) {
    const state = finalState(run);
    // UNKNOW (system error) → query: not found → pay again with the SAME id (max 2 resends),
    // then the deadline cancel finds nothing to charge (OpenAPI: 10000 without `action`).
    expect(state.state).toBe("CANCELLED");
    expect(state).toMatchObject({
      cancelReason: "deadline",
      cancelOutcome: "not_found",
    });
    expect(payRequests(h)).toHaveLength(3);
    expectOnlyId(h, run.id);
    expect(tradesOf(h, run.id)).toHaveLength(0);
    expectNothingCharged(h, undefined);
    if (h.row.protocol !== "mapi") expect(h.sandbox.store.isBlocked(h.merchantId, run.id)).toBe(true);
  },
  unknown_late_paid(h, run) {
    const state = finalState(run);
    // UNKNOW → queries find nothing (resends join the pay already in the gateway) → the
    // charge lands after 40 s and the next query finds it. Charged once.
    expect(state.state).toBe("PAID");
    expect(state.paidAt).toBe(state.createdAt + 40_000);
    expect(firstEventOfType(run, "query_result")?.event).toMatchObject({
      result: { status: "not_found" },
    });
    expectOnlyId(h, run.id);
    expectCharged(h, onlyTrade(h, run.id));
  },
  system_error(h, run) {
    const state = finalState(run);
    expect(state.state).toBe("PAID");
    // The first pay was charged although it answered SYSTEM_ERROR; the first query also
    // answered SYSTEM_ERROR; the second query found the payment. Never paid twice.
    const payEvent = firstEventOfType(run, "pay_result") ?? firstEventOfType(run, "pay_error");
    if (h.row.protocol === "mapi")
      expect(payEvent?.event).toMatchObject({
        type: "pay_error",
        error: { name: "AlipayGatewayError", reason: "SYSTEM_ERROR" },
      });
    else
      expect(payEvent?.event).toMatchObject({
        type: "pay_result",
        result: { status: "unknown", isSystemError: true },
      });
    expect(payEvent?.to).toBe("POLLING");
    expect(firstEventOfType(run, "query_error") ?? firstEventOfType(run, "query_result")).toMatchObject(
      h.row.protocol === "mapi"
        ? { event: { type: "query_error" } }
        : { event: { type: "query_result", result: { status: "unknown" } } },
    );
    expect(payRequests(h)).toHaveLength(1);
    expectOnlyId(h, run.id);
    expectCharged(h, onlyTrade(h, run.id));
  },
  system_error_no_trade(h, run) {
    const state = finalState(run);
    // pay → SYSTEM_ERROR, nothing recorded → query: not found → the same pay again, twice;
    // the third pay charges. One trade, charged once.
    expect(state.state).toBe("PAID");
    expect(payRequests(h)).toHaveLength(3);
    expectOnlyId(h, run.id);
    expectCharged(h, onlyTrade(h, run.id));
  },
  slow_response(h, run) {
    const state = finalState(run);
    expect(state.state).toBe("PAID");
    expect(firstEventOfType(run, "pay_error")?.event).toMatchObject({
      error: { name: "AlipayTimeoutError" },
    });
    expect(firstEventOfType(run, "query_result")?.event).toMatchObject({
      result: { status: "paid" },
    });
    expect(payRequests(h)).toHaveLength(1);
    expectCharged(h, onlyTrade(h, run.id));
  },
  dropped_connection(h, run) {
    const state = finalState(run);
    expect(state.state).toBe("PAID");
    expect(firstEventOfType(run, "pay_error")?.event).toMatchObject({
      error: { name: "AlipayNetworkError", mayHaveReachedGateway: true },
    });
    expect(payRequests(h)).toHaveLength(1);
    expectCharged(h, onlyTrade(h, run.id));
  },
  dropped_before_processing(h, run) {
    const state = finalState(run);
    // The connection died after the request was sent: the outcome is unknown, so the
    // machine only queries (no resend), and the deadline cancel finds no trade.
    expect(firstEventOfType(run, "pay_error")?.event).toMatchObject({
      error: { name: "AlipayNetworkError", mayHaveReachedGateway: true },
    });
    expect(state).toMatchObject({
      state: "CANCELLED",
      cancelReason: "deadline",
      cancelOutcome: "not_found",
    });
    expect(payRequests(h)).toHaveLength(1);
    expect(tradesOf(h, run.id)).toHaveLength(0);
    expectNothingCharged(h, undefined);
  },
  refund_delayed(h, run) {
    // Paying is plain success; the delay applies to refunds (describe "refund").
    expect(finalState(run).state).toBe("PAID");
    expectCharged(h, onlyTrade(h, run.id));
  },
  bad_signature(h, run) {
    const state = finalState(run);
    // The forged "SUCCESS" is never believed: the pay is an error and the machine polls;
    // the (correctly signed) query then finds the payment.
    const payError = firstEventOfType(run, "pay_error");
    expect(payError?.event).toMatchObject({
      error: { name: "AlipaySignatureError" },
    });
    expect(payError?.to).toBe("POLLING");
    expect(firstEventOfType(run, "pay_result")).toBeUndefined();
    expect(state.state).toBe("PAID");
    expect(firstEventOfType(run, "query_result")?.event).toMatchObject({
      result: { status: "paid" },
    });
    expectCharged(h, onlyTrade(h, run.id));
  },
};

describe.each(ROWS)("$name: client against the sandbox", (row) => {
  describe("every scenario, driven by runPayment", () => {
    it.each(SCENARIOS.map((s) => [s.id, s] as const))("%s", async (id) => {
      const parameter = SCENARIO_PARAMETER[id];
      const h = await setup(row, SCENARIO_SETUP[id] ?? {});
      const code = scenarioCode(id, parameter !== undefined ? { parameter } : {});
      const run = await pay(h, code, id);
      expectOnlyId(h, run.id);
      EXPECTED[id](h, run);
    });
  });

  describe("SYSTEM_ERROR before processing", () => {
    it("resends the pay with the same partner_trans_id and charges once", async () => {
      const h = await setup(row);
      h.sandbox.setFaults({ systemErrorNext: 1 });
      const run = await pay(h, scenarioCode("success"), "sysfault");
      expect(finalState(run).state).toBe("PAID");
      // pay → SYSTEM_ERROR (nothing recorded) → query: not found → pay again, same id.
      expect(run.transitions.map((t) => t.event.type)).toEqual([
        h.row.protocol === "mapi" ? "pay_error" : "pay_result",
        "query_result",
        "pay_result",
      ]);
      expect(run.transitions[1]?.event).toMatchObject({
        result: { status: "not_found" },
      });
      expect(payRequests(h)).toHaveLength(2);
      // The resend is the same request, byte for byte, although the clock moved on (issue 14).
      const payMark = spelled(h.row, {
        mapi: "service=alipay.acquire.overseas.spot.pay",
        openapi: "method=alipay.trade.pay",
        antom: "/ams/api/v1/payments/pay\n",
      });
      const pays = h.wire.filter((w) => w.includes(payMark));
      expect(pays).toHaveLength(2);
      expect(pays[1]).toBe(pays[0]);
      expectOnlyId(h, run.id);
      expectCharged(h, onlyTrade(h, run.id));
    });

    it("resends again after a second SYSTEM_ERROR on the resend (maxPayRetries = 2)", async () => {
      const h = await setup(row);
      h.sandbox.setFaults({ systemErrorNext: 1 });
      const id = newId(row, "sysfault2");
      const result = await runPayment({
        client: h.client,
        clock: h.coreClock,
        payment: {
          partnerTransId: id,
          amountMinor: AMOUNT,
          currency: CURRENCY,
          paymentCode: scenarioCode("success"),
          subject: SUBJECT,
        },
        onTransition: (record) => {
          // The first resend fails with SYSTEM_ERROR as well.
          if (record.commands.some((c) => c.type === "pay" && c.attempt === 2))
            h.sandbox.setFaults({ systemErrorNext: 1 });
        },
      });
      expect(result.state.state).toBe("PAID");
      expect(result.state.payAttempts).toBe(3);
      expect(payRequests(h)).toHaveLength(3);
      expectOnlyId(h, id);
      expectCharged(h, onlyTrade(h, id));
    });
  });

  describe("cancel", () => {
    it("reverses a paid trade (money back, TRADE_CLOSED); cancelling again changes nothing", async () => {
      const h = await setup(row);
      const run = await pay(h, scenarioCode("success"), "cancelpaid");
      expect(finalState(run).state).toBe("PAID");
      const trade = onlyTrade(h, run.id);
      expectCharged(h, trade);

      const cancelled = await h.client.cancel({ partnerTransId: run.id });
      expect(cancelled).toMatchObject({
        status: "cancelled",
        partnerTransId: run.id,
        ...(h.row.protocol === "openapi" ? { action: "refund" } : {}),
      });
      expect(trade).toMatchObject({
        status: "TRADE_CLOSED",
        closeReason: "cancelled",
        cancelAction: "refund",
      });
      expectNothingCharged(h, trade);
      await expect(h.client.query({ partnerTransId: run.id, currency: CURRENCY })).resolves.toMatchObject({
        status: "closed",
      });

      await expect(h.client.cancel({ partnerTransId: run.id })).resolves.toMatchObject({ status: "cancelled" });
      expect(h.sandbox.store.refundsOf(trade.tradeNo)).toHaveLength(1);
      expectNothingCharged(h, trade);
    });

    it("cancel pressed while the pay is in flight: the machine reverses the paid trade", async () => {
      const h = await setup(row);
      const id = newId(row, "cancelsending");
      const pressed = new AbortController();
      pressed.abort();
      const result = await runPayment({
        client: h.client,
        clock: h.coreClock,
        cancelSignal: pressed.signal,
        payment: {
          partnerTransId: id,
          amountMinor: AMOUNT,
          currency: CURRENCY,
          paymentCode: scenarioCode("success"),
          subject: SUBJECT,
        },
      });
      expect(result.state).toMatchObject({
        state: "CANCELLED",
        cancelReason: "visitor",
        cancelOutcome: "cancelled",
      });
      const trade = onlyTrade(h, id);
      expect(trade.paidAt).toBeDefined();
      expect(trade).toMatchObject({
        status: "TRADE_CLOSED",
        cancelAction: "refund",
      });
      expectNothingCharged(h, trade);
    });
  });

  describe("refund", () => {
    it("partial, over-refund refused, then the rest (full); a repeat moves no money", async () => {
      const h = await setup(row);
      const run = await pay(h, scenarioCode("success"), "refund");
      const paid = finalState(run);
      expect(paid.state).toBe("PAID");
      const trade = onlyTrade(h, run.id);
      const payment = {
        paymentCode: scenarioCode("success"),
        subject: SUBJECT,
      };

      const partial = await runRefund({
        client: h.client,
        clock: h.coreClock,
        state: paid,
        partnerRefundId: `${run.id}_R1`,
        amountMinor: 500,
        payment,
      });
      expect(partial.state).toMatchObject({
        state: "PARTIALLY_REFUNDED",
        refundedMinor: 500,
      });
      expect(merchantBalance(h)).toBe(AMOUNT - 500);
      expect(trade.status).toBe("TRADE_SUCCESS");

      // More than the 734 left: Alipay refuses, nothing moves.
      const over = await h.client.refund({
        partnerTransId: run.id,
        partnerRefundId: `${run.id}_R2`,
        amountMinor: 800,
        currency: CURRENCY,
      });
      expect(over).toMatchObject({
        status: "failed",
        reason: spelled(h.row, {
          mapi: "REFUND_AMT_NOT_EQUAL_TOTAL",
          openapi: "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
          antom: "REFUND_AMOUNT_EXCEED",
        }),
      });
      expect(merchantBalance(h)).toBe(AMOUNT - 500);
      // The machine refuses it before sending as well.
      const overByMachine = await runRefund({
        client: h.client,
        clock: h.coreClock,
        state: partial.state,
        partnerRefundId: `${run.id}_R2`,
        amountMinor: 800,
        payment,
      });
      expect(overByMachine.state.state).toBe("PARTIALLY_REFUNDED");

      const rest = await runRefund({
        client: h.client,
        clock: h.coreClock,
        state: partial.state,
        partnerRefundId: `${run.id}_R3`,
        amountMinor: AMOUNT - 500,
        payment,
      });
      expect(rest.state).toMatchObject({
        state: "REFUNDED",
        refundedMinor: AMOUNT,
      });
      expect(trade).toMatchObject({
        status: "TRADE_CLOSED",
        closeReason: "refunded",
        refundedMinor: AMOUNT,
      });
      expectNothingCharged(h, trade);

      // Same partner_refund_id and amount again: no money moved. MAPI repeats the success;
      // OpenAPI says fund_change=N (accepted), and the refund query confirms the refund.
      const repeatInput = {
        partnerTransId: run.id,
        partnerRefundId: `${run.id}_R3`,
        amountMinor: AMOUNT - 500,
        currency: CURRENCY,
      };
      await expect(h.client.refund(repeatInput)).resolves.toMatchObject({
        status: h.row.protocol === "openapi" ? "accepted" : "refunded",
      });
      await expect(h.client.refundQuery(repeatInput)).resolves.toMatchObject({
        status: "refunded",
        refundAmountMinor: AMOUNT - 500,
      });
      expect(h.sandbox.store.refundsOf(trade.tradeNo).map((r) => r.outRefundNo)).toEqual([
        `${run.id}_R1`,
        `${run.id}_R3`,
      ]);
      expectNothingCharged(h, trade);
    });
  });

  describe("refund whose money moves later (refund_delayed)", () => {
    it("is accepted without moving money; the refund query says so until it moves", async () => {
      const h = await setup(row);
      const code = scenarioCode("refund_delayed", { parameter: 90 });
      const run = await pay(h, code, "delayed");
      expect(finalState(run).state).toBe("PAID");
      const input = {
        partnerTransId: run.id,
        partnerRefundId: `${run.id}_R1`,
        amountMinor: AMOUNT,
        currency: CURRENCY,
      };
      const before = merchantBalance(h);
      await expect(h.client.refundQuery(input)).resolves.toMatchObject({
        status: "not_found",
      });
      await expect(h.client.refund(input)).resolves.toMatchObject({
        status: h.row.protocol === "mapi" ? "unknown" : "accepted",
      });
      await expect(h.client.refundQuery(input)).resolves.toMatchObject({
        status: "pending",
      });
      expect(merchantBalance(h)).toBe(before);
      // A repeat (same id) is still not done, and moves nothing either.
      await expect(h.client.refund(input)).resolves.toMatchObject({
        status: h.row.protocol === "mapi" ? "unknown" : "accepted",
      });
      await h.coreClock.sleep(90_000);
      await expect(h.client.refundQuery(input)).resolves.toMatchObject({
        status: "refunded",
        refundAmountMinor: AMOUNT,
      });
      expect(merchantBalance(h)).toBe(before - AMOUNT);
      expect(onlyTrade(h, run.id)).toMatchObject({
        status: "TRADE_CLOSED",
        refundedMinor: AMOUNT,
      });
    });
  });

  // Antom delivers settlement reports by SFTP and its notifyPayment is not simulated yet.
  describe.skipIf(row.protocol === "antom")("settlement / bill of the day", () => {
    it("lists exactly the payments, refunds and reversals done that day", async () => {
      const h = await setup(row);
      const a = await pay(h, scenarioCode("success", { serial: 1 }), "billA");
      const b = await pay(h, scenarioCode("success", { serial: 2 }), "billB", 2000);
      const failed = await pay(h, scenarioCode("insufficient_balance"), "billF");
      const never = await pay(h, scenarioCode("pin_wait_never"), "billN");
      const d = await pay(h, scenarioCode("success", { serial: 3 }), "billD");
      expect([a, b, failed, never, d].map((r) => finalState(r).state)).toEqual([
        "PAID",
        "PAID",
        "FAILED",
        "CANCELLED",
        "PAID",
      ]);
      await expect(
        h.client.refund({
          partnerTransId: b.id,
          partnerRefundId: `${b.id}_R1`,
          amountMinor: 500,
          currency: CURRENCY,
        }),
      ).resolves.toMatchObject({ status: "refunded" });
      await expect(h.client.cancel({ partnerTransId: d.id })).resolves.toMatchObject({ status: "cancelled" });

      // Expected movements, from the sandbox's own records.
      type Line = {
        kind: "PAYMENT" | "REFUND" | "CANCEL";
        id: string;
        amountMinor: number;
      };
      const expected: Line[] = [
        { kind: "PAYMENT", id: a.id, amountMinor: AMOUNT },
        { kind: "PAYMENT", id: b.id, amountMinor: 2000 },
        { kind: "REFUND", id: b.id, amountMinor: 500 },
        { kind: "PAYMENT", id: d.id, amountMinor: AMOUNT },
        { kind: "CANCEL", id: d.id, amountMinor: AMOUNT },
      ];
      const sortLines = (lines: Line[]): Line[] =>
        [...lines].sort((x, y) => `${x.id}${x.kind}`.localeCompare(`${y.id}${y.kind}`));

      // The files exist once the day is over (end date before today).
      await h.coreClock.sleep(2 * 24 * 60 * 60 * 1000);

      const toLines = (result: Awaited<ReturnType<AlipayClient["downloadSettlement"]>>): Line[] => {
        if (result.format !== "records") throw new Error(result.format);
        return result.records.map((r) => ({
          kind: r.transactionType as Line["kind"],
          id: r.transactionType === "PAYMENT" ? r.partnerTransId : r.remarks.replace("partner_trans_id=", ""),
          amountMinor: Math.abs(r.amountMinor),
        }));
      };
      if (h.row.protocol === "mapi") {
        const transactions = await h.client.downloadSettlement({
          startDate: "2024-01-01",
          kind: "transactions",
        });
        expect(sortLines(toLines(transactions))).toEqual(sortLines(expected));
        if (transactions.format === "records") {
          const refund = transactions.records.find((r) => r.transactionType === "REFUND");
          expect(refund?.partnerTransId).toBe(`${b.id}_R1`);
          expect(transactions.isSigned).toBe(false);
        }
        // The liquidation file lists the same movements under the next (settlement) day.
        const liquidation = await h.client.downloadSettlement({
          startDate: "2024-01-02",
          kind: "settlement",
        });
        expect(sortLines(toLines(liquidation))).toEqual(sortLines(expected));
      } else {
        const result = await h.client.downloadSettlement({
          startDate: "2024-01-01",
        });
        if (result.format !== "download_url") throw new Error(`expected a download url, got ${result.format}`);
        expect(result.downloadUrl.startsWith(h.sandbox.url)).toBe(true);
        const bill = await fetchBill(result.downloadUrl);
        const entries = readZip(Buffer.from(bill.bytes));
        const detail = entries.find((e) => e.name.endsWith("_业务明细.csv"));
        if (detail === undefined) throw new Error("no detail CSV in the bill");
        // GBK, as Alipay writes its bills.
        const rows = new TextDecoder("gbk")
          .decode(detail.data)
          .split("\r\n")
          .filter((l) => l !== "" && !l.startsWith("#"))
          .slice(1)
          .map((l) => l.split(","));
        const lines = rows.map((cells): Line => {
          const amountText = cells[11] ?? "";
          const isPayment = cells[2] === "交易";
          return {
            kind: isPayment ? "PAYMENT" : cells[24] === "撤销" ? "CANCEL" : "REFUND",
            id: cells[1] ?? "",
            amountMinor: Math.round(Math.abs(Number(amountText)) * 100),
          };
        });
        expect(sortLines(lines)).toEqual(sortLines(expected));
        // Every listed trade number is a real trade of the sandbox.
        for (const cells of rows) expect(h.sandbox.store.trades.get(cells[0] ?? "")).toBeDefined();
        // alipay-core reads the same archive into the rows the MAPI file gives.
        const read = await h.client.downloadSettlement({
          startDate: "2024-01-01",
          readBillArchive: true,
          billCurrency: CURRENCY,
        });
        expect(sortLines(toLines(read))).toEqual(sortLines(expected));
        if (read.format === "records")
          expect(read.records.find((r) => r.transactionType === "REFUND")?.partnerTransId).toBe(`${b.id}_R1`);
      }
    });
  });

  describe.skipIf(row.protocol === "antom")("a pay that reaches the ledger after a cancel that found no trade", () => {
    it("the cancel names no trade, the charge still lands and is notified, and a later cancel reverses it", async () => {
      const r = await receiver();
      const h = await setup(row, { notifyUrl: r.url });
      const id = newId(row, "latepay");
      const paid = await h.client.pay({
        partnerTransId: id,
        amountMinor: AMOUNT,
        currency: CURRENCY,
        paymentCode: scenarioCode("unknown_late_paid", { parameter: 10 }),
        subject: SUBJECT,
      });
      expect(paid.status).toBe("unknown");
      // MAPI: SUCCESS without trade_no; OpenAPI: 10000 without action. Neither proves a cancel.
      expect(await h.client.cancel({ partnerTransId: id })).toEqual({
        status: "not_found",
        partnerTransId: id,
      });
      expect(tradesOf(h, id)).toHaveLength(0);
      await h.coreClock.sleep(10_000);
      const trade = onlyTrade(h, id);
      expect(trade.status).toBe("TRADE_SUCCESS");
      expectCharged(h, trade);
      const notified = r.received.map((n) => h.client.verifyNotification(n.params));
      expect(notified).toContainEqual(
        expect.objectContaining({
          partnerTransId: id,
          status: "paid",
          amountMinor: AMOUNT,
          currency: CURRENCY,
          foreignIdentity: undefined,
        }),
      );
      expect(await h.client.query({ partnerTransId: id, currency: CURRENCY })).toMatchObject({ status: "paid" });
      expect(await h.client.cancel({ partnerTransId: id })).toMatchObject({
        status: "cancelled",
        alipayTransId: trade.tradeNo,
      });
      expect(onlyTrade(h, id)).toMatchObject({
        status: "TRADE_CLOSED",
        cancelAction: "refund",
      });
      expectNothingCharged(h, onlyTrade(h, id));
    });
  });

  describe.skipIf(row.protocol === "antom")("notifications", () => {
    it("the sandbox posts a signed notification that verifyNotification accepts; tampered and forged ones are rejected", async () => {
      const r = await receiver();
      const h = await setup(row, { notifyUrl: r.url });
      const run = await pay(h, scenarioCode("success"), "notify");
      expect(finalState(run).state).toBe("PAID");
      await h.sandbox.tick();
      expect(r.received).toHaveLength(1);
      const params = (r.received[0] as { params: Record<string, string> }).params;
      expect(h.sandbox.store.notifications[0]?.status).toBe("delivered");

      const verified = h.client.verifyNotification(params);
      expect(verified).toMatchObject({
        protocol: h.row.protocol,
        partnerTransId: run.id,
        alipayTransId: onlyTrade(h, run.id).tradeNo,
        status: "paid",
        amountMinor: AMOUNT,
        currency: CURRENCY,
        foreignIdentity: undefined,
      });

      const amountField = h.row.protocol === "mapi" ? "trans_amount" : "total_amount";
      expect(params[amountField]).toBe("12.34");
      const tampered: Array<Record<string, string>> = [
        { ...params, [amountField]: "0.01" },
        { ...params, trade_status: "TRADE_CLOSED" },
        { ...params, out_trade_no: `${run.id}X` },
      ];
      for (const t of tampered) expect(() => h.client.verifyNotification(t)).toThrow(AlipaySignatureError);

      // Forged: the same fields signed with a key that is not Alipay's.
      const unsigned = { ...params };
      delete unsigned["sign"];
      delete unsigned["sign_type"];
      const key = forgerKey(h.row);
      const forged = {
        ...unsigned,
        sign: signParams(unsigned, key),
        sign_type: key.signType,
      };
      expect(() => h.client.verifyNotification(forged)).toThrow(AlipaySignatureError);
      expect(() => h.client.verifyNotification(unsigned)).toThrow(AlipaySignatureError);
    });

    it("a PIN confirmed later is notified when the sandbox clock reaches it", async () => {
      const r = await receiver();
      const h = await setup(row, { notifyUrl: r.url });
      const run = await pay(h, scenarioCode("pin_wait_confirm", { parameter: PIN_CONFIRM_SECONDS }), "notifypin");
      expect(finalState(run).state).toBe("PAID");
      await h.sandbox.tick();
      const statuses = r.received.map((n) => h.client.verifyNotification(n.params).status);
      expect(statuses).toContain("paid");
    });
  });

  describe("a tampered or forged answer is rejected, for each service", () => {
    type Service = "pay" | "query" | "cancel" | "refund" | "refund_query";
    const SERVICES: readonly Service[] = ["pay", "query", "cancel", "refund", "refund_query"];

    /** Pays (unless testing pay) so query / cancel / refund have a paid trade. */
    async function prepare(h: Harness, service: Service): Promise<string> {
      if (service === "pay") return newId(h.row, "tamperpay");
      const run = await pay(h, scenarioCode("success"), `tamper${service}`);
      expect(finalState(run).state).toBe("PAID");
      return run.id;
    }

    function call(client: AlipayClient, service: Service, id: string): Promise<unknown> {
      switch (service) {
        case "pay":
          return client.pay({
            partnerTransId: id,
            amountMinor: AMOUNT,
            currency: CURRENCY,
            paymentCode: scenarioCode("success"),
            subject: SUBJECT,
          });
        case "query":
          return client.query({ partnerTransId: id, currency: CURRENCY });
        case "cancel":
          return client.cancel({ partnerTransId: id });
        case "refund":
          return client.refund({
            partnerTransId: id,
            partnerRefundId: `${id}_R`,
            amountMinor: 100,
            currency: CURRENCY,
          });
        case "refund_query":
          return client.refundQuery({
            partnerTransId: id,
            partnerRefundId: `${id}_R`,
            amountMinor: 100,
            currency: CURRENCY,
          });
      }
    }

    /** After the rejected answer, a clean retry (same ids) gives the real, single outcome. */
    async function checkAfter(h: Harness, service: Service, id: string): Promise<void> {
      const trade = onlyTrade(h, id);
      const again = await call(h.client, service, id);
      switch (service) {
        case "pay":
          // The forged SUCCESS was not believed; the trade was charged exactly once.
          expectCharged(h, trade);
          // A resend with the same id is told the trade exists: unknown → query, never failed.
          // Antom is idempotent on paymentRequestId: the same final result (paid) again.
          expect(again).toMatchObject(
            h.row.protocol === "antom"
              ? { status: "paid", alipayTransId: trade.tradeNo }
              : {
                  status: "unknown",
                  isSystemError: false,
                  reason: h.row.protocol === "mapi" ? "TRADE_HAS_SUCCESS" : "ACQ.TRADE_HAS_SUCCESS",
                },
          );
          await expect(h.client.query({ partnerTransId: id, currency: CURRENCY })).resolves.toMatchObject({
            status: "paid",
          });
          break;
        case "query":
          expect(again).toMatchObject({
            status: "paid",
            alipayTransId: trade.tradeNo,
          });
          expectCharged(h, trade);
          break;
        case "cancel":
          expect(again).toMatchObject({ status: "cancelled" });
          expect(trade.status).toBe("TRADE_CLOSED");
          expect(h.sandbox.store.refundsOf(trade.tradeNo)).toHaveLength(1);
          expectNothingCharged(h, trade);
          break;
        case "refund":
          // The repeat moves no money: MAPI repeats the success, OpenAPI says fund_change=N.
          expect(again).toMatchObject(
            h.row.protocol === "openapi" ? { status: "accepted" } : { status: "refunded", refundAmountMinor: 100 },
          );
          expect(h.sandbox.store.refundsOf(trade.tradeNo)).toHaveLength(1);
          expect(merchantBalance(h)).toBe(AMOUNT - 100);
          break;
        case "refund_query":
          expect(again).toMatchObject({ status: "not_found" });
          expect(h.sandbox.store.refundsOf(trade.tradeNo)).toHaveLength(0);
          expectCharged(h, trade);
          break;
      }
    }

    // MAPI settlement files are unsigned text (isSigned: false); OpenAPI signs the bill link.
    if (row.protocol === "openapi")
      it("bill download url: a corrupted signature is rejected", async () => {
        const h = await setup(row);
        await h.coreClock.sleep(24 * 60 * 60 * 1000);
        h.sandbox.setFaults({ badSignatureNext: 1 });
        await expect(h.client.downloadSettlement({ startDate: "2024-01-01" })).rejects.toBeInstanceOf(
          AlipaySignatureError,
        );
        await expect(h.client.downloadSettlement({ startDate: "2024-01-01" })).resolves.toMatchObject({
          format: "download_url",
        });
      });

    it.each(SERVICES)("%s: corrupted signature (sandbox fault badSignatureNext)", async (service) => {
      const h = await setup(row);
      const id = await prepare(h, service);
      h.sandbox.setFaults({ badSignatureNext: 1 });
      await expect(call(h.client, service, id)).rejects.toBeInstanceOf(AlipaySignatureError);
      expect(h.sandbox.store.faults.badSignatureNext).toBe(0);
      await checkAfter(h, service, id);
    });

    it.each(SERVICES)("%s: one digit of the signed answer flipped in transit (proxy)", async (service) => {
      const h = await setup(row);
      const proxy = await startTamperProxy(h.sandbox);
      const client = h.makeClient({ gatewayUrl: proxy.gatewayUrl });
      const id = await prepare(h, service);
      proxy.arm();
      const error = await call(client, service, id).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AlipaySignatureError);
      await checkAfter(h, service, id);
    });
  });
});
