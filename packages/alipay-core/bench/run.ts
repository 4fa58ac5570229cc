/**
 * Benchmarks: sign+verify throughput per sign type, and the client's overhead per pay call
 * against a local node:http responder (client pay latency minus a bare fetch of the same
 * response). Run: `npm run bench` (tsx bench/run.ts). Writes
 * `{ node, figures: [{ name, value, unit, target }], raw }` to $BENCH_OUT if set.
 */
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import {
  buildSignContent,
  loadPrivateKey,
  loadPublicKey,
  MapiClient,
  OpenApiClient,
  signContent,
  verifyContent,
  type AlipayClient,
  type SigningKey,
  type VerifyingKey,
} from "../src/index.ts";
import {
  buildMapiResponseXml,
  buildOpenApiResponseBody,
  TEST_APP_ID,
  TEST_GATEWAY_PRIVATE_KEY_PEM,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MD5_KEY,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_MERCHANT_PUBLIC_KEY_PEM,
  TEST_PARTNER_ID,
  VECTORS_B,
} from "../src/testing/index.ts";

const SIGN_DURATION_MS = 1500;
/** Targets printed beside the figures (report only; the bench does not fail on them). */
const SIGN_VERIFY_RSA2_TARGET_OPS = 1000;
const OVERHEAD_P99_TARGET_MS = 5;

/** One line of the bench report (`scripts/bench.mjs` reads `{ figures }`). */
type Figure = { name: string; value: number; unit: string; target: string };
const PAY_CALLS = 2000;
const WARMUP_CALLS = 200;

type SignResult = { signType: string; opsPerSec: number; iterations: number };
type PayResult = {
  client: string;
  calls: number;
  medianMs: number;
  p99Ms: number;
  baselineMedianMs: number;
  baselineP99Ms: number;
  overheadMedianMs: number;
  overheadP99Ms: number;
};

function benchSign(): SignResult[] {
  const content = VECTORS_B.spotPayRequest.preSign;
  const privateKey = loadPrivateKey(TEST_MERCHANT_PRIVATE_KEY_PEM);
  const publicKey = loadPublicKey(TEST_MERCHANT_PUBLIC_KEY_PEM);
  const cases: Array<[string, SigningKey, VerifyingKey]> = [
    ["MD5", { signType: "MD5", md5Key: TEST_MD5_KEY }, { signType: "MD5", md5Key: TEST_MD5_KEY }],
    ["RSA", { signType: "RSA", privateKey }, { signType: "RSA", publicKey }],
    ["RSA2", { signType: "RSA2", privateKey }, { signType: "RSA2", publicKey }],
  ];
  return cases.map(([signType, sk, vk]) => {
    for (let i = 0; i < 50; i++) verifyContent(content, signContent(content, sk), vk);
    let iterations = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < SIGN_DURATION_MS) {
      for (let i = 0; i < 20; i++) {
        if (!verifyContent(content, signContent(content, sk), vk)) throw new Error("verification failed in bench");
      }
      iterations += 20;
      elapsed = performance.now() - start;
    }
    return {
      signType,
      opsPerSec: Math.round((iterations / elapsed) * 1000),
      iterations,
    };
  });
}

function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

async function withResponder<T>(body: string, contentType: string, run: (url: string) => Promise<T>): Promise<T> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": contentType });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gateway.do`;
  try {
    return await run(url);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function timeCalls(n: number, call: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await call();
    samples.push(performance.now() - start);
  }
  return samples.sort((a, b) => a - b);
}

const ID = "BENCH20240101120000001";
const payInput = {
  partnerTransId: ID,
  amountMinor: 1234,
  currency: "SGD",
  paymentCode: "281234567890123456",
  subject: "Tickets",
};

async function benchPay(
  label: string,
  body: string,
  contentType: string,
  makeClient: (url: string) => AlipayClient,
): Promise<PayResult> {
  return withResponder(body, contentType, async (url) => {
    const client = makeClient(url);
    const requestBody = new URLSearchParams({ a: "1".repeat(900) }).toString();
    const bare = (): Promise<string> =>
      fetch(url, {
        method: "POST",
        body: requestBody,
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }).then((r) => r.text());
    for (let i = 0; i < WARMUP_CALLS; i++) {
      await bare();
      const result = await client.pay(payInput);
      if (result.status !== "paid") throw new Error(`bench pay returned ${result.status}`);
    }
    // Interleave to share any drift between the two measurements.
    const baseline: number[] = [];
    const measured: number[] = [];
    for (let round = 0; round < 4; round++) {
      baseline.push(...(await timeCalls(PAY_CALLS / 4, bare)));
      measured.push(...(await timeCalls(PAY_CALLS / 4, () => client.pay(payInput))));
    }
    baseline.sort((a, b) => a - b);
    measured.sort((a, b) => a - b);
    const r = (x: number): number => Math.round(x * 1000) / 1000;
    return {
      client: label,
      calls: PAY_CALLS,
      medianMs: r(percentile(measured, 50)),
      p99Ms: r(percentile(measured, 99)),
      baselineMedianMs: r(percentile(baseline, 50)),
      baselineP99Ms: r(percentile(baseline, 99)),
      overheadMedianMs: r(percentile(measured, 50) - percentile(baseline, 50)),
      overheadP99Ms: r(percentile(measured, 99) - percentile(baseline, 99)),
    };
  });
}

