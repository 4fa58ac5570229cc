import { createPrivateKey, createPublicKey } from "node:crypto";
import { loadPrivateKey, loadPublicKey, signContent, verifyContent } from "@kiosk/alipay-core";
import { describe, expect, it } from "vitest";
import {
  fingerprint,
  generateKeyPair,
  inspectKey,
  isMatchingPair,
  KeyFormatError,
  normalisePrivateKey,
  normalisePublicKey,
  publicKeyForPortal,
  readPublicKey,
} from "./keys.ts";

const pair = generateKeyPair();
const other = generateKeyPair();
const body = (pem: string) => pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
const pkcs1 = createPrivateKey(pair.privateKeyPem).export({ type: "pkcs1", format: "pem" }).toString();
const pkcs1Public = createPublicKey(pair.privateKeyPem).export({ type: "pkcs1", format: "pem" }).toString();

describe("generateKeyPair", () => {
  it("makes a 2048-bit PKCS#8 private key and a one-line SPKI base64 public key that alipay-core signs and verifies with", () => {
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(pair.publicKeyForPortal).toMatch(/^MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA[A-Za-z0-9+/]+={0,2}$/);
    expect(pair.publicKeyForPortal).not.toMatch(/\s/);
    expect(inspectKey(pair.privateKeyPem)).toMatchObject({
      kind: "private",
      encoding: "pkcs8_private",
      container: "pem",
      modulusBits: 2048,
      issues: [],
    });
    const sign = signContent("a=1&b=2", { signType: "RSA2", privateKey: loadPrivateKey(pair.privateKeyPem) });
    expect(
      verifyContent("a=1&b=2", sign, { signType: "RSA2", publicKey: loadPublicKey(pair.publicKeyForPortal) }),
    ).toBe(true);
  });

  it("gives both halves of a pair the same fingerprint, and different pairs different ones", () => {
    expect(fingerprint(pair.privateKeyPem)).toBe(pair.fingerprint);
    expect(fingerprint(pair.publicKeyForPortal)).toBe(pair.fingerprint);
    expect(fingerprint(pkcs1)).toBe(pair.fingerprint);
    expect(other.fingerprint).not.toBe(pair.fingerprint);
    expect(pair.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

describe("inspectKey", () => {
  it.each([
    ["PKCS#8 PEM", pair.privateKeyPem, "pkcs8_private", "pem", []],
    ["PKCS#8 bare base64", body(pair.privateKeyPem), "pkcs8_private", "base64", []],
    ["PKCS#1 PEM", pkcs1, "pkcs1_private", "pem", ["pkcs1_private"]],
    ["PKCS#1 bare base64", body(pkcs1), "pkcs1_private", "base64", ["pkcs1_private"]],
    [
      "PKCS#1 wrapped as PRIVATE KEY (what the server does to bare base64)",
      `-----BEGIN PRIVATE KEY-----\n${body(pkcs1)}\n-----END PRIVATE KEY-----`,
      "pkcs1_private",
      "pem",
      ["label_mismatch", "pkcs1_private"],
    ],
    ["SPKI PEM", pair.publicKeyPem, "spki_public", "pem", []],
    ["SPKI base64 (portal)", pair.publicKeyForPortal, "spki_public", "base64", []],
    ["PKCS#1 public PEM", pkcs1Public, "pkcs1_public", "pem", ["pkcs1_public"]],
    ["PEM flattened to one line", pair.privateKeyPem.replace(/\n/g, " "), "pkcs8_private", "pem", ["single_line_pem"]],
    ["PEM with literal \\n", pair.privateKeyPem.replace(/\n/g, "\\n"), "pkcs8_private", "pem", ["literal_backslash_n"]],
    [
      "quoted PEM with CRLF",
      `"${pair.privateKeyPem.replace(/\n/g, "\r\n")}"`,
      "pkcs8_private",
      "pem",
      ["quoted", "crlf"],
    ],
    [
      "base64 wrapped at 64 columns",
      body(pair.publicKeyPem).replace(/(.{64})/g, "$1\n"),
      "spki_public",
      "base64",
      ["whitespace_in_base64"],
    ],
  ] as const)("%s", (_name, text, encoding, container, codes) => {
    const i = inspectKey(text);
    expect(i.encoding).toBe(encoding);
    expect(i.container).toBe(container);
    expect(i.issues.map((x) => x.code)).toEqual(codes);
    expect(i.issues.every((x) => x.severity !== "fatal")).toBe(true);
  });

  it.each([
    ["empty", "  ", "empty"],
    ["not base64", "this is not a key!", "not_base64"],
    ["truncated", body(pair.privateKeyPem).slice(0, 200), "not_a_key"],
    ["broken PEM footer", pair.privateKeyPem.replace("-----END PRIVATE KEY-----", "-----END PRIV"), "not_a_key"],
  ])("%s is fatal", (_name, text, code) => {
    const i = inspectKey(text);
    expect(i.key).toBeUndefined();
    expect(i.issues.map((x) => x.code)).toContain(code);
    expect(i.issues.find((x) => x.code === code)?.severity).toBe("fatal");
  });

  it("never puts key text into messages or errors", () => {
    const texts = [pkcs1, body(pkcs1), pair.privateKeyPem.slice(0, 500)];
    for (const t of texts) {
      for (const issue of inspectKey(t).issues) expect(issue.message).not.toContain(body(pkcs1).slice(30, 60));
    }
    try {
      readPublicKey(pair.privateKeyPem);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(KeyFormatError);
      expect((e as Error).message).not.toContain(body(pair.privateKeyPem).slice(30, 60));
    }
  });
});

describe("normalising", () => {
  it("turns PKCS#1 and mangled text into the canonical PKCS#8 / SPKI PEM", () => {
    expect(normalisePrivateKey(pkcs1)).toBe(pair.privateKeyPem);
    expect(normalisePrivateKey(pair.privateKeyPem.replace(/\n/g, "\\n"))).toBe(pair.privateKeyPem);
    expect(normalisePublicKey(pkcs1Public)).toBe(pair.publicKeyPem);
    expect(publicKeyForPortal(pkcs1)).toBe(pair.publicKeyForPortal);
  });

  it("detects matching and mismatched pairs", () => {
    const priv = createPrivateKey(pair.privateKeyPem);
    expect(isMatchingPair(priv, createPublicKey(pair.publicKeyPem))).toBe(true);
    expect(isMatchingPair(priv, createPublicKey(other.publicKeyPem))).toBe(false);
  });
});
