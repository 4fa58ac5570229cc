/**
 * Fuzz: gateway responses and notifications for both protocols, mutated from genuinely
 * signed bodies or generated at random, fed to the real clients through an in-memory
 * transport (the network edge). Every answer must be a result or an AlipayError (never
 * a TypeError), and "paid" may only come back with exactly the facts the gateway signed.
 * Seeded: FUZZ_SEED (printed) reproduces a run; FUZZ_SCALE multiplies the case counts;
 * FUZZ_REPORT (a file) receives one JSON line of counts per property.
 */
import { appendFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { createAlipayClient, parseNotificationBody, type AlipayClient, type AlipayClientConfig } from "./client.ts";
import { AlipayError } from "./errors.ts";
import type { SigningKey } from "./signing.ts";
import type { HttpTransport } from "./transport.ts";
import type { PayResult, QueryResult } from "./types.ts";
import {
  buildMapiResponseXml,
  buildOpenApiResponseBody,
  signNotificationParams,
  TEST_APP_ID,
  TEST_GATEWAY_PRIVATE_KEY_PEM,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MD5_KEY,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_PARTNER_ID,
} from "./testing/index.ts";

const SEED = Number(process.env["FUZZ_SEED"] ?? 20_261_127);
const SCALE = Number(process.env["FUZZ_SCALE"] ?? 1);
const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));
// A larger run (npm run proof:fuzz) gets proportionally more time per property.
vi.setConfig({ testTimeout: 60_000 * Math.max(1, SCALE) });
process.stdout.write(`alipay-core fuzz: seed ${SEED}, scale ${SCALE} (FUZZ_SEED / FUZZ_SCALE to change)\n`);

function report(name: string, cases: number, outcomes: Record<string, number>): void {
  const line = JSON.stringify({ suite: "alipay-core", name, seed: SEED, cases, outcomes });
  process.stdout.write(`fuzz ${line}\n`);
  const file = process.env["FUZZ_REPORT"];
  if (file) appendFileSync(file, `${line}\n`);
}

const ID = "FUZZ20240101120000001";
const TRADE_NO = "2024010122001424330500011111";
const AMOUNT_MINOR = 1234;
const GATEWAY_RSA2: SigningKey = { signType: "RSA2", privateKey: TEST_GATEWAY_PRIVATE_KEY_PEM };
const MD5: SigningKey = { signType: "MD5", md5Key: TEST_MD5_KEY };
const merchant = { storeId: "ST01", terminalId: "K01" };

/** The transport answers every request with the body under test. */
function clientAnswering(config: AlipayClientConfig, body: () => string): AlipayClient {
  const transport: HttpTransport = {
    request: () =>
      Promise.resolve({
        status: 200,
        headers: { "content-type": "text/plain; charset=utf-8" },
        body: new TextEncoder().encode(body()),
      }),
  };
  return createAlipayClient(config, { transport });
}

type Row = {
  name: string;
  config: AlipayClientConfig;
  key: SigningKey;
  /** A genuinely signed pay response saying "paid" (TRADE_SUCCESS for query). */
  paidBody(operation: "pay" | "query"): string;
  notification(): Record<string, string>;
};

const mapiFields = (operation: "pay" | "query"): Record<string, string> =>
  operation === "pay"
    ? {
        result_code: "SUCCESS",
        partner_trans_id: ID,
        alipay_trans_id: TRADE_NO,
        trans_amount: "12.34",
        currency: "SGD",
        alipay_pay_time: "20240101120003",
        alipay_buyer_login_id: "135***1234",
      }
    : {
        result_code: "SUCCESS",
        alipay_trans_status: "TRADE_SUCCESS",
        partner_trans_id: ID,
        alipay_trans_id: TRADE_NO,
        trans_amount: "12.34",
        currency: "SGD",
        alipay_pay_time: "20240101120003",
      };

const mapiRow = (signType: "MD5" | "RSA2"): Row => {
  const key = signType === "MD5" ? MD5 : GATEWAY_RSA2;
  const base = {
    protocol: "mapi" as const,
    gatewayUrl: "https://gateway.invalid/gateway.do",
    partnerId: TEST_PARTNER_ID,
    merchant,
  };
  return {
    name: `MAPI ${signType}`,
    key,
    config:
      signType === "MD5"
        ? { ...base, signType, md5Key: TEST_MD5_KEY }
        : {
            ...base,
            signType,
            privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
            alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
          },
    paidBody: (operation) => buildMapiResponseXml({ fields: mapiFields(operation), key }),
    notification: () =>
      signNotificationParams(
        {
          notify_id: "n1",
          partner_trans_id: ID,
          alipay_trans_id: TRADE_NO,
          trade_status: "TRADE_SUCCESS",
          trans_amount: "12.34",
          currency: "SGD",
        },
        key,
      ),
  };
};

