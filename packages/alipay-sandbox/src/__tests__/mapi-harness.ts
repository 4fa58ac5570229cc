/** Fixtures of the MAPI gateway tests: signing keys, a sandbox per test, signed service calls. */
import { afterEach, beforeEach } from "vitest";
import type { SigningKey, VerifyingKey } from "@kiosk/alipay-core";
import {
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MD5_KEY,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_PARTNER_ID,
} from "@kiosk/alipay-core/testing";
import { scenarioCode, type ScenarioId } from "../scenarios.ts";
import { mapiCall, type MapiReply } from "../testing/signed-request.ts";
import {
  startNotificationReceiver,
  startTestSandbox,
  type NotificationReceiver,
  type TestSandbox,
} from "../testing/sandbox-fixture.ts";

export const SIGNING_KEYS: Record<"MD5" | "RSA" | "RSA2", SigningKey> = {
  MD5: { signType: "MD5", md5Key: TEST_MD5_KEY },
  RSA: { signType: "RSA", privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM },
  RSA2: { signType: "RSA2", privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM },
};

export function responseKey(signType: "MD5" | "RSA" | "RSA2"): VerifyingKey {
  return signType === "MD5" ? { signType, md5Key: TEST_MD5_KEY } : { signType, publicKey: TEST_GATEWAY_PUBLIC_KEY_PEM };
}

let counter = 0;

/** The running sandbox and notification receiver of the current test. */
export const env = {} as { sandbox: TestSandbox; receiver: NotificationReceiver };

/** A fresh sandbox and receiver for each test of the calling file. */
export function useMapiSandbox(): void {
  beforeEach(async () => {
    env.sandbox = await startTestSandbox({ slowResponseScale: 0.005 });
    env.receiver = await startNotificationReceiver();
  });
  afterEach(async () => {
    await env.sandbox.close();
    await env.receiver.close();
  });
}

export function newId(): string {
  counter += 1;
  return `T${Date.now()}${counter}`;
}

export function call(
  service: string,
  params: Record<string, string | undefined>,
  signType: "MD5" | "RSA" | "RSA2" = "MD5",
  httpMethod: "GET" | "POST" = "POST",
): Promise<MapiReply> {
  return mapiCall({
    gatewayUrl: env.sandbox.gatewayUrl,
    params: {
      service,
      partner: TEST_PARTNER_ID,
      _input_charset: "UTF-8",
      ...params,
    },
    key: SIGNING_KEYS[signType],
    httpMethod,
  });
}

export function pay(
  code: string,
  options: {
    id?: string;
    amount?: string;
    currency?: string;
    signType?: "MD5" | "RSA" | "RSA2";
    notify?: boolean;
  } = {},
): Promise<MapiReply> {
  return call(
    "alipay.acquire.overseas.spot.pay",
    {
      alipay_seller_id: TEST_PARTNER_ID,
      trans_name: "Museum ticket",
      partner_trans_id: options.id ?? newId(),
      currency: options.currency ?? "USD",
      trans_amount: options.amount ?? "10.00",
      buyer_identity_code: code,
      identity_code_type: "barcode",
      trans_create_time: "20240101120000",
      biz_product: "OVERSEAS_MBARCODE_PAY",
      notify_url: options.notify === true ? env.receiver.url : undefined,
      extend_info: JSON.stringify({
        secondary_merchant_id: "S001",
        store_id: "ST01",
        terminal_id: "K01",
      }),
    },
    options.signType ?? "MD5",
  );
}

export function query(id: string, signType: "MD5" | "RSA" | "RSA2" = "MD5"): Promise<MapiReply> {
  return call("alipay.acquire.overseas.query", { partner_trans_id: id }, signType);
}

export function cancel(id: string): Promise<MapiReply> {
  return call("alipay.acquire.cancel", {
    out_trade_no: id,
    timestamp: String(env.sandbox.clock.now()),
  });
}

export function refund(
  id: string,
  refundId: string,
  amount: string,
  extra: Record<string, string> = {},
): Promise<MapiReply> {
  return call("alipay.acquire.overseas.spot.refund", {
    partner_trans_id: id,
    partner_refund_id: refundId,
    refund_amount: amount,
    currency: "USD",
    is_sync: "Y",
    ...extra,
  });
}

export function code(id: ScenarioId, parameter = 0): string {
  return scenarioCode(id, { parameter, serial: 12345678 });
}
