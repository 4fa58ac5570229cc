import { describe, expect, it } from "vitest";
import { createLogger, createMemoryLogger, redact } from "./index.ts";

describe("log", () => {
  it("writes the message key once when a field is also called message (kept as messageField)", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "info", sink: (line) => lines.push(line) });
    log.info("procedure refused", { code: "UNAUTHORIZED", message: "Sign in first." });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.match(/"message":/g)).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ message: "procedure refused", messageField: "Sign in first." });
  });

  it("writes one JSON record per line with level, message, bindings and namespaced children", () => {
    const { log, records } = createMemoryLogger("info");
    const child = log.child({ ns: "fleet", kioskId: "k1" }).child({ ns: "heartbeat" });
    child.info("beat", { n: 1 });
    log.debug("dropped");
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ level: "info", message: "beat", ns: "fleet:heartbeat", kioskId: "k1", n: 1 });
    expect(typeof records[0]!.time).toBe("string");
  });

  it("masks keys, tokens, passwords and payment codes wherever they appear", () => {
    const { log, records } = createMemoryLogger();
    log.warn("careful", {
      password: "hunter2",
      md5Key: "760bdzec6y9goq7ctyx96ezkz78287de",
      privateKey: "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----",
      headers: { authorization: "Bearer kak_1234abcd_secretsecretsecret", cookie: "kiosk_session=kst_x" },
      paymentCode: "281234567890120010",
      note: "scanned 281234567890120010 with key kdc_abcdefghijklmnop",
      keyPrefix: "1234abcd",
      idempotencyKey: "order-1",
      error: new Error("token kst_abcdefghijkl leaked"),
    });
    const line = JSON.stringify(records[0]);
    for (const secret of [
      "hunter2",
      "760bdzec",
      "BEGIN PRIVATE",
      "secretsecret",
      "kst_x",
      "281234567890120010",
      "abcdefghijklmnop",
      "kst_abcdefghijkl",
    ])
      expect(line).not.toContain(secret);
    expect(records[0]).toMatchObject({
      password: "[redacted]",
      keyPrefix: "1234abcd",
      idempotencyKey: "order-1",
      note: "scanned 28************0010 with key kdc_[redacted]",
    });
  });

  it("keeps nulls and plain values", () => {
    expect(redact({ token: null, count: 3, when: new Date(0) })).toEqual({
      token: null,
      count: 3,
      when: "1970-01-01T00:00:00.000Z",
    });
  });

  it("masks secrets in the message and in child bindings too, and writes each key once per line", () => {
    const lines: string[] = [];
    const log = createLogger({ level: "info", sink: (line) => lines.push(line), bindings: { ns: "api" } });
    log
      .child({ ns: "pay", token: "kst_abcdefghijkl" })
      .child("poll")
      .info("scanned 281234567890120010 for kak_1234abcd_secretsecretsecret");
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    for (const secret of ["281234567890120010", "secretsecret", "kst_abcdefghijkl"]) expect(line).not.toContain(secret);
    expect(line.match(/"ns":/g)).toHaveLength(1);
    expect(JSON.parse(line)).toMatchObject({ level: "info", ns: "api:pay:poll", token: "[redacted]" });
  });
});