const openApiRow: Row = {
  name: "OpenAPI RSA2",
  key: GATEWAY_RSA2,
  config: {
    protocol: "openapi",
    gatewayUrl: "https://gateway.invalid/gateway.do",
    appId: TEST_APP_ID,
    privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
    alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
  },
  paidBody: (operation) =>
    operation === "pay"
      ? buildOpenApiResponseBody(
          "alipay.trade.pay",
          {
            code: "10000",
            msg: "Success",
            out_trade_no: ID,
            trade_no: TRADE_NO,
            total_amount: "12.34",
            trans_currency: "SGD",
            gmt_payment: "2024-01-01 12:00:03",
          },
          GATEWAY_RSA2,
        )
      : buildOpenApiResponseBody(
          "alipay.trade.query",
          {
            code: "10000",
            msg: "Success",
            out_trade_no: ID,
            trade_no: TRADE_NO,
            trade_status: "TRADE_SUCCESS",
            total_amount: "12.34",
            trans_currency: "SGD",
            send_pay_date: "2024-01-01 12:00:03",
          },
          GATEWAY_RSA2,
        ),
  notification: () =>
    signNotificationParams(
      {
        notify_id: "n1",
        app_id: TEST_APP_ID,
        out_trade_no: ID,
        trade_no: TRADE_NO,
        trade_status: "TRADE_SUCCESS",
        total_amount: "12.34",
        trans_currency: "SGD",
      },
      GATEWAY_RSA2,
    ),
};

const ROWS: readonly Row[] = [mapiRow("MD5"), mapiRow("RSA2"), openApiRow];

