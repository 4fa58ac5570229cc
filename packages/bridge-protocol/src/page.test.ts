/**
 * The page's zod-free parser must accept exactly what the zod schema accepts: every kind of
 * bridge message, and thousands of variants damaged one field at a time.
 */
import { describe, expect, it } from "vitest";
import { parseBridgeMessage as parseWithZod } from "./index.ts";
import { parseBridgeMessage } from "./page.ts";

const scanner = { kind: "virtual", connected: true, armed: false, droppedScans: 0 };
const printer = {
  kind: "tcp",
  connected: true,
  online: true,
  paper: "near_end",
  coverOpen: false,
  error: false,
  queuedJobs: 2,
};
const VALID: Record<string, unknown>[] = [
  { type: "hello", bridgeVersion: "1.2.3", protocolVersion: 1, devices: { scanner, printer } },
  { type: "ack", id: "arm-1" },
  { type: "error", code: "printer_unavailable", message: "no printer" },
  { type: "error", id: "job:7", code: "malformed_message", message: "" },
  { type: "scan", data: "281234567800000000", source: "hid-pos", at: "2026-11-27T10:00:00.000Z" },
  { type: "scan", data: "", source: "virtual", at: "2024-02-29T23:59:59Z" },
  { type: "device.status", scanner, printer },
  { type: "print.result", id: "ticket-tkt_1", status: "printed" },
  { type: "print.result", id: "receipt-ord_1", status: "failed", reason: "paper_out" },
];

/** Values of every JSON kind, including near-misses of the valid ones. */
const PALETTE: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1,
  2,
  1.5,
  2 ** 53,
  -0.5,
  "",
  "x",
  "virtual",
  "usb",
  "ok",
  "out",
  "printed",
  "failed",
  "hello",
  "scan",
  "internal_error",
  "nope",
  "a".repeat(101),
  "-bad",
  "job 1",
  "ok.id:1-2_3",
  "2026-11-27T10:00:00Z",
  "2026-11-27T10:00Z",
  "2026-02-30T10:00:00Z",
  "2026-11-27T24:00:00Z",
  "2026-11-27T10:00:00+01:00",
  "2026-11-27 10:00:00Z",
  [],
  [1],
  {},
  { ...scanner },
  { ...printer },
  { scanner, printer },
  { ...scanner, extra: 1 },
  { ...printer, queuedJobs: -1 },
];

function* variants(message: Record<string, unknown>, depth = 0): Generator<unknown> {
  yield message;
  for (const key of Object.keys(message)) {
    const { [key]: _removed, ...without } = message;
    yield without;
    for (const value of PALETTE) yield { ...message, [key]: value };
    const inner = message[key];
    if (depth < 2 && typeof inner === "object" && inner !== null && !Array.isArray(inner)) {
      for (const v of variants(inner as Record<string, unknown>, depth + 1)) yield { ...message, [key]: v };
    }
  }
  yield { ...message, extra: "x" };
  yield { ...message, id: "ok-id" };
  yield { ...message, id: undefined };
  yield { ...message, reason: undefined };
}

describe("page.ts parseBridgeMessage", () => {
  it("accepts every valid bridge message", () => {
    for (const m of VALID) expect(parseBridgeMessage(m)).toEqual({ ok: true, message: m });
  });

  it("agrees with the zod schema on every damaged variant (ok, code and id)", () => {
    let tried = 0;
    let rejected = 0;
    for (const m of VALID) {
      for (const v of variants(m)) {
        const a = parseWithZod(v);
        const b = parseBridgeMessage(v);
        const sum = (r: typeof a) => (r.ok ? { ok: true } : { ok: false, code: r.code, id: r.id });
        expect({ v, result: sum(b) }).toEqual({ v, result: sum(a) });
        const json = JSON.stringify(v);
        if (json !== undefined)
          expect({ json, result: sum(parseBridgeMessage(json)) }).toEqual({ json, result: sum(parseWithZod(json)) });
        tried += 1;
        if (!a.ok) rejected += 1;
      }
    }
    expect(tried).toBeGreaterThan(2_000);
    expect(rejected).toBeGreaterThan(1_000);
  });

  it("rejects what is not a message the way the schema parser does", () => {
    for (const raw of [
      "{",
      "[]",
      "null",
      "42",
      '"x"',
      '{"type":1}',
      '{"type":"auth","token":"t","protocolVersion":1}',
      '{"type":"__proto__"}',
      '{"type":"toString","id":"a"}',
    ]) {
      const a = parseWithZod(raw);
      const b = parseBridgeMessage(raw);
      expect({ raw, ok: b.ok, code: b.ok ? null : b.code }).toEqual({ raw, ok: a.ok, code: a.ok ? null : a.code });
    }
  });
});
