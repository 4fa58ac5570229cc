import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  base64ToPem,
  buildOpenApiSignContent,
  buildSignContent,
  exportPrivateKey,
  extractOpenApiSignedResponse,
  extractTopLevelJsonMembers,
  generateRsaKeyPair,
  loadPrivateKey,
  loadPublicKey,
  md5Sign,
  normaliseBase64Signature,
  openApiResponseKey,
  pemToBase64,
  publicKeyPemFromPrivate,
  signContent,
  signContentAsync,
  signOpenApiParams,
  signOpenApiResponseBody,
  signParams,
  verifyContent,
  verifyOpenApiResponse,
  verifyParams,
} from "./signing.ts";
import {
  KAL_MD5_KEY,
  KAL_TEST_PRIVATE_KEY_PEM,
  TEST_GATEWAY_PRIVATE_KEY_PEM,
  TEST_GATEWAY_PUBLIC_KEY_BASE64,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MERCHANT_PRIVATE_KEY_BASE64,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
  TEST_MERCHANT_PRIVATE_KEY_PKCS1_PEM,
  TEST_MERCHANT_PUBLIC_KEY_PEM,
  VECTOR_A1,
  VECTOR_A2,
  VECTOR_A4,
  VECTOR_A5,
  VECTORS_B,
} from "./testing/index.ts";

const kalPublicPem = publicKeyPemFromPrivate(KAL_TEST_PRIVATE_KEY_PEM);

describe("public test vectors (reference §2.6 A)", () => {
  it("A1: MD5 of the KAL string as given", () => {
    expect(signContent(VECTOR_A1.content, { signType: "MD5", md5Key: KAL_MD5_KEY })).toBe(VECTOR_A1.md5);
  });

  it("A2: MD5 notification verifies; pre-sign string is sorted and excludes sign/sign_type", () => {
    expect(buildSignContent(VECTOR_A2.params)).toBe(VECTOR_A2.preSign);
    expect(verifyParams(VECTOR_A2.params, { signType: "MD5", md5Key: KAL_MD5_KEY })).toBe(true);
    expect(verifyParams({ ...VECTOR_A2.params, total_fee: "0.11" }, { signType: "MD5", md5Key: KAL_MD5_KEY })).toBe(
      false,
    );
  });

  it("A3: SHA256withRSA with the KAL PKCS#1 key", () => {
    const sig = signContent(VECTOR_A1.content, {
      signType: "RSA2",
      privateKey: KAL_TEST_PRIVATE_KEY_PEM,
    });
    expect(sig).toBe(VECTOR_A1.rsa2);
    expect(
      verifyContent(VECTOR_A1.content, sig, {
        signType: "RSA2",
        publicKey: kalPublicPem,
      }),
    ).toBe(true);
  });

  it("A3: accepts the signature wrapped every 60 chars (Ruby Base64.encode64)", () => {
    const wrapped = (VECTOR_A1.rsa2.match(/.{1,60}/g) ?? []).join("\n") + "\n";
    expect(
      verifyContent(VECTOR_A1.content, wrapped, {
        signType: "RSA2",
        publicKey: kalPublicPem,
      }),
    ).toBe(true);
  });

  it("A4: OpenAPI RSA2 notification passes with the V1 rule only", () => {
    const key = {
      signType: "RSA2",
      publicKey: VECTOR_A4.publicKeyBase64,
    } as const;
    expect(verifyParams(VECTOR_A4.params, key, "v1")).toBe(true);
    expect(verifyParams(VECTOR_A4.params, key, "v2")).toBe(false);
    expect(verifyParams({ ...VECTOR_A4.params, total_amount: "100.00" }, key, "v1")).toBe(false);
  });

  it("A5: OpenAPI sync response verifies over the raw response substring", () => {
    const extracted = extractOpenApiSignedResponse(VECTOR_A5.body, VECTOR_A5.method);
    expect(extracted?.signedContent).toBe(VECTOR_A5.signedContent);
    expect(
      verifyOpenApiResponse(VECTOR_A5.body, VECTOR_A5.method, {
        signType: "RSA2",
        publicKey: VECTOR_A5.publicKeyPem,
      }),
    ).toEqual({
      ok: true,
      responseKey: "alipay_open_file_upload_response",
      signedContent: VECTOR_A5.signedContent,
    });
    const tampered = VECTOR_A5.body.replace("CAxAToWB1Js", "CAxAToWB1Jt");
    expect(
      verifyOpenApiResponse(tampered, VECTOR_A5.method, {
        signType: "RSA2",
        publicKey: VECTOR_A5.publicKeyPem,
      }),
    ).toMatchObject({
      ok: false,
      reason: "bad_sign",
    });
  });
});