async function main(): Promise<void> {
  const sign = benchSign();
  const fields = {
    result_code: "SUCCESS",
    partner_trans_id: ID,
    alipay_trans_id: "2024010122001424330500011111",
    trans_amount: "12.34",
    currency: "SGD",
    alipay_pay_time: "20240101120003",
    alipay_buyer_login_id: "135***1234",
  };
  const gatewayRsa2: SigningKey = {
    signType: "RSA2",
    privateKey: TEST_GATEWAY_PRIVATE_KEY_PEM,
  };
  const md5: SigningKey = { signType: "MD5", md5Key: TEST_MD5_KEY };
  if (buildSignContent(fields) === "") throw new Error("empty fields");
  const pay = [
    await benchPay(
      "MapiClient RSA2",
      buildMapiResponseXml({ fields, key: gatewayRsa2 }),
      "text/xml; charset=UTF-8",
      (url) =>
        new MapiClient({
          protocol: "mapi",
          gatewayUrl: url,
          partnerId: TEST_PARTNER_ID,
          signType: "RSA2",
          privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
          alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
          merchant: { storeId: "ST01", terminalId: "K01" },
        }),
    ),
    await benchPay(
      "MapiClient MD5",
      buildMapiResponseXml({ fields, key: md5 }),
      "text/xml; charset=UTF-8",
      (url) =>
        new MapiClient({
          protocol: "mapi",
          gatewayUrl: url,
          partnerId: TEST_PARTNER_ID,
          signType: "MD5",
          md5Key: TEST_MD5_KEY,
          merchant: { storeId: "ST01", terminalId: "K01" },
        }),
    ),
    await benchPay(
      "OpenApiClient RSA2",
      buildOpenApiResponseBody(
        "alipay.trade.pay",
        {
          code: "10000",
          msg: "Success",
          out_trade_no: ID,
          trade_no: "2024010122001",
          total_amount: "12.34",
          trans_currency: "SGD",
          gmt_payment: "2024-01-01 12:00:03",
        },
        gatewayRsa2,
      ),
      "application/json; charset=utf-8",
      (url) =>
        new OpenApiClient({
          protocol: "openapi",
          gatewayUrl: url,
          appId: TEST_APP_ID,
          privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
          alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
        }),
    ),
  ];

  const lines: string[] = [];
  lines.push("sign + verify (spot.pay pre-sign string, 2048-bit keys)");
  lines.push(`  ${"type".padEnd(6)} ${"ops/s".padStart(10)}`);
  for (const s of sign) lines.push(`  ${s.signType.padEnd(6)} ${String(s.opsPerSec).padStart(10)}`);
  lines.push("");
  lines.push(`pay call against a local responder (${PAY_CALLS} calls; overhead = client − bare fetch)`);
  lines.push(
    `  ${"client".padEnd(20)} ${"median ms".padStart(10)} ${"p99 ms".padStart(8)} ${"bare med".padStart(9)} ${"bare p99".padStart(9)} ${"ovh med".padStart(8)} ${"ovh p99".padStart(8)}`,
  );
  for (const p of pay) {
    lines.push(
      `  ${p.client.padEnd(20)} ${p.medianMs.toFixed(3).padStart(10)} ${p.p99Ms.toFixed(3).padStart(8)} ${p.baselineMedianMs.toFixed(3).padStart(9)} ${p.baselineP99Ms.toFixed(3).padStart(9)} ${p.overheadMedianMs.toFixed(3).padStart(8)} ${p.overheadP99Ms.toFixed(3).padStart(8)}`,
    );
  }
  console.log(lines.join("\n"));

  const figures: Figure[] = [
    ...sign.map((s): Figure => ({
      name: `${s.signType} sign + verify`,
      value: s.opsPerSec,
      unit: "ops/s",
      target: s.signType === "RSA2" ? `>= ${SIGN_VERIFY_RSA2_TARGET_OPS}` : "",
    })),
    ...pay.flatMap((p): Figure[] => [
      {
        name: `${p.client} pay vs local responder: median`,
        value: p.medianMs,
        unit: "ms",
        target: "",
      },
      {
        name: `${p.client} pay vs local responder: p99`,
        value: p.p99Ms,
        unit: "ms",
        target: "",
      },
      {
        name: `${p.client} pay: client overhead median`,
        value: p.overheadMedianMs,
        unit: "ms",
        target: "",
      },
      {
        name: `${p.client} pay: client overhead p99`,
        value: p.overheadP99Ms,
        unit: "ms",
        target: `< ${OVERHEAD_P99_TARGET_MS}`,
      },
    ]),
  ];

  const out = process.env["BENCH_OUT"];
  if (out !== undefined && out !== "") {
    writeFileSync(
      out,
      `${JSON.stringify({ node: process.version, figures, raw: { signVerify: sign, pay } }, null, 2)}\n`,
    );
    console.log(`\nwrote ${out}`);
  }
}

await main();
