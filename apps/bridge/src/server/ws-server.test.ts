import { BRIDGE_CLOSE_CODES } from "@kiosk/bridge-protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Bridge } from "../app.ts";
import { ticketJob } from "../../test/test-documents.ts";
import { startTestBridge, type TestBridge } from "../../test/test-bridge.ts";
import { TestClient } from "../../test/test-client.ts";

const ORIGIN = "https://kiosk.example.com";
const TOKEN = "test-pairing-token-0123456789";

let testBridge: TestBridge;
let bridge: Bridge;
let url: string;
const clients: TestClient[] = [];

beforeEach(async () => {
  testBridge = await startTestBridge({ origin: ORIGIN, token: TOKEN });
  ({ bridge, url } = testBridge);
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await testBridge.stop();
});

function connect(origin: string | null = ORIGIN): TestClient {
  const client = new TestClient(url, origin ?? undefined);
  clients.push(client);
  return client;
}

async function authed(): Promise<TestClient> {
  const client = connect();
  await client.opened();
  client.send({ type: "auth", token: TOKEN, protocolVersion: 1 });
  await client.next("hello");
  return client;
}

describe("connection admission", () => {
  it("closes a connection from an origin that is not allowed", async () => {
    const client = connect("https://evil.example.com");
    expect(await client.closed).toEqual({ code: BRIDGE_CLOSE_CODES.originNotAllowed, reason: "origin not allowed" });
  });

  it("closes a connection without an Origin header", async () => {
    const client = connect(null);
    expect((await client.closed).code).toBe(BRIDGE_CLOSE_CODES.originNotAllowed);
  });

  it("closes when the first message is not auth", async () => {
    const client = connect();
    await client.opened();
    client.send({ type: "status.get", id: "s1" });
    expect(await client.closed).toEqual({
      code: BRIDGE_CLOSE_CODES.unauthorized,
      reason: "first message must be auth",
    });
  });

  it("closes on a wrong pairing token", async () => {
    const client = connect();
    await client.opened();
    client.send({ type: "auth", token: "wrong-token-wrong-token", protocolVersion: 1 });
    expect(await client.closed).toEqual({ code: BRIDGE_CLOSE_CODES.unauthorized, reason: "invalid pairing token" });
  });

  it("closes on another protocol version, naming both", async () => {
    const client = connect();
    await client.opened();
    client.send({ type: "auth", token: TOKEN, protocolVersion: 2 });
    expect(await client.closed).toEqual({
      code: BRIDGE_CLOSE_CODES.unsupportedVersion,
      reason: "protocol version 2 not supported; bridge speaks 1",
    });
  });

  it("greets an authenticated client with hello and device status", async () => {
    const client = connect();
    await client.opened();
    client.send({ type: "auth", token: TOKEN, protocolVersion: 1 });
    const hello = await client.next("hello");
    expect(hello.protocolVersion).toBe(1);
    expect(hello.devices.scanner).toEqual({ kind: "virtual", connected: true, armed: false, droppedScans: 0 });
    expect(hello.devices.printer).toMatchObject({ kind: "virtual", connected: true, online: true, paper: "ok" });
  });

  it("a newer authenticated connection supersedes the older one", async () => {
    const first = await authed();
    await authed();
    expect((await first.closed).code).toBe(BRIDGE_CLOSE_CODES.superseded);
  });
});

describe("message validation", () => {
  it("answers malformed JSON with an error and keeps the connection", async () => {
    const client = await authed();
    client.send("{not json");
    expect(await client.next("error")).toMatchObject({ code: "malformed_message" });
    client.send({ type: "status.get", id: "s2" });
    expect(await client.next("ack")).toEqual({ type: "ack", id: "s2" });
  });

  it("answers an unknown message type with unknown_message and its id", async () => {
    const client = await authed();
    client.send({ type: "printer.format", id: "x1" });
    expect(await client.next("error")).toMatchObject({ code: "unknown_message", id: "x1" });
  });

  it("rejects an invalid print job without queuing anything", async () => {
    const client = await authed();
    client.send({ type: "print", id: "bad-1", kind: "ticket", locale: "en", document: { attractionName: "" } });
    expect(await client.next("error")).toMatchObject({ code: "malformed_message", id: "bad-1" });
    expect(bridge.printService.getJob("bad-1")).toBeUndefined();
  });

  it("refuses a second auth", async () => {
    const client = await authed();
    client.send({ type: "auth", token: TOKEN, protocolVersion: 1 });
    expect(await client.next("error")).toMatchObject({ code: "already_authenticated" });
  });
});

