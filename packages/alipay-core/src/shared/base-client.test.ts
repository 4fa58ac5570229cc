import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CODE,
  FORGER_MD5,
  GATEWAY_RSA2,
  ID,
  local,
  mapiConfig,
  mapiReply,
  MD5,
  openApiConfig,
  payInput,
  T0,
  useLocalGateway,
  MAPI_OPS,
} from "../__tests__/client-fixtures.ts";
import { type LocalGateway } from "../__tests__/local-gateway.ts";
import { createAlipayClient } from "../client.ts";
import { AlipayConfigError, AlipayResponseError, isRetryable } from "../errors.ts";
import { MapiClient } from "../mapi/client.ts";
import { type MapiConfig } from "../mapi/config.ts";
import { OpenApiClient } from "../openapi/client.ts";
import { type Logger, type RequestSummary, type ResponseSummary } from "./contract.ts";
import {
  FakeClock,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MD5_KEY,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
} from "../testing/index.ts";

useLocalGateway();

describe("hooks and logging never carry secrets", () => {
  it("emits request/response summaries with the masked code and no keys or signatures", async () => {
    const requests: RequestSummary[] = [];
    const responses: ResponseSummary[] = [];
    const lines: unknown[] = [];
    const logger: Logger = {
      debug: (m, f) => lines.push([m, f]),
      info: (m, f) => lines.push([m, f]),
      warn: (m, f) => lines.push([m, f]),
      error: (m, f) => lines.push([m, f]),
    };
    const clock = new FakeClock({ startMs: T0 });
    const c = new MapiClient(
      mapiConfig({
        signType: "MD5",
        md5Key: TEST_MD5_KEY,
        privateKey: undefined,
        alipayPublicKey: undefined,
      }),
      {
        clock,
        logger,
        hooks: {
          onRequest: (s) => requests.push(s),
          onResponse: (s) => responses.push(s),
        },
      },
    );
    local.respond = () => mapiReply({ result_code: "FAILED", error: "BUYER_BALANCE_NOT_ENOUGH" }, MD5);
    await c.pay(payInput);
    local.respond = () => mapiReply(MAPI_OPS.query.fields, FORGER_MD5);
    await c.query({ partnerTransId: ID, currency: "SGD" }).catch(() => undefined);
    expect(requests[0]).toMatchObject({
      protocol: "mapi",
      operation: "pay",
      partnerTransId: ID,
      amountMinor: 1234,
      paymentCodeMasked: "28************3456",
      atMs: T0,
    });
    expect(responses[0]).toMatchObject({
      operation: "pay",
      outcome: "failed",
      reason: "BUYER_BALANCE_NOT_ENOUGH",
      httpStatus: 200,
      durationMs: 0,
    });
    expect(responses[1]).toMatchObject({
      operation: "query",
      outcome: "error",
      errorName: "AlipaySignatureError",
      isRetryable: true,
    });
    const everything = JSON.stringify([requests, responses, lines]);
    expect(everything).not.toContain(CODE);
    expect(everything).not.toContain(TEST_MD5_KEY);
    const signs = (local.gw as LocalGateway).requests.slice(-2).map((r) => r.params["sign"] as string);
    for (const s of signs) expect(everything).not.toContain(s);
  });

  it("survives a throwing hook", async () => {
    const warnings: string[] = [];
    const c = new MapiClient(mapiConfig(), {
      logger: {
        debug() {},
        info() {},
        warn: (m) => warnings.push(m),
        error() {},
      },
      hooks: {
        onRequest: () => {
          throw new Error("hook");
        },
      },
    });
    local.respond = () => mapiReply(MAPI_OPS.cancel.fields, GATEWAY_RSA2);
    await expect(c.cancel({ partnerTransId: ID })).resolves.toMatchObject({
      status: "cancelled",
    });
    expect(warnings).toContain("alipay hook threw");
  });

  it("normalises unexpected non-Alipay failures into AlipayResponseError", async () => {
    const c = new MapiClient(mapiConfig(), {
      transport: {
        request: async () => ({
          status: 200,
          headers: {},
          body: null as never,
        }),
      },
    });
    await expect(c.query({ partnerTransId: ID, currency: "SGD" })).rejects.toBeInstanceOf(AlipayResponseError);
  });
});

describe("configuration", () => {
  it("creates the client the protocol names", () => {
    expect(createAlipayClient(mapiConfig())).toBeInstanceOf(MapiClient);
    expect(createAlipayClient(openApiConfig()).protocol).toBe("openapi");
    expect(() => createAlipayClient({ protocol: "ams" } as never)).toThrow(AlipayConfigError);
    expect(() => createAlipayClient(null as never)).toThrow(AlipayConfigError);
  });

  it.each([
    ["an unknown key", { extra: 1 }, /extra|Unrecognized/],
    ["a bad partner id", { partnerId: "1234" }, /partnerId/],
    ["plain http to a remote host", { gatewayUrl: "http://gateway.example/gateway.do" }, /https/],
    ["a missing md5Key", { signType: "MD5", privateKey: undefined, alipayPublicKey: undefined }, /md5Key/],
    ["a missing public key", { alipayPublicKey: undefined }, /alipayPublicKey/],
    ["a garbage private key", { privateKey: "not a key" }, /Cannot load private key/],
    ["key text and file together", { privateKeyFile: "/nonexistent" }, /not both/],
    [
      "an unreadable key file",
      { privateKey: undefined, privateKeyFile: "/nonexistent/key.pem" },
      /Cannot read privateKey file/,
    ],
    ["a zero timeout", { timeouts: { pay: 0 } }, /timeouts.pay/],
  ])("rejects %s without echoing secrets", (_n, overrides, message) => {
    const config = mapiConfig(overrides as Partial<MapiConfig>);
    expect(() => new MapiClient(config)).toThrow(message);
    try {
      new MapiClient(config);
    } catch (e) {
      expect((e as Error).message).not.toContain("BEGIN");
    }
  });

  it("allows plain http to a remote host only when asked", () => {
    expect(
      new MapiClient(
        mapiConfig({
          gatewayUrl: "http://sandbox:8080/gateway.do",
          allowInsecureHttp: true,
        }),
      ).protocol,
    ).toBe("mapi");
  });

  it("reads keys from files", () => {
    const dir = mkdtempSync(join(tmpdir(), "alipay-core-"));
    writeFileSync(join(dir, "app.pem"), TEST_MERCHANT_PRIVATE_KEY_PEM);
    writeFileSync(join(dir, "alipay.pem"), TEST_GATEWAY_PUBLIC_KEY_PEM);
    const c = new OpenApiClient(
      openApiConfig({
        privateKey: undefined,
        alipayPublicKey: undefined,
        privateKeyFile: join(dir, "app.pem"),
        alipayPublicKeyFile: join(dir, "alipay.pem"),
      }),
    );
    expect(c.protocol).toBe("openapi");
  });

  it("never mutates the caller's config", () => {
    const config = Object.freeze(mapiConfig());
    expect(() => new MapiClient(config)).not.toThrow();
  });
});