/** One edit of a text: replace, delete, insert, duplicate or truncate at a generated position. */
const textMutation = fc.oneof(
  fc.record({ op: fc.constant("replace" as const), at: fc.nat(), text: fc.string({ minLength: 1, maxLength: 4 }) }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    op: fc.constant("insert" as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom("<", ">", "</alipay>", "&", '"', "}", "{", "\\u0000", "<sign>x</sign>", ',"sign":"AAAA"'),
    ),
  }),
  fc.record({ op: fc.constant("duplicate" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
);
type TextMutation = typeof textMutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(text: string, edits: readonly TextMutation[]): string {
  let out = text;
  for (const e of edits) {
    const at = out.length === 0 ? 0 : e.at % out.length;
    if (e.op === "replace") out = out.slice(0, at) + e.text + out.slice(at + e.text.length);
    else if (e.op === "delete") out = out.slice(0, at) + out.slice(at + e.length);
    else if (e.op === "insert") out = out.slice(0, at) + e.text + out.slice(at);
    else if (e.op === "duplicate") out = out.slice(0, at + e.length) + out.slice(at);
    else out = out.slice(0, at);
  }
  return out;
}

/** Replaces one signed value (an XML element's text or a JSON string) without re-signing. */
const valueSwap = fc.record({
  index: fc.nat(),
  value: fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom("TRADE_SUCCESS", "SUCCESS", "10000", "99999.99", "0.01", "-12.34", "12.340", ID, ""),
  ),
});
function swapValue(body: string, swap: { index: number; value: string }): string {
  const matches = [...body.matchAll(/>([^<>]*)</g), ...body.matchAll(/":"([^"]*)"/g)];
  if (matches.length === 0) return body;
  const m = matches[swap.index % matches.length]!;
  const start = (m.index ?? 0) + m[0].indexOf(m[1]!);
  return body.slice(0, start) + swap.value.replace(/[<>"\\]/g, "") + body.slice(start + m[1]!.length);
}

/** Random bodies that are not derived from a signed one. */
const randomBody = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.json({ maxDepth: 3 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ alipay_trade_pay_response: v, sign: "AAAA" })),
  fc
    .dictionary(
      fc.constantFrom(
        "is_success",
        "result_code",
        "partner_trans_id",
        "alipay_trans_id",
        "trans_amount",
        "currency",
        "alipay_trans_status",
        "sign",
        "sign_type",
        "error",
      ),
      fc.string({ maxLength: 20 }),
    )
    .map(
      (d) =>
        `<?xml version="1.0"?><alipay>${Object.entries(d)
          .map(([k, v]) => `<${k}>${v}</${k}>`)
          .join("")}</alipay>`,
    ),
);

type Outcome = { kind: "result"; result: PayResult | QueryResult } | { kind: "error"; error: AlipayError };

async function callWith(row: Row, operation: "pay" | "query", body: string): Promise<Outcome> {
  const client = clientAnswering(row.config, () => body);
  try {
    const result =
      operation === "pay"
        ? await client.pay({
            partnerTransId: ID,
            amountMinor: AMOUNT_MINOR,
            currency: "SGD",
            paymentCode: "281234567890123456",
            subject: "Tickets",
          })
        : await client.query({ partnerTransId: ID, currency: "SGD" });
    return { kind: "result", result };
  } catch (error) {
    // Anything but an AlipayError (a TypeError from a missing field, say) fails the property.
    if (!(error instanceof AlipayError)) throw error;
    return { kind: "error", error };
  }
}

/** "paid" is believed only with the signed facts: our id, the gateway's trade number, the amount. */
function assertPaidIsGenuine(outcome: Outcome): void {
  if (outcome.kind === "result" && outcome.result.status === "paid") {
    expect(outcome.result).toMatchObject({
      partnerTransId: ID,
      alipayTransId: TRADE_NO,
      amountMinor: AMOUNT_MINOR,
      currency: "SGD",
    });
  }
}

function tally(outcomes: Record<string, number>, outcome: Outcome): void {
  const key = outcome.kind === "error" ? outcome.error.name : outcome.result.status;
  outcomes[key] = (outcomes[key] ?? 0) + 1;
}

describe.each(ROWS)("$name gateway responses under fuzz", (row) => {
  for (const operation of ["pay", "query"] as const) {
    it(`${operation}: a signed "paid" body, mutated, gives a typed error or the signed facts`, async () => {
      const original = row.paidBody(operation);
      expect((await callWith(row, operation, original)).kind).toBe("result"); // the unmutated body is accepted
      const outcomes: Record<string, number> = {};
      let cases = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(textMutation, { minLength: 1, maxLength: 3 }),
          fc.option(valueSwap, { nil: undefined }),
          async (edits, swap) => {
            const body = mutate(swap ? swapValue(original, swap) : original, edits);
            const outcome = await callWith(row, operation, body);
            cases += 1;
            tally(outcomes, outcome);
            assertPaidIsGenuine(outcome);
          },
        ),
        { seed: SEED, numRuns: runs(250) },
      );
      report(`${row.name} ${operation} mutated`, cases, outcomes);
    });

    it(`${operation}: a random body never gives "paid"`, async () => {
      const outcomes: Record<string, number> = {};
      let cases = 0;
      await fc.assert(
        fc.asyncProperty(randomBody, async (body) => {
          const outcome = await callWith(row, operation, body);
          cases += 1;
          tally(outcomes, outcome);
          expect(outcome.kind === "result" && outcome.result.status === "paid").toBe(false);
        }),
        { seed: SEED, numRuns: runs(150) },
      );
      report(`${row.name} ${operation} random`, cases, outcomes);
    });
  }

  it("notifications: tampered, stripped or random params give an AlipayError unless the signed facts are intact", () => {
    const client = clientAnswering(row.config, () => "");
    const genuine = row.notification();
    expect(client.verifyNotification(genuine)).toMatchObject({ status: "paid", amountMinor: AMOUNT_MINOR });
    const edit = fc.oneof(
      fc.record({
        op: fc.constant("set" as const),
        key: fc.oneof(fc.constantFrom(...Object.keys(genuine)), fc.string({ maxLength: 10 })),
        value: fc.string({ maxLength: 30 }),
      }),
      fc.record({ op: fc.constant("drop" as const), key: fc.constantFrom(...Object.keys(genuine)) }),
    );
    const outcomes: Record<string, number> = {};
    let cases = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => ({ edits, isRandom: false })),
          fc
            .dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 30 }))
            .map((params) => ({ params, isRandom: true })),
        ),
        (input) => {
          let params: Record<string, string>;
          if ("params" in input) params = input.params;
          else {
            params = { ...genuine };
            for (const e of input.edits) {
              if (e.op === "set") params[e.key] = e.value;
              else delete params[e.key];
            }
          }
          cases += 1;
          try {
            const verified = client.verifyNotification(params);
            outcomes["verified"] = (outcomes["verified"] ?? 0) + 1;
            expect(input.isRandom).toBe(false);
            if (verified.status === "paid")
              expect(verified).toMatchObject({
                partnerTransId: ID,
                alipayTransId: TRADE_NO,
                amountMinor: AMOUNT_MINOR,
              });
          } catch (error) {
            if (!(error instanceof AlipayError)) throw error;
            outcomes[error.name] = (outcomes[error.name] ?? 0) + 1;
          }
        },
      ),
      { seed: SEED, numRuns: runs(400) },
    );
    report(`${row.name} notification`, cases, outcomes);
  });
});

it("notification bodies: any text parses to params or an AlipayError", () => {
  let cases = 0;
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        fc
          .array(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 })))
          .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join("&")),
      ),
      (body) => {
        cases += 1;
        try {
          const params = parseNotificationBody(body);
          expect(typeof params).toBe("object");
        } catch (error) {
          expect(error).toBeInstanceOf(AlipayError);
        }
      },
    ),
    { seed: SEED, numRuns: runs(500) },
  );
  report("notification body parse", cases, {});
});