describe("scanner arming", () => {
  it("drops and counts scans while disarmed, delivers them while armed", async () => {
    const client = await authed();
    const scanner = bridge.virtualScanner;
    if (!scanner) throw new Error("virtual scanner expected");

    scanner.feed("EARLY-1");
    const dropped = await client.next("device.status", (status) => status.scanner.droppedScans === 1);
    expect(dropped.scanner.armed).toBe(false);

    client.send({ type: "scanner.arm", id: "arm-1", timeoutMs: 30_000 });
    await client.next("ack", (ack) => ack.id === "arm-1");
    await client.next("device.status", (status) => status.scanner.armed);
    scanner.feed("T1.ticket.sig");
    const scan = await client.next("scan");
    expect(scan).toMatchObject({ data: "T1.ticket.sig", source: "virtual" });

    client.send({ type: "scanner.disarm", id: "dis-1" });
    await client.next("ack", (ack) => ack.id === "dis-1");
    scanner.feed("LATE-1");
    await client.next("device.status", (status) => status.scanner.droppedScans === 2);
    expect(client.received.some((message) => message.type === "scan")).toBe(false);
  });

  it("reports the scanner unplugged and back", async () => {
    const client = await authed();
    bridge.virtualScanner?.setConnected(false);
    await client.next("device.status", (status) => !status.scanner.connected);
    bridge.virtualScanner?.setConnected(true);
    await client.next("device.status", (status) => status.scanner.connected);
  });
});

describe("printing over the socket", () => {
  it("acks a job, reports it printed, and answers a re-sent id without printing again", async () => {
    const client = await authed();
    client.send(ticketJob("ws-job-1"));
    await client.next("ack", (ack) => ack.id === "ws-job-1");
    expect(await client.next("print.result")).toEqual({ type: "print.result", id: "ws-job-1", status: "printed" });
    client.send(ticketJob("ws-job-1"));
    await client.next("ack", (ack) => ack.id === "ws-job-1");
    expect(await client.next("print.result")).toEqual({ type: "print.result", id: "ws-job-1", status: "printed" });
    expect(bridge.virtualPrinter?.jobs).toHaveLength(1);
  });

  it("pushes paper-out status and fails the next job", async () => {
    const client = await authed();
    bridge.virtualPrinter?.setPaper("out");
    client.send({ type: "status.get", id: "st-1" });
    const status = await client.next("device.status", (message) => message.printer.paper === "out");
    expect(status.printer.online).toBe(false);
    client.send(ticketJob("ws-job-2"));
    expect(await client.next("print.result")).toEqual({
      type: "print.result",
      id: "ws-job-2",
      status: "failed",
      reason: "paper_out",
    });
  });

  it("runs a selftest: status then a printed test page", async () => {
    const client = await authed();
    client.send({ type: "selftest", id: "self-1" });
    await client.next("ack", (ack) => ack.id === "self-1");
    expect(await client.next("print.result")).toEqual({ type: "print.result", id: "self-1", status: "printed" });
    expect(bridge.virtualPrinter?.jobs.at(-1)?.text).toContain("SELF TEST");
  });
});

describe("one bridge, several device tokens (BRIDGE_PAIRING_TOKEN is a comma-separated list)", () => {
  const KIOSK_TOKEN = "kbt_kiosk-device-token-0123456789";
  const COUNTER_TOKEN = "kbt_counter-device-token-0123456789";
  let shared: TestBridge;
  beforeEach(async () => {
    shared = await startTestBridge({ origin: ORIGIN, token: `${KIOSK_TOKEN}, ${COUNTER_TOKEN}` });
  });
  afterEach(async () => {
    await shared.stop();
  });

  it("accepts each listed token and nothing else (not the list itself)", async () => {
    for (const token of [KIOSK_TOKEN, COUNTER_TOKEN]) {
      const client = new TestClient(shared.url, ORIGIN);
      clients.push(client);
      await client.opened();
      client.send({ type: "auth", token, protocolVersion: 1 });
      expect((await client.next("hello")).protocolVersion).toBe(1);
    }
    for (const token of [`${KIOSK_TOKEN}, ${COUNTER_TOKEN}`, "kbt_someone-elses-device-token-000"]) {
      const client = new TestClient(shared.url, ORIGIN);
      clients.push(client);
      await client.opened();
      client.send({ type: "auth", token, protocolVersion: 1 });
      expect((await client.closed).reason).toBe("invalid pairing token");
    }
  });
});
