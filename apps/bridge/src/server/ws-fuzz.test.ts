/**
 * Fuzz: the bridge's WebSocket server (virtual devices, port 0) against malformed,
 * unknown, binary and oversized frames, before and after authentication. Every bad
 * frame gets an `error` reply or a close with a reason; no print job is queued or
 * printed and the scanner is never armed by one; a good client is served throughout.
 * Seeded: FUZZ_SEED (printed) reproduces a run; FUZZ_SCALE multiplies the case counts;
 * FUZZ_REPORT (a file) receives one JSON line of counts per property.
 */
import { appendFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { BRIDGE_CLOSE_CODES, parseClientMessage } from "@kiosk/bridge-protocol";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Bridge } from "../app.ts";
import { RECEIPT, ticketJob } from "../../test/test-documents.ts";
import { startTestBridge, type TestBridge } from "../../test/test-bridge.ts";
import { TestClient } from "../../test/test-client.ts";

const SEED = Number(process.env["FUZZ_SEED"] ?? 20_261_127);
const SCALE = Number(process.env["FUZZ_SCALE"] ?? 1);
const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));
// A larger run (npm run proof:fuzz) gets proportionally more time per property.
vi.setConfig({ testTimeout: 60_000 * Math.max(1, SCALE) });
process.stdout.write(`bridge fuzz: seed ${SEED}, scale ${SCALE} (FUZZ_SEED / FUZZ_SCALE to change)\n`);

function report(name: string, cases: number, outcomes: Record<string, number>): void {
  const line = JSON.stringify({ suite: "bridge", name, seed: SEED, cases, outcomes });
  process.stdout.write(`fuzz ${line}\n`);
  const file = process.env["FUZZ_REPORT"];
  if (file) appendFileSync(file, `${line}\n`);
}

const ORIGIN = "https://kiosk.example.com";
const TOKEN = "fuzz-pairing-token-0123456789";
/** The server's limit is 256 KiB; one byte more must be refused. */
const OVERSIZED_BYTES = 256 * 1024 + 1;

const VALID_MESSAGES: readonly Record<string, unknown>[] = [
  ticketJob("job-fuzz-1") as unknown as Record<string, unknown>,
  { type: "print", id: "job-fuzz-2", kind: "receipt", locale: "en", document: RECEIPT },
  { type: "scanner.arm", id: "arm-1", timeoutMs: 60_000 },
  { type: "scanner.disarm", id: "disarm-1" },
  { type: "status.get", id: "status-1" },
  { type: "selftest", id: "selftest-1" },
  { type: "auth", token: TOKEN, protocolVersion: 1 },
];

/** A valid message with one path set to a generated value or removed. */
function editAt(value: unknown, path: readonly number[], replacement: unknown, isDelete: boolean): unknown {
  if (typeof value !== "object" || value === null || path.length === 0) return replacement;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return replacement;
  const [key, child] = entries[path[0]! % entries.length]!;
  const copy: Record<string, unknown> = Array.isArray(value)
    ? ([...value] as unknown as Record<string, unknown>)
    : { ...(value as Record<string, unknown>) };
  if (path.length === 1 && isDelete) delete copy[key];
  else copy[key] = editAt(child, path.slice(1), replacement, isDelete);
  return copy;
}

const nearValid = fc
  .record({
    base: fc.constantFrom(...VALID_MESSAGES),
    path: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
    replacement: fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.string({ maxLength: 600 }),
      fc.constantFrom(-1, 0, 1e9, "", "print", "ticket", null),
    ),
    isDelete: fc.boolean(),
    extraKey: fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: undefined }),
  })
  .map(({ base, path, replacement, isDelete, extraKey }) => {
    const edited = editAt(base, path, replacement, isDelete) as Record<string, unknown>;
    return JSON.stringify(extraKey === undefined ? edited : { ...edited, [extraKey]: 1 });
  });

/** Text frames the protocol must refuse (filtered: a generated frame that happens to be valid is not "bad"). */
const badTextFrame = fc
  .oneof(
    fc.string({ maxLength: 200 }),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc
      .record({ type: fc.string({ maxLength: 20 }), id: fc.option(fc.string({ maxLength: 70 })) })
      .map((v) => JSON.stringify(v)),
    nearValid,
  )
  .filter((frame) => !parseClientMessage(frame).ok);

const badFrame = fc.oneof(
  { weight: 8, arbitrary: badTextFrame.map((text) => ({ kind: "text" as const, text })) },
  {
    weight: 1,
    arbitrary: fc.uint8Array({ minLength: 0, maxLength: 64 }).map((bytes) => ({ kind: "binary" as const, bytes })),
  },
);

let testBridge: TestBridge;
let dir: string;
let bridge: Bridge;
let url: string;

function printJobFiles(): number {
  try {
    return readdirSync(join(dir, "jobs")).length;
  } catch {
    return 0;
  }
}

async function authed(): Promise<TestClient> {
  const client = new TestClient(url, ORIGIN);
  await client.opened();
  client.send({ type: "auth", token: TOKEN, protocolVersion: 1 });
  await client.next("hello");
  return client;
}

