import { describe, expect, it } from "vitest";
import { loadPrivateKey, loadPublicKey } from "../signing.ts";
import {
  TEST_GATEWAY_PRIVATE_KEY_PEM,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_MERCHANT_PUBLIC_KEY_PEM,
} from "../testing/keys.ts";
import {
  antomRequestHeaders,
  buildAntomSignContent,
  formatAntomSignatureHeader,
  parseAntomSignatureHeader,
  signAntomContent,
  verifyAntomMessage,
} from "./signing.ts";

const merchantKey = loadPrivateKey(TEST_MERCHANT_PRIVATE_KEY_PEM);
const merchantPublic = loadPublicKey(TEST_MERCHANT_PUBLIC_KEY_PEM);
const antomKey = loadPrivateKey(TEST_GATEWAY_PRIVATE_KEY_PEM);
const antomPublic = loadPublicKey(TEST_GATEWAY_PUBLIC_KEY_PEM);

const BODY = '{"paymentRequestId":"K1","paymentAmount":{"currency":"SGD","value":"1234"}}';
const VECTOR = {
  method: "POST",
  path: "/ams/api/v1/payments/pay",
  clientId: "SANDBOX_5Y3A2N2YEB3002022",
  time: "1685599933871",
  body: BODY,
};
/** `openssl dgst -sha256 -sign merchant.pem content.txt | base64` — an independent implementation. */
const OPENSSL_SIGNATURE =
  "uf0GI50iTZ7MrLrNbLez4su79Mp2mt77hPHdWSJ8ES8FTATsUkD9Nw6QAxcolyMUPvoUyIsQ7bM+2aoxWP5bycxqq860KuU5BYn5/bNYZTTg+lBb35duVY/OqqHI+Dy3PM7AaEnlWnHPX0mI2u8AnOxRhgr6VQfe/grDin6DMpdVveHywyy6+JD2zSzamXypleLDi7+S/YWlUdcoy3w3OZbi8mlfdLUHfzk/8fgM5MZJejVu6NYiwvj3gDowfvhGa7+/rvoOA0dhFOxF1BMOfmyI0tGuVnOF31ct4nt4J0DrCwQuUQRre3fHwOHjjTwD5q2oZM20fgJ6ZO/DyBuGgg==";

describe("Antom request signing (RSA256 over '<method> <path>\\n<client-id>.<time>.<body>')", () => {
  it("builds the sign content byte for byte", () => {
    expect(buildAntomSignContent(VECTOR)).toBe(
      `POST /ams/api/v1/payments/pay\nSANDBOX_5Y3A2N2YEB3002022.1685599933871.${BODY}`,
    );
  });

  it("signs exactly as openssl does (SHA256withRSA, PKCS#1 v1.5)", () => {
    expect(signAntomContent(buildAntomSignContent(VECTOR), merchantKey)).toBe(OPENSSL_SIGNATURE);
  });

  it("writes the Signature header with the base64 URL-encoded, and reads it back", () => {
    const header = formatAntomSignatureHeader("1", OPENSSL_SIGNATURE);
    expect(header.startsWith("algorithm=RSA256,keyVersion=1,signature=")).toBe(true);
    expect(header.split("signature=")[1]).not.toMatch(/[+/=]/);
    expect(header).toContain(encodeURIComponent(OPENSSL_SIGNATURE));
    expect(parseAntomSignatureHeader(header)).toEqual({
      algorithm: "RSA256",
      keyVersion: "1",
      signature: OPENSSL_SIGNATURE,
    });
    // Antom's documentation writes spaces after the commas.
    expect(
      parseAntomSignatureHeader(`algorithm=RSA256, keyVersion=2, signature=${encodeURIComponent("a+b/c=")}`),
    ).toEqual({
      algorithm: "RSA256",
      keyVersion: "2",
      signature: "a+b/c=",
    });
    expect(parseAntomSignatureHeader("algorithm=RSA256,keyVersion=1")).toBeUndefined();
    expect(parseAntomSignatureHeader(undefined)).toBeUndefined();
  });

  it("request headers carry client-id, request-time and a signature the merchant public key verifies", () => {
    const headers = antomRequestHeaders({
      ...VECTOR,
      requestTime: VECTOR.time,
      keyVersion: "3",
      privateKey: merchantKey,
    });
    expect(headers["client-id"]).toBe(VECTOR.clientId);
    expect(headers["request-time"]).toBe(VECTOR.time);
    expect(headers["signature"]).toBe(formatAntomSignatureHeader("3", OPENSSL_SIGNATURE));
    const verdict = verifyAntomMessage(
      { ...VECTOR, headerClientId: headers["client-id"], signatureHeader: headers["signature"] },
      merchantPublic,
    );
    expect(verdict).toEqual({ ok: true });
  });
});

describe("Antom response verification (mandatory)", () => {
  const signed = (over: Partial<typeof VECTOR> = {}) => {
    const message = {
      ...VECTOR,
      path: "/ams/api/v1/payments/inquiryPayment",
      time: "2026-12-05T10:00:00+08:00",
      ...over,
    };
    return formatAntomSignatureHeader("1", signAntomContent(buildAntomSignContent(message), antomKey));
  };
  const base = {
    method: "POST",
    path: "/ams/api/v1/payments/inquiryPayment",
    clientId: VECTOR.clientId,
    headerClientId: VECTOR.clientId,
    time: "2026-12-05T10:00:00+08:00",
    body: BODY,
  };

  it("accepts an answer signed by Antom's key over response-time and the exact body", () => {
    expect(verifyAntomMessage({ ...base, signatureHeader: signed() }, antomPublic)).toEqual({ ok: true });
  });

  it.each([
    ["a tampered body", { body: BODY.replace("1234", "1235") }, "bad_sign"],
    ["another response-time", { time: "2026-12-05T10:00:01+08:00" }, "bad_sign"],
    ["another path", { path: "/ams/api/v1/payments/pay" }, "bad_sign"],
    ["another client-id header", { headerClientId: "SOMEONE_ELSE" }, "wrong_client"],
    ["no signature", { signatureHeader: undefined }, "missing_sign"],
    ["no response-time", { time: undefined }, "missing_time"],
    ["another algorithm", { signatureHeader: signed().replace("RSA256", "RSA512") }, "unsupported_algorithm"],
  ] as const)("rejects %s", (_label, change, reason) => {
    const message = { ...base, signatureHeader: signed(), ...change };
    expect(verifyAntomMessage(message, antomPublic)).toEqual({ ok: false, reason });
  });

  it("rejects an answer signed with any other key (the merchant's own)", () => {
    const forged = formatAntomSignatureHeader(
      "1",
      signAntomContent(buildAntomSignContent({ ...base, time: base.time }), merchantKey),
    );
    expect(verifyAntomMessage({ ...base, signatureHeader: forged }, antomPublic)).toEqual({
      ok: false,
      reason: "bad_sign",
    });
  });
});
