import { describe, expect, it } from "vitest";
import { parseEscPos } from "../virtual/escpos-parser.ts";
import { textLines } from "../../test/escpos-text.ts";
import { PAPER_PROFILES, renderReceipt, renderTicket, wrap } from "./layout.ts";
import { ASCII_TICKET, CJK_TICKET, RECEIPT } from "../../test/test-documents.ts";

describe("ticket layout bytes", () => {
  const bytes = renderTicket(ASCII_TICKET);

  it("starts with ESC @ and selects the WPC1252 code page", () => {
    expect([...bytes.subarray(0, 5)]).toEqual([0x1b, 0x40, 0x1b, 0x74, 16]);
  });

  it("ends with a feed and a full cut (GS V 0)", () => {
    expect([...bytes.subarray(-3)]).toEqual([0x1d, 0x56, 0x00]);
  });

  it("encodes the signed code as an Epson GS ( k QR code, model 2, size 6, level M", () => {
    const payload = Buffer.from(ASCII_TICKET.qrPayload);
    const store = Buffer.concat([
      Buffer.from([0x1d, 0x28, 0x6b, (payload.length + 3) & 0xff, (payload.length + 3) >> 8, 0x31, 0x50, 0x30]),
      payload,
    ]);
    expect(bytes.includes(store)).toBe(true);
    expect(bytes.includes(Buffer.from([0x1d, 0x28, 0x6b, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]))).toBe(true);
    expect(bytes.includes(Buffer.from([0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x43, 0x06]))).toBe(true);
    expect(bytes.includes(Buffer.from([0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x45, 0x31]))).toBe(true);
    expect(bytes.includes(Buffer.from([0x1d, 0x28, 0x6b, 0x03, 0x00, 0x31, 0x51, 0x30]))).toBe(true);
  });

  it("prints the title centred, bold and double size", () => {
    const title = Buffer.from("Palace Museum\n");
    const at = bytes.indexOf(title);
    const before = bytes.subarray(0, at);
    expect(before.includes(Buffer.from([0x1b, 0x61, 0x01]))).toBe(true);
    expect(before.includes(Buffer.from([0x1b, 0x45, 0x01]))).toBe(true);
    expect([...before.subarray(-3)]).toEqual([0x1d, 0x21, 0x11]);
  });

  it("lays out label/value pairs across the 48 columns and uses no raster for ASCII", () => {
    const commands = parseEscPos(bytes);
    const lines = textLines(commands);
    expect(lines).toContain(`Order${" ".repeat(48 - 5 - 15)}O-20261127-0001`);
    expect(lines).toContain(`Alipay${" ".repeat(48 - 6 - 19)}2026112722001400001`);
    expect(lines.every((line) => line.length <= 48)).toBe(true);
    expect(commands.some((command) => command.kind === "raster")).toBe(false);
    expect(commands.filter((command) => command.kind === "ignored")).toEqual([]);
  });

  it("is deterministic", () => {
    expect(renderTicket(ASCII_TICKET).equals(bytes)).toBe(true);
  });

  it("keeps Latin-1 text on the code page (é → 0xE9)", () => {
    const french = renderTicket({ ...ASCII_TICKET, attractionName: "Musée du Louvre" });
    expect(french.includes(Buffer.from([0x4d, 0x75, 0x73, 0xe9, 0x65]))).toBe(true);
    expect(parseEscPos(french).some((command) => command.kind === "raster")).toBe(false);
  });
});

describe("CJK raster path", () => {
  it("renders Chinese, Japanese and Korean lines as GS v 0 raster images with ink", () => {
    const commands = parseEscPos(renderTicket(CJK_TICKET));
    const rasters = commands.filter((command) => command.kind === "raster");
    // Title, type, validity, price pair, order pair, alipay pair, issued pair, footer.
    expect(rasters.length).toBe(8);
    for (const raster of rasters) {
      expect(raster.widthBytes).toBe(72);
      expect(raster.data.length).toBe(raster.widthBytes * raster.height);
      expect(raster.data.some((byte) => byte !== 0)).toBe(true);
    }
    // ASCII-only values still go out as text where the whole line is ASCII.
    expect(commands.filter((command) => command.kind === "ignored")).toEqual([]);
  });

  it("uses the 58 mm width when asked", () => {
    const rasters = parseEscPos(renderTicket(CJK_TICKET, PAPER_PROFILES["58mm"])).filter(
      (command) => command.kind === "raster",
    );
    expect(rasters.every((raster) => raster.widthBytes === 48)).toBe(true);
  });
});

describe("receipt layout", () => {
  it("lists lines with quantities and a bold total", () => {
    const lines = textLines(parseEscPos(renderReceipt(RECEIPT)));
    expect(lines).toContain(`2 x Adult${" ".repeat(48 - 9 - 6)}120.00`);
    expect(lines).toContain(`Total${" ".repeat(48 - 5 - 10)}CNY 150.00`);
  });

  it("prints the wallet the buyer paid with when the receipt names one", () => {
    const withWallet = { ...RECEIPT, walletName: "GCash", labels: { ...RECEIPT.labels, wallet: "Paid with" } };
    const lines = textLines(parseEscPos(renderReceipt(withWallet)));
    expect(lines).toContain(`Paid with${" ".repeat(48 - 9 - 5)}GCash`);
    expect(textLines(parseEscPos(renderReceipt(RECEIPT))).some((l) => l.startsWith("Paid with"))).toBe(false);
  });
});

describe("wrap", () => {
  it("wraps on words and splits words longer than a line", () => {
    expect(wrap("aaa bbb ccc", 7)).toEqual(["aaa bbb", "ccc"]);
    expect(wrap("abcdefghij", 4)).toEqual(["abcd", "efgh", "ij"]);
  });
});
