/**
 * The client's overhead per pay call against the sandbox, over real HTTP on 127.0.0.1.
 *
 * For each of MAPI MD5 / RSA / RSA2 and OpenAPI RSA2: 2,000 `client.pay` calls (fresh
 * `partner_trans_id`, instant-success code) through `createAlipayClient` against an in-process
 * sandbox. Per call it records the client-side time (`client.pay` start → result) and the
 * sandbox's handler time (request listener entered → response finished), and the client's
 * overhead = client time − handler time of the same call (request building and signing,
 * HTTP client and loopback, response verification and mapping).
 *
 * Run: `npx tsx packages/alipay-sandbox/bench/pay-overhead.ts` (or `npm run bench` in this
 * package). Writes `{ figures: [{ name, value, unit, target }] }` to $BENCH_OUT if set.
 */
import { writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { createAlipayClient, type AlipayClient, type AlipayClientConfig } from "@kiosk/alipay-core";
import {
  TEST_APP_ID,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MD5_KEY,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_PARTNER_ID,
} from "@kiosk/alipay-core/testing";
import { createSandbox, scenarioCode } from "../src/index.ts";

const CALLS = 2000;
const WARMUP_CALLS = 200;
/** Target for the client's overhead per pay call (p99). */
const OVERHEAD_P99_TARGET_MS = 5;

type Row = {
  name: string;
  config: (gatewayUrl: string) => AlipayClientConfig;
};

const merchant = { storeId: "ST01", terminalId: "K01" };
const ROWS: readonly Row[] = [
  {
    name: "MAPI MD5",
    config: (gatewayUrl) => ({
      protocol: "mapi",
      gatewayUrl,
      partnerId: TEST_PARTNER_ID,
      signType: "MD5",
      md5Key: TEST_MD5_KEY,
      merchant,
    }),
  },
  ...(["RSA", "RSA2"] as const).map((signType): Row => ({
    name: `MAPI ${signType}`,
    config: (gatewayUrl) => ({
      protocol: "mapi",
      gatewayUrl,
      partnerId: TEST_PARTNER_ID,
      signType,
      privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
      alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
      merchant,
    }),
  })),
  {
    name: "OpenAPI RSA2",
    config: (gatewayUrl) => ({
      protocol: "openapi",
      gatewayUrl,
      appId: TEST_APP_ID,
      signType: "RSA2",
      privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
      alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
    }),
  },
];

type Stats = { median: number; p99: number };
type RowResult = {
  name: string;
  calls: number;
  client: Stats;
  handler: Stats;
  overhead: Stats;
};

function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return { median: r(percentile(sorted, 50)), p99: r(percentile(sorted, 99)) };
}

async function main(): Promise<void> {
  const sandbox = createSandbox({ tickIntervalMs: 0 });
  // Mount the sandbox's own listener, timing each request from entry to the last byte written.
  let lastHandlerMs = Number.NaN;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const start = performance.now();
    res.on("finish", () => {
      lastHandlerMs = performance.now() - start;
    });
    sandbox.handler(req, res);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const gatewayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gateway.do`;

  const results: RowResult[] = [];
  let serial = 0;
  try {
    for (const row of ROWS) {
      sandbox.reset();
      const client: AlipayClient = createAlipayClient(row.config(gatewayUrl));
      const clientMs: number[] = [];
      const handlerMs: number[] = [];
      const overheadMs: number[] = [];
      for (let i = 0; i < WARMUP_CALLS + CALLS; i++) {
        serial += 1;
        lastHandlerMs = Number.NaN;
        const start = performance.now();
        const result = await client.pay({
          partnerTransId: `BENCH${String(serial).padStart(10, "0")}`,
          amountMinor: 1234,
          currency: "SGD",
          // A new buyer every 1,000 calls keeps every balance far from empty.
          paymentCode: scenarioCode("success", {
            serial: Math.floor(serial / 1000),
          }),
          subject: "Tickets",
        });
        const elapsed = performance.now() - start;
        if (result.status !== "paid") throw new Error(`${row.name}: pay returned ${result.status}`);
        if (Number.isNaN(lastHandlerMs)) throw new Error(`${row.name}: handler time not recorded`);
        if (i < WARMUP_CALLS) continue;
        clientMs.push(elapsed);
        handlerMs.push(lastHandlerMs);
        overheadMs.push(elapsed - lastHandlerMs);
      }
      results.push({
        name: row.name,
        calls: CALLS,
        client: stats(clientMs),
        handler: stats(handlerMs),
        overhead: stats(overheadMs),
      });
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  const f = (x: number): string => x.toFixed(3).padStart(9);
  const lines = [
    `pay call against the sandbox over HTTP (${CALLS} calls per row after ${WARMUP_CALLS} warm-up; ms)`,
    `overhead = client time − sandbox handler time, per call`,
    `  ${"row".padEnd(14)} ${"client med".padStart(10)} ${"client p99".padStart(10)} ${"sbx med".padStart(9)} ${"sbx p99".padStart(9)} ${"ovh med".padStart(9)} ${"ovh p99".padStart(9)}`,
    ...results.map(
      (r) =>
        `  ${r.name.padEnd(14)} ${f(r.client.median).padStart(10)} ${f(r.client.p99).padStart(10)} ${f(r.handler.median)} ${f(r.handler.p99)} ${f(r.overhead.median)} ${f(r.overhead.p99)}`,
    ),
  ];
  console.log(lines.join("\n"));

  const figures = results.flatMap((r) => [
    {
      name: `${r.name} pay: client time median`,
      value: r.client.median,
      unit: "ms",
      target: "",
    },
    {
      name: `${r.name} pay: client time p99`,
      value: r.client.p99,
      unit: "ms",
      target: "",
    },
    {
      name: `${r.name} pay: sandbox handler time median`,
      value: r.handler.median,
      unit: "ms",
      target: "",
    },
    {
      name: `${r.name} pay: sandbox handler time p99`,
      value: r.handler.p99,
      unit: "ms",
      target: "",
    },
    {
      name: `${r.name} pay: client overhead median`,
      value: r.overhead.median,
      unit: "ms",
      target: "",
    },
    {
      name: `${r.name} pay: client overhead p99`,
      value: r.overhead.p99,
      unit: "ms",
      target: `< ${OVERHEAD_P99_TARGET_MS}`,
    },
  ]);
  const out = process.env["BENCH_OUT"];
  if (out !== undefined && out !== "") {
    writeFileSync(out, `${JSON.stringify({ node: process.version, calls: CALLS, figures }, null, 2)}\n`);
    console.log(`\nwrote ${out}`);
  }
  const missed = results.filter((r) => r.overhead.p99 >= OVERHEAD_P99_TARGET_MS);
  if (missed.length > 0)
    console.log(
      `\ntarget missed (overhead p99 < ${OVERHEAD_P99_TARGET_MS} ms): ${missed.map((r) => r.name).join(", ")}`,
    );
}

await main();
