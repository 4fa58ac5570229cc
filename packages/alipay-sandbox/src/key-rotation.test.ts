/**
 * Merchant key rotation at the gateway: a partner may have more than one RSA public key (the
 * current one and the next, as Alipay accepts during a rotation), and the sandbox records which
 * key verified each request (its fingerprint, with counts and first/last times on the sandbox
 * clock), so a fleet proof can show that every request after a switch was signed with the new key.
 */
import { createHash, createPublicKey } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlipayGatewayError, createAlipayClient, generateRsaKeyPair } from "@kiosk/alipay-core";
import { TEST_GATEWAY_PUBLIC_KEY_PEM } from "@kiosk/alipay-core/testing";
import { startSandbox, type RunningSandbox } from "./index.ts";

const PARTNER_ID = "2088000000005555";
const fingerprintOf = (publicKeyBase64: string) =>
  `SHA256:${createHash("sha256")
    .update(
      createPublicKey({ key: Buffer.from(publicKeyBase64, "base64"), format: "der", type: "spki" }).export({
        type: "spki",
        format: "der",
      }),
    )
    .digest("base64")
    .replace(/=+$/, "")}`;

describe("a partner with a current and a next RSA key", () => {
  const current = generateRsaKeyPair();
  const next = generateRsaKeyPair();
  const stranger = generateRsaKeyPair();
  let now = Date.parse("2026-03-01T02:00:00.000Z");
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({
      port: 0,
      tickIntervalMs: 0,
      clock: { now: () => now },
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      partners: [
        { partnerId: PARTNER_ID, rsaPublicKey: current.publicKeyBase64, rsaPublicKeys: [next.publicKeyBase64] },
      ],
    });
  });
  afterAll(async () => {
    await sandbox?.close();
  });
  const client = (privateKey: string) =>
    createAlipayClient({
      protocol: "mapi",
      partnerId: PARTNER_ID,
      signType: "RSA2",
      gatewayUrl: sandbox.gatewayUrl,
      privateKey,
      alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
    });

  it("accepts either key, refuses any other, and records which key signed when", async () => {
    const probe = { partnerTransId: "ROTATE0001", currency: "USD" };
    expect(await client(current.privateKeyPem).query(probe)).toMatchObject({ status: "not_found" });
    now += 1_000;
    expect(await client(next.privateKeyPem).query(probe)).toMatchObject({ status: "not_found" });
    now += 1_000;
    expect(await client(next.privateKeyPem).query(probe)).toMatchObject({ status: "not_found" });
    await expect(client(stranger.privateKeyPem).query(probe)).rejects.toSatisfy(
      (e) => e instanceof AlipayGatewayError && e.gatewayCode === "ILLEGAL_SIGN",
    );
    const use = sandbox.store.keyUse;
    expect(use.get(fingerprintOf(current.publicKeyBase64))).toEqual({
      partnerId: PARTNER_ID,
      requests: 1,
      firstAt: Date.parse("2026-03-01T02:00:00.000Z"),
      lastAt: Date.parse("2026-03-01T02:00:00.000Z"),
    });
    expect(use.get(fingerprintOf(next.publicKeyBase64))).toEqual({
      partnerId: PARTNER_ID,
      requests: 2,
      firstAt: Date.parse("2026-03-01T02:00:01.000Z"),
      lastAt: Date.parse("2026-03-01T02:00:02.000Z"),
    });
    expect(use.size).toBe(2);
  });
});