/** A good client can still use the bridge: status, arm, and a scan delivered. */
async function assertServes(client: TestClient, round: number): Promise<void> {
  client.send({ type: "status.get", id: `good-status-${round}` });
  await client.next("ack", (m) => m.id === `good-status-${round}`);
  client.send({ type: "scanner.arm", id: `good-arm-${round}`, timeoutMs: 60_000 });
  await client.next("ack", (m) => m.id === `good-arm-${round}`);
  const data = `T1.good-scan-${round}.c2ln`;
  const scan = client.next("scan", (m) => m.data === data);
  bridge.virtualScanner!.feed(data);
  await scan;
  client.send({ type: "scanner.disarm", id: `good-disarm-${round}` });
  await client.next("ack", (m) => m.id === `good-disarm-${round}`);
}

beforeAll(async () => {
  testBridge = await startTestBridge({ origin: ORIGIN, token: TOKEN });
  ({ bridge, dir, url } = testBridge);
});

afterAll(async () => {
  await testBridge?.stop();
});

describe("bridge WebSocket under fuzz", () => {
  it("closes every connection whose first frame is not a valid auth, with a reason, while a good client keeps being served", async () => {
    const good = await authed();
    const outcomes: Record<string, number> = {};
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          badFrame,
          fc.record({
            kind: fc.constant("auth" as const),
            token: fc.oneof(fc.string({ maxLength: 40 }), fc.constant(TOKEN)),
            protocolVersion: fc.oneof(fc.constant(1), fc.integer({ min: 1 })),
          }),
        ),
        async (frame) => {
          const client = new TestClient(url, ORIGIN);
          await client.opened();
          if (frame.kind === "binary") client.socket.send(frame.bytes);
          else if (frame.kind === "text") client.send(frame.text);
          // The right token is only sent with a protocol version the bridge does not speak.
          else
            client.send({
              type: "auth",
              token: frame.token,
              protocolVersion: frame.token === TOKEN && frame.protocolVersion === 1 ? 2 : frame.protocolVersion,
            });
          const closed = await client.closed;
          cases += 1;
          outcomes[String(closed.code)] = (outcomes[String(closed.code)] ?? 0) + 1;
          expect([BRIDGE_CLOSE_CODES.unauthorized, BRIDGE_CLOSE_CODES.unsupportedVersion]).toContain(closed.code);
          expect(closed.reason.length).toBeGreaterThan(0);
          expect(client.received).toEqual([]);
        },
      ),
      { seed: SEED, numRuns: runs(150) },
    );
    await assertServes(good, 0);
    good.close();
    report("unauthenticated first frames", cases, outcomes);
  });

  it("answers every malformed, unknown or binary frame from an authenticated client with an error, and queues, prints and arms nothing", async () => {
    const fuzzer = await authed();
    const printedBefore = bridge.virtualPrinter!.jobs.length;
    const outcomes: Record<string, number> = {};
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(badFrame, async (frame) => {
        const reply = fuzzer.next("error");
        if (frame.kind === "binary") fuzzer.socket.send(frame.bytes);
        else fuzzer.send(frame.text);
        const error = await reply;
        cases += 1;
        outcomes[error.code] = (outcomes[error.code] ?? 0) + 1;
        expect(["malformed_message", "unknown_message", "already_authenticated"]).toContain(error.code);
      }),
      { seed: SEED, numRuns: runs(1500) },
    );
    // Only error replies came back: no ack, print result or device status was provoked.
    expect(fuzzer.received).toEqual([]);
    // A scan now must not reach anyone: no malformed frame armed the scanner.
    bridge.virtualScanner!.feed("T1.fuzz-unarmed.c2ln");
    fuzzer.send({ type: "status.get", id: "after-fuzz" });
    await fuzzer.next("ack", (m) => m.id === "after-fuzz");
    await fuzzer.next("device.status");
    expect(fuzzer.received.filter((m) => m.type === "scan")).toEqual([]);
    await bridge.printService.idle();
    expect(printJobFiles()).toBe(0);
    expect(bridge.virtualPrinter!.jobs.length).toBe(printedBefore);
    fuzzer.close();
    report("authenticated bad frames", cases, outcomes);
  });

  it("closes a connection that sends an oversized frame, and serves the next client", async () => {
    const outcomes: Record<string, number> = {};
    const sizes = [OVERSIZED_BYTES, OVERSIZED_BYTES * 4];
    for (const size of sizes) {
      const client = await authed();
      client.send(
        JSON.stringify({
          type: "print",
          id: "big",
          kind: "ticket",
          locale: "en",
          document: { attractionName: "x".repeat(size) },
        }),
      );
      const closed = await client.closed;
      outcomes[String(closed.code)] = (outcomes[String(closed.code)] ?? 0) + 1;
      expect(closed.code).toBe(1009); // RFC 6455 "message too big"
      const good = await authed();
      await assertServes(good, size);
      good.close();
    }
    expect(printJobFiles()).toBe(0);
    report("oversized frames", sizes.length, outcomes);
  });
});