describe("signing on the thread pool (signContentAsync)", () => {
  it("gives the public vectors' signatures, byte for byte", async () => {
    expect(await signContentAsync(VECTOR_A1.content, { signType: "MD5", md5Key: KAL_MD5_KEY })).toBe(VECTOR_A1.md5);
    expect(await signContentAsync(VECTOR_A1.content, { signType: "RSA2", privateKey: KAL_TEST_PRIVATE_KEY_PEM })).toBe(
      VECTOR_A1.rsa2,
    );
  });

  it.each(["RSA", "RSA2"] as const)(
    "equals signContent for %s, in UTF-8 and GBK, with a KeyObject",
    async (signType) => {
      const content = "body=门票&out_trade_no=K1&total_fee=45.00";
      const key = { signType, privateKey: createPrivateKey(TEST_MERCHANT_PRIVATE_KEY_PEM) };
      for (const charset of ["utf-8", "gbk"] as const) {
        const signature = await signContentAsync(content, key, charset);
        expect(signature).toBe(signContent(content, key, charset));
        expect(verifyContent(content, signature, { signType, publicKey: TEST_MERCHANT_PUBLIC_KEY_PEM }, charset)).toBe(
          true,
        );
      }
    },
  );

  it("rejects (does not throw) for a key that cannot sign", async () => {
    const pending = signContentAsync("a=1", { signType: "RSA2", privateKey: "not a key" });
    await expect(pending).rejects.toThrow();
  });
});

describe("self-computed MAPI vectors (reference §2.6 B)", () => {
  const md5 = { signType: "MD5", md5Key: KAL_MD5_KEY } as const;

  it("spot.pay request: empty memo dropped, sign_type excluded, extend_info raw", () => {
    expect(buildSignContent(VECTORS_B.spotPayRequest.params)).toBe(VECTORS_B.spotPayRequest.preSign);
    expect(signParams(VECTORS_B.spotPayRequest.params, md5)).toBe(VECTORS_B.spotPayRequest.md5);
  });

  it("spot.pay request with RSA2 and RSA (KAL key)", () => {
    const content = VECTORS_B.spotPayRequest.preSign;
    expect(
      signContent(content, {
        signType: "RSA2",
        privateKey: KAL_TEST_PRIVATE_KEY_PEM,
      }),
    ).toBe(VECTORS_B.spotPayRequest.rsa2);
    expect(
      signContent(content, {
        signType: "RSA",
        privateKey: KAL_TEST_PRIVATE_KEY_PEM,
      }),
    ).toBe(VECTORS_B.spotPayRequest.rsa);
    expect(
      verifyContent(content, VECTORS_B.spotPayRequest.rsa, {
        signType: "RSA",
        publicKey: kalPublicPem,
      }),
    ).toBe(true);
    expect(
      verifyContent(content, VECTORS_B.spotPayRequest.rsa, {
        signType: "RSA2",
        publicKey: kalPublicPem,
      }),
    ).toBe(false);
  });

  it.each([
    ["spotPayResponse", VECTORS_B.spotPayResponse],
    ["queryRequest", VECTORS_B.queryRequest],
    ["queryResponse", VECTORS_B.queryResponse],
    ["cancelRequest", VECTORS_B.cancelRequest],
    ["cancelResponse", VECTORS_B.cancelResponse],
    ["refundRequest", VECTORS_B.refundRequest],
    ["refundResponse", VECTORS_B.refundResponse],
    ["utf8Charset", VECTORS_B.utf8Charset],
  ])("%s MD5 matches", (_name, v) => {
    expect(md5Sign(v.preSign, KAL_MD5_KEY)).toBe(v.md5);
    expect(verifyContent(v.preSign, v.md5.toUpperCase(), md5)).toBe(true);
    expect(verifyContent(v.preSign + "x", v.md5, md5)).toBe(false);
  });

  it("round-trips params through the sign string parser of the query request", () => {
    const params = Object.fromEntries(
      VECTORS_B.queryRequest.preSign.split("&").map((kv) => kv.split("=") as [string, string]),
    );
    expect(
      signParams(
        {
          ...params,
          sign_type: "MD5",
          sign: "zzz",
          empty: "",
          missing: undefined,
          nothing: null,
        },
        md5,
      ),
    ).toBe(VECTORS_B.queryRequest.md5);
  });
});

