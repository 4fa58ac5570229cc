import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BridgeClient, type WebSocketLike } from "./bridge-client.ts";

const devices = {
  scanner: { kind: "virtual", connected: true, armed: false, droppedScans: 0 },
  printer: {
    kind: "virtual",
    connected: true,
    online: true,
    paper: "ok",
    coverOpen: false,
    error: false,
    queuedJobs: 0,
  },
} as const;

class FakeSocket implements WebSocketLike {
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop(code = 1006, reason = "") {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

describe("BridgeClient", () => {
  let sockets: FakeSocket[];
  let client: BridgeClient;

  beforeEach(() => {
    vi.useFakeTimers();
    sockets = [];
    client = new BridgeClient({
      url: "ws://127.0.0.1:7878",
      token: "token-1234567890abcdef",
      createSocket: () => {
        const s = new FakeSocket();
        sockets.push(s);
        return s;
      },
      reconnectDelaysMs: [100, 200],
    });
  });
  afterEach(() => {
    client.stop();
    vi.useRealTimers();
  });

  const connect = () => {
    const s = sockets.at(-1)!;
    s.open();
    s.receive({ type: "hello", bridgeVersion: "1.0.0", protocolVersion: 1, devices });
    return s;
  };

  it("authenticates first, then reports ready with the devices", () => {
    client.start();
    const s = sockets[0]!;
    s.open();
    expect(s.sent[0]).toEqual({ type: "auth", token: "token-1234567890abcdef", protocolVersion: 1 });
    expect(client.getSnapshot().connection).toBe("authenticating");
    s.receive({ type: "hello", bridgeVersion: "1.0.0", protocolVersion: 1, devices });
    expect(client.getSnapshot()).toMatchObject({ connection: "ready", bridgeVersion: "1.0.0", devices });
  });

  it("keeps the time the bridge went down across failed reconnects", () => {
    let now = 1000;
    client.stop();
    client = new BridgeClient({
      url: "ws://x",
      token: "token-1234567890abcdef",
      now: () => now,
      reconnectDelaysMs: [100],
      createSocket: () => {
        const s = new FakeSocket();
        sockets.push(s);
        return s;
      },
    });
    client.start();
    connect();
    now = 2000;
    sockets.at(-1)!.drop();
    const downSince = client.getSnapshot().changedAt;
    expect(downSince).toBe(2000);
    for (let i = 0; i < 3; i++) {
      now += 100;
      vi.advanceTimersByTime(100);
      sockets.at(-1)!.drop();
    }
    expect(client.getSnapshot().changedAt).toBe(downSince);
  });

  it("reconnects with back-off and keeps the close reason", () => {
    client.start();
    connect().drop(4001, "invalid pairing token");
    expect(client.getSnapshot()).toMatchObject({ connection: "closed", lastCloseReason: "invalid pairing token" });
    vi.advanceTimersByTime(99);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    sockets[1]!.drop();
    vi.advanceTimersByTime(200);
    expect(sockets).toHaveLength(3);
  });

  it("resolves commands on ack and rejects them on error", async () => {
    client.start();
    const s = connect();
    const armed = client.armScanner(60_000);
    const arm = s.sent.at(-1)!;
    expect(arm).toMatchObject({ type: "scanner.arm", timeoutMs: 60_000 });
    s.receive({ type: "ack", id: arm.id });
    await expect(armed).resolves.toBeUndefined();
    const disarmed = client.disarmScanner();
    s.receive({ type: "error", id: s.sent.at(-1)!.id, code: "scanner_unavailable", message: "no scanner" });
    await expect(disarmed).rejects.toMatchObject({ code: "scanner_unavailable" });
  });

  it("delivers scans and device status changes", () => {
    client.start();
    const s = connect();
    const scans: string[] = [];
    client.onScan((scan) => scans.push(scan.data));
    s.receive({ type: "scan", data: "281234567890000000", source: "virtual", at: new Date().toISOString() });
    s.receive({ type: "device.status", scanner: devices.scanner, printer: { ...devices.printer, paper: "out" } });
    expect(scans).toEqual(["281234567890000000"]);
    expect(client.getSnapshot().devices?.printer.paper).toBe("out");
  });

  it("ignores malformed messages", () => {
    client.start();
    const s = connect();
    s.onmessage?.({ data: "{not json" });
    s.receive({ type: "scan" });
    expect(client.getSnapshot().connection).toBe("ready");
  });

  it("re-sends a print job without a result after a reconnect, with the same id", async () => {
    client.start();
    const s1 = connect();
    const job = {
      type: "print" as const,
      id: "ticket-t1",
      kind: "receipt" as const,
      locale: "en",
      document: {
        title: "Receipt",
        attractionName: "A",
        lines: [],
        totalLabel: "Total",
        totalText: "SGD 1.00",
        orderNo: "o",
        alipayTradeNo: "",
        issuedAtText: "",
        labels: { orderNo: "Order", alipayTradeNo: "Trade", issuedAt: "Issued" },
      },
    };
    const sent = client.print(job);
    s1.receive({ type: "ack", id: "ticket-t1" });
    await sent;
    s1.drop();
    vi.advanceTimersByTime(100);
    const s2 = connect();
    expect(s2.sent.filter((m) => m.id === "ticket-t1")).toHaveLength(1);
    const results: string[] = [];
    client.onPrintResult((r) => results.push(`${r.id}:${r.status}`));
    s2.receive({ type: "print.result", id: "ticket-t1", status: "printed" });
    s2.drop();
    vi.advanceTimersByTime(100);
    const s3 = connect();
    expect(s3.sent.filter((m) => m.id === "ticket-t1")).toHaveLength(0);
    expect(results).toEqual(["ticket-t1:printed"]);
  });

  it("rejects commands while disconnected", async () => {
    client.start();
    await expect(client.armScanner(1000)).rejects.toMatchObject({ code: "disconnected" });
  });
});
