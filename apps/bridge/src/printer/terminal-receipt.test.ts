/**
 * Issue 18: a partner terminal's receipt, as the server gives it (`receipt.document`, built by
 * @kiosk/bridge-protocol's terminalReceiptDocument), printed by the bridge with the same
 * ESC/POS encoder as the kiosk's receipts. The bytes are decoded: text lines, no unknown
 * command, a full cut at the end.
 */
import { terminalReceiptDocument } from "@kiosk/bridge-protocol";
import { describe, expect, it } from "vitest";
import { parseEscPos } from "../virtual/escpos-parser.ts";
import { textLines } from "../../test/escpos-text.ts";
import { renderReceipt } from "./layout.ts";

const facts = {
  merchant: "Skyline Observation Deck",
  storeId: "GIFTSHOP",
  terminalId: "POS-1",
  terminalName: "Gift shop till 1",
  reference: "R-1001",
  subject: "Gift shop: mug",
  currency: "SGD",
  amountText: "12.50 SGD",
  refundedText: "2.00 SGD",
  alipayTransId: "2026030122001400001",
  paidAt: "2026-03-01T02:00:05.000Z",
  buyerLoginId: "159****1234",
  exchangeRate: "5.3210",
};

describe("terminal receipt on the bridge's printer", () => {
  it("prints the receipt's facts as text lines and cuts the paper", () => {
    const bytes = renderReceipt(terminalReceiptDocument(facts));
    const commands = parseEscPos(bytes);
    const lines = textLines(commands);
    const pair = (label: string, value: string) => `${label}${" ".repeat(48 - label.length - value.length)}${value}`;
    expect(lines).toContain("Skyline Observation Deck");
    expect(lines).toContain(pair("Gift shop: mug", "12.50 SGD"));
    expect(lines).toContain(pair("Refunded", "-2.00 SGD"));
    expect(lines).toContain(pair("Rate SGD/CNY", "5.3210"));
    expect(lines).toContain(pair("Buyer", "159****1234"));
    expect(lines).toContain(pair("Store / terminal", "GIFTSHOP / POS-1"));
    expect(lines).toContain(pair("Total", "12.50 SGD"));
    expect(lines).toContain(pair("Alipay trade", "2026030122001400001"));
    expect(lines).toContain(pair("Reference", "R-1001"));
    expect(lines).toContain(pair("Paid", "2026-03-01 02:00:05 UTC"));
    expect(commands.filter((c) => c.kind === "ignored")).toEqual([]);
    expect(commands.at(-1)).toEqual({ kind: "cut" });
  });

  it("names the wallet an Alipay+ buyer paid with (Antom)", () => {
    const lines = textLines(parseEscPos(renderReceipt(terminalReceiptDocument({ ...facts, walletName: "GCash" }))));
    const label = "Paid with";
    expect(lines).toContain(`${label}${" ".repeat(48 - label.length - "GCash".length)}GCash`);
  });

  it("leaves out what Alipay did not return", () => {
    const lines = textLines(
      parseEscPos(
        renderReceipt(
          terminalReceiptDocument({ ...facts, refundedText: null, exchangeRate: null, buyerLoginId: null }),
        ),
      ),
    );
    expect(
      lines.some(
        (l) => l.startsWith("Refunded") || l.startsWith("Rate") || l.startsWith("Buyer") || l.startsWith("Paid with"),
      ),
    ).toBe(false);
  });
});
