import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BRIDGE_PROTOCOL_VERSION, parseBridgeMessage, parseClientMessage, type TicketDocument } from "./index.ts";

const ticket: TicketDocument = {
  attractionName: "故宫博物院",
  ticketTypeLabel: "成人票",
  validityText: "2026-12-01",
  qrPayload: "T1.abc.sig",
  priceText: "¥60.00",
  orderNo: "O-1",
  alipayTradeNo: "2026112722001",
  issuedAtText: "2026-11-27 10:00",
  labels: { price: "票价", orderNo: "订单号", alipayTradeNo: "支付宝交易号", issuedAt: "出票时间" },
};

describe("parseClientMessage", () => {
  it("accepts auth with the protocol version", () => {
    const result = parseClientMessage(
      JSON.stringify({ type: "auth", token: "t", protocolVersion: BRIDGE_PROTOCOL_VERSION }),
    );
    expect(result).toEqual({ ok: true, message: { type: "auth", token: "t", protocolVersion: 1 } });
  });

  it("accepts a ticket print job and narrows the document by kind", () => {
    const result = parseClientMessage({
      type: "print",
      id: "job-1",
      kind: "ticket",
      locale: "zh-CN",
      document: ticket,
    });
    expect(result.ok).toBe(true);
    if (result.ok && result.message.type === "print" && result.message.kind === "ticket") {
      expect(result.message.document.qrPayload).toBe("T1.abc.sig");
    }
  });

  it("rejects a receipt document sent as a ticket", () => {
    const result = parseClientMessage({
      type: "print",
      id: "job-1",
      kind: "ticket",
      locale: "en",
      document: { title: "x" },
    });
    expect(result).toMatchObject({ ok: false, code: "malformed_message", id: "job-1" });
  });

  it("reports invalid JSON as malformed", () => {
    expect(parseClientMessage("{nope")).toMatchObject({ ok: false, code: "malformed_message" });
  });

  it("reports an unknown type as unknown_message and keeps the id", () => {
    expect(parseClientMessage({ type: "printer.explode", id: "c-9" })).toMatchObject({
      ok: false,
      code: "unknown_message",
      id: "c-9",
    });
  });

  it("rejects unexpected keys (strict objects)", () => {
    expect(parseClientMessage({ type: "scanner.disarm", id: "d1", extra: true })).toMatchObject({ ok: false });
  });

  it("rejects ids that are unsafe as file names", () => {
    expect(parseClientMessage({ type: "status.get", id: "../../etc/passwd" })).toMatchObject({ ok: false });
  });

  it("rejects a non-ASCII QR payload", () => {
    const result = parseClientMessage({
      type: "print",
      id: "j",
      kind: "ticket",
      locale: "en",
      document: { ...ticket, qrPayload: "票" },
    });
    expect(result.ok).toBe(false);
  });
});

describe("parseBridgeMessage", () => {
  it("accepts device.status and scan", () => {
    const status = {
      type: "device.status",
      scanner: { kind: "hid-pos", connected: true, armed: false, droppedScans: 2 },
      printer: {
        kind: "tcp",
        connected: true,
        online: true,
        paper: "near_end",
        coverOpen: false,
        error: false,
        queuedJobs: 0,
      },
    };
    expect(parseBridgeMessage(status).ok).toBe(true);
    expect(parseBridgeMessage({ type: "scan", data: "X", source: "virtual", at: "2026-11-27T10:00:00.000Z" }).ok).toBe(
      true,
    );
  });

  it("rejects a client message as a bridge message", () => {
    expect(parseBridgeMessage({ type: "auth", token: "t", protocolVersion: 1 })).toMatchObject({
      ok: false,
      code: "unknown_message",
    });
  });
});

describe("browser safety", () => {
  it("imports nothing but zod and page.ts", () => {
    const source = readFileSync(new URL("./index.ts", import.meta.url), "utf-8");
    const imports = [...source.matchAll(/from\s+"([^"]+)"/g)].map((match) => match[1]);
    expect([...new Set(imports)].sort()).toEqual(["./page.ts", "zod"]);
  });

  it("page.ts (what the kiosk page ships) imports nothing at run time, not even zod", () => {
    const source = readFileSync(new URL("./page.ts", import.meta.url), "utf-8");
    const runtimeImports = [...source.matchAll(/^import\s+(?!type\s)[^;]*?from\s+"([^"]+)"/gms)].map(
      (match) => match[1],
    );
    expect(runtimeImports).toEqual([]);
    expect(source).not.toMatch(/from\s+"zod"/);
  });
});
