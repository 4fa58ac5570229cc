import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { SignedPayRequest } from "@kiosk/alipay-core";
import { loadOrCreatePayRequestKey, openPayRequest, sealPayRequest, type HeldPayRequest } from "./pay-request-seal.ts";

const CODE = "286674296700000000";
const held: HeldPayRequest = {
  until: 1_772_330_420_000,
  signed: {
    protocol: "mapi",
    partnerTransId: "Kabc01",
    amountMinor: 6400,
    currency: "SGD",
    paymentCodeMasked: "28************0000",
    http: {
      method: "POST",
      url: "http://127.0.0.1:4010/gateway.do?_input_charset=UTF-8",
      headers: { "content-type": "application/x-www-form-urlencoded;charset=UTF-8" },
      body: `buyer_identity_code=${CODE}&sign=x`,
    },
  } satisfies SignedPayRequest,
};
const KEY = Buffer.alloc(32, 1);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("sealed pay requests", () => {
  it("opens what it sealed, for the same payment and key only, and never shows the code", () => {
    const text = sealPayRequest(KEY, "pay_1", held);
    expect(text).not.toContain(CODE);
    expect(text).not.toContain(Buffer.from(CODE).toString("base64").slice(0, 12));
    expect(openPayRequest(KEY, "pay_1", text)).toEqual(held);
    expect(openPayRequest(KEY, "pay_2", text)).toBeNull();
    expect(openPayRequest(Buffer.alloc(32, 2), "pay_1", text)).toBeNull();
    const parts = text.split(".");
    const last = parts[3]!;
    parts[3] = `${last.slice(0, -2)}${last.endsWith("A") ? "B" : "A"}${last.slice(-1)}`;
    expect(openPayRequest(KEY, "pay_1", parts.join("."))).toBeNull();
    for (const junk of ["", "v1", "v2.a.b.c", "v1.a.b.c.d", "{}"])
      expect(openPayRequest(KEY, "pay_1", junk)).toBeNull();
  });

  it("creates the key file once (0600) and reads the same key afterwards; refuses a damaged one", () => {
    const dir = mkdtempSync(join(tmpdir(), "payreq-"));
    dirs.push(dir);
    const path = join(dir, "keys", "pay-request.key");
    const first = loadOrCreatePayRequestKey(path) ?? Buffer.alloc(0);
    expect(first).toHaveLength(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadOrCreatePayRequestKey(path)?.equals(first)).toBe(true);
    expect(readFileSync(path, "utf8").trim()).toBe(first.toString("base64"));
    const bad = join(dir, "bad.key");
    writeFileSync(bad, "c2hvcnQ=\n");
    expect(() => loadOrCreatePayRequestKey(bad)).toThrow(/32-byte/);
  });

  it("answers null (memory only) when the key is missing from a read-only folder", () => {
    // Root ignores directory modes, so as root (CI) take a folder no one may create files in:
    // sysfs answers EACCES to every create, whoever asks.
    if (process.getuid?.() === 0) {
      expect(loadOrCreatePayRequestKey("/sys/pay-request.key")).toBeNull();
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "payreq-ro-"));
    dirs.push(dir);
    chmodSync(dir, 0o500);
    try {
      expect(loadOrCreatePayRequestKey(join(dir, "pay-request.key"))).toBeNull();
    } finally {
      chmodSync(dir, 0o700);
    }
  });
});