describe("sign content rules", () => {
  it("sorts by ASCII order (uppercase before lowercase, underscore between)", () => {
    expect(buildSignContent({ b: "1", B: "2", _a: "3", a_: "4", a: "5" })).toBe("B=2&_a=3&a=5&a_=4&b=1");
  });

  it("OpenAPI content keeps sign_type and drops sign and empties", () => {
    expect(
      buildOpenApiSignContent({
        sign: "x",
        sign_type: "RSA2",
        app_id: "1",
        biz_content: "",
        method: "m",
      }),
    ).toBe("app_id=1&method=m&sign_type=RSA2");
  });
});

describe("keys", () => {
  const content = "a=1&b=2";
  const pkcs8Pem = TEST_MERCHANT_PRIVATE_KEY_PEM;
  const pkcs1Pem = TEST_MERCHANT_PRIVATE_KEY_PKCS1_PEM;
  const pkcs1Base64 = pemToBase64(pkcs1Pem);
  const spkiPem = TEST_MERCHANT_PUBLIC_KEY_PEM;
  const pkcs1PublicPem = loadPublicKey(spkiPem).export({ type: "pkcs1", format: "pem" }).toString();

  it.each([
    ["PKCS#8 PEM", pkcs8Pem],
    ["PKCS#1 PEM", pkcs1Pem],
    ["bare PKCS#8 base64", TEST_MERCHANT_PRIVATE_KEY_BASE64],
    ["bare PKCS#1 base64 with line breaks", (pkcs1Base64.match(/.{1,50}/g) ?? []).join("\r\n ")],
  ])("loads a private key from %s and signs identically", (_name, text) => {
    const sig = signContent(content, {
      signType: "RSA2",
      privateKey: loadPrivateKey(text),
    });
    expect(sig).toBe(signContent(content, { signType: "RSA2", privateKey: pkcs8Pem }));
  });

  it.each([
    ["SPKI PEM", spkiPem],
    ["PKCS#1 public PEM", pkcs1PublicPem],
    ["bare SPKI base64", pemToBase64(spkiPem)],
    ["bare PKCS#1 public base64", pemToBase64(pkcs1PublicPem)],
  ])("loads a public key from %s", (_name, text) => {
    const sig = signContent(content, {
      signType: "RSA2",
      privateKey: pkcs8Pem,
    });
    expect(
      verifyContent(content, sig, {
        signType: "RSA2",
        publicKey: loadPublicKey(text),
      }),
    ).toBe(true);
  });

  it("accepts a private KeyObject where a public key is expected (derives the public half)", () => {
    const sig = signContent(content, { signType: "RSA", privateKey: pkcs8Pem });
    expect(
      verifyContent(content, sig, {
        signType: "RSA",
        publicKey: loadPrivateKey(pkcs8Pem),
      }),
    ).toBe(true);
  });

  it.each([
    ["garbage", "not a key!"],
    ["wrong label", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"],
    ["valid base64 but not DER", "AAAAAAAA"],
    ["a public key", spkiPem],
  ])("rejects %s as a private key without echoing it", (_name, text) => {
    expect(() => loadPrivateKey(text)).toThrow(/Cannot load private key/);
    try {
      loadPrivateKey(text);
    } catch (e) {
      expect((e as Error).message).not.toContain(text.slice(0, 20));
    }
  });

  it.each([
    ["garbage", "%%%"],
    ["wrong label", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"],
    ["valid base64 but not DER", "AAAAAAAA"],
  ])("rejects %s as a public key", (_name, text) => {
    expect(() => loadPublicKey(text)).toThrow(/Cannot load public key/);
  });

  it("rejects an EC key", () => {
    const ec = createPrivateKey({ key: generateEcPem(), format: "pem" });
    const der = ec.export({ type: "pkcs8", format: "der" }).toString("base64");
    expect(() => loadPrivateKey(der)).toThrow(/Cannot load private key/);
    const pub = publicKeyPemFromPrivateEc(ec);
    expect(() => loadPublicKey(pub)).toThrow(/Cannot load public key/);
  });

  it("generateRsaKeyPair returns a usable 2048-bit PKCS#8 pair", () => {
    const pair = generateRsaKeyPair();
    expect(pair.privateKeyPem).toContain("BEGIN PRIVATE KEY");
    expect(pair.publicKeyPem).toContain("BEGIN PUBLIC KEY");
    expect(loadPrivateKey(pair.privateKeyPem).asymmetricKeyDetails?.modulusLength).toBe(2048);
    const sig = signContent(content, {
      signType: "RSA2",
      privateKey: pair.privateKeyPem,
    });
    expect(
      verifyContent(content, sig, {
        signType: "RSA2",
        publicKey: pair.publicKeyBase64,
      }),
    ).toBe(true);
  });

  it("exports and re-wraps keys", () => {
    expect(exportPrivateKey(pkcs8Pem, "pkcs1")).toContain("BEGIN RSA PRIVATE KEY");
    const rewrapped = base64ToPem(TEST_GATEWAY_PUBLIC_KEY_BASE64, "PUBLIC KEY");
    expect(loadPublicKey(rewrapped).equals(loadPublicKey(TEST_GATEWAY_PUBLIC_KEY_PEM))).toBe(true);
  });
});

describe("verification edge cases", () => {
  const content = "x=1";
  const pub = {
    signType: "RSA2",
    publicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
  } as const;
  const sig = signContent(content, {
    signType: "RSA2",
    privateKey: TEST_GATEWAY_PRIVATE_KEY_PEM,
  });

  it("restores '+' turned into space by a form decoder", () => {
    const spaced = sig.replace(/\+/g, " ");
    expect(normaliseBase64Signature(spaced)).toBe(sig);
    expect(verifyContent(content, spaced, pub)).toBe(true);
  });

  it.each([
    ["", ""],
    ["non-base64", "@@@@"],
    ["short", "AAAA"],
    [
      "wrong key",
      signContent(content, {
        signType: "RSA2",
        privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
      }),
    ],
  ])("returns false for a %s signature", (_n, s) => {
    expect(verifyContent(content, s, pub)).toBe(false);
  });

  it("MD5 verification rejects a different length", () => {
    expect(verifyContent(content, "abc", { signType: "MD5", md5Key: "k" })).toBe(false);
  });

  it("verifyParams returns false when sign is missing, null or empty", () => {
    const md5 = { signType: "MD5", md5Key: "k" } as const;
    expect(verifyParams({ a: "1" }, md5)).toBe(false);
    expect(verifyParams({ a: "1", sign: null }, md5)).toBe(false);
    expect(verifyParams({ a: "1", sign: "" }, md5)).toBe(false);
  });

  it("verifyParams v2 includes sign_type", () => {
    const key = {
      signType: "RSA2",
      privateKey: TEST_GATEWAY_PRIVATE_KEY_PEM,
    } as const;
    const params = { a: "1", sign_type: "RSA2" };
    const sign = signOpenApiParams(params, key);
    expect(verifyParams({ ...params, sign }, pub, "v2")).toBe(true);
    expect(verifyParams({ ...params, sign }, pub, "v1")).toBe(false);
  });
});

describe("OpenAPI JSON response extraction", () => {
  it("keeps the exact raw text including whitespace, unicode escapes and nested structures", () => {
    const inner =
      '{ "code" : "10000", "msg":"Success","list":[{"a":"}]\\"{"}], "n": 1.50, "t": true, "z": null, "s":"\\u4e2d"}';
    const body = ` {"alipay_trade_pay_response" : ${inner} ,\n "sign":"abc" , "alipay_cert_sn":"sn1"} `;
    const members = extractTopLevelJsonMembers(body);
    expect(members?.get("alipay_trade_pay_response")).toBe(inner);
    expect(extractOpenApiSignedResponse(body, "alipay.trade.pay")).toEqual({
      responseKey: "alipay_trade_pay_response",
      signedContent: inner,
      sign: "abc",
      certSn: "sn1",
    });
  });

  it("falls back to error_response", () => {
    const body = '{"error_response":{"code":"40002","msg":"Invalid Arguments"},"sign":"x"}';
    expect(extractOpenApiSignedResponse(body, "alipay.trade.pay")?.responseKey).toBe("error_response");
  });

  it.each([
    ["not an object", "[1,2]"],
    ["truncated", '{"a":{"b":1}'],
    ["unterminated string", '{"a":"b'],
    ["missing colon", '{"a" 1}'],
    ["trailing garbage", '{"a":1} x'],
    ["bad key", "{1:2}"],
    ["bad separator", '{"a":1 "b":2}'],
    ["empty value", '{"a":,"b":1}'],
    ["unterminated nested string", '{"a":{"b":"c}'],
    ["bad key escape", '{"\\x":1}'],
  ])("returns undefined for %s", (_n, body) => {
    expect(extractTopLevelJsonMembers(body)).toBeUndefined();
  });

  it("handles an empty object and a body without a response key", () => {
    expect(extractTopLevelJsonMembers("{}")?.size).toBe(0);
    expect(extractOpenApiSignedResponse('{"other":1}', "alipay.trade.pay")).toBeUndefined();
    expect(
      verifyOpenApiResponse("nope", "alipay.trade.pay", {
        signType: "MD5",
        md5Key: "k",
      }),
    ).toEqual({ ok: false, reason: "malformed_body" });
  });

  it("ignores a non-string sign", () => {
    expect(
      extractOpenApiSignedResponse('{"alipay_trade_pay_response":{},"sign":5}', "alipay.trade.pay")?.sign,
    ).toBeUndefined();
    expect(
      extractOpenApiSignedResponse('{"alipay_trade_pay_response":{},"sign":5x}', "alipay.trade.pay")?.sign,
    ).toBeUndefined();
  });

  it("signs and verifies a response body; reports a missing sign", () => {
    const key = {
      signType: "RSA2",
      privateKey: TEST_GATEWAY_PRIVATE_KEY_PEM,
    } as const;
    const body = signOpenApiResponseBody(
      openApiResponseKey("alipay.trade.query"),
      { code: "10000", msg: "Success", note: "中文" },
      key,
    );
    expect(
      verifyOpenApiResponse(body, "alipay.trade.query", {
        signType: "RSA2",
        publicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
      }).ok,
    ).toBe(true);
    const unsigned = '{"alipay_trade_query_response":{"code":"10000"}}';
    expect(
      verifyOpenApiResponse(unsigned, "alipay.trade.query", {
        signType: "RSA2",
        publicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
      }),
    ).toEqual({
      ok: false,
      reason: "missing_sign",
      responseKey: "alipay_trade_query_response",
    });
  });
});

function generateEcPem(): string {
  return generateKeyPairSync("ec", {
    namedCurve: "P-256",
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey;
}

function publicKeyPemFromPrivateEc(key: ReturnType<typeof createPrivateKey>): string {
  return createPublicKey(key).export({ type: "spki", format: "pem" }).toString();
}

describe("charsets", () => {
  it("GBK bytes change the MD5 (reference §2.6 B 'charset matters')", () => {
    const content = VECTORS_B.utf8Charset.preSign;
    expect(md5Sign(content, KAL_MD5_KEY, "gbk")).toBe("94d136fb7b567bfdec6b860e72b4f823");
    expect(
      verifyContent(content, "94d136fb7b567bfdec6b860e72b4f823", { signType: "MD5", md5Key: KAL_MD5_KEY }, "gbk"),
    ).toBe(true);
    const rsa = signContent(content, { signType: "RSA2", privateKey: TEST_GATEWAY_PRIVATE_KEY_PEM }, "gbk");
    expect(verifyContent(content, rsa, { signType: "RSA2", publicKey: TEST_GATEWAY_PUBLIC_KEY_PEM }, "gbk")).toBe(true);
    expect(
      verifyContent(content, rsa, {
        signType: "RSA2",
        publicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
      }),
    ).toBe(false);
  });
});
