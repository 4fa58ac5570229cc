/**
 * Ticket and receipt layouts: a document of already-localised strings in,
 * ESC/POS bytes out. Pure apart from the font registration for raster text.
 *
 * Lines the printer can print from its WPC1252 code page go out as text;
 * any line with a character outside it (CJK, Cyrillic, …) is rasterised and
 * sent as GS v 0, so the output never depends on a printer's built-in fonts.
 */
import type { ReceiptDocument, TicketDocument } from "@kiosk/bridge-protocol";
import ntp from "node-thermal-printer";
import { CUT_FULL, encodeWpc1252, INIT, rasterImage, SELECT_CODE_PAGE_WPC1252 } from "./escpos.ts";
import { rasterizeLine, type Align } from "./text-raster.ts";

export interface PaperProfile {
  /** Printable width in dots (80 mm paper: 576, 58 mm paper: 384). */
  widthDots: number;
  /** Font A characters per line at normal size. */
  columns: number;
  /** QR module size in dots (GS ( k function 167). */
  qrModuleSize: number;
}

export const PAPER_PROFILES = {
  "80mm": { widthDots: 576, columns: 48, qrModuleSize: 6 },
  "58mm": { widthDots: 384, columns: 32, qrModuleSize: 5 },
} as const satisfies Record<string, PaperProfile>;

interface LineStyle {
  align?: Align;
  bold?: boolean;
  size?: 1 | 2;
}

/** Builds bytes with node-thermal-printer (Epson command set) and falls back to raster per line. */
class ReceiptBuilder {
  readonly #printer: InstanceType<typeof ntp.printer>;
  readonly #profile: PaperProfile;

  constructor(profile: PaperProfile) {
    this.#profile = profile;
    this.#printer = new ntp.printer({
      type: ntp.types.EPSON,
      interface: "",
      width: profile.columns,
      breakLine: ntp.breakLine.NONE,
    });
    this.#printer.append(INIT);
    this.#printer.append(SELECT_CODE_PAGE_WPC1252);
  }

  line(text: string, style: LineStyle = {}): this {
    const { align = "left", bold = false, size = 1 } = style;
    if (text.length === 0) {
      this.#printer.newLine();
      return this;
    }
    const encoded = encodeWpc1252(text);
    if (encoded === null) {
      this.#raster({ left: text, align, bold, size });
      return this;
    }
    this.#setAlign(align);
    if (bold) this.#printer.bold(true);
    this.#setSize(size);
    for (const row of wrap(text, Math.floor(this.#profile.columns / size))) {
      this.#printer.append(encodeWpc1252(row) ?? Buffer.alloc(0));
      this.#printer.append("\n");
    }
    this.#setSize(1);
    if (bold) this.#printer.bold(false);
    this.#setAlign("left");
    return this;
  }

  /** Label on the left, value on the right, on one line when it fits. */
  pair(label: string, value: string, style: { bold?: boolean } = {}): this {
    const left = encodeWpc1252(label);
    const right = encodeWpc1252(value);
    const gap = this.#profile.columns - label.length - value.length;
    if (left === null || right === null) {
      this.#raster({ left: label, right: value, align: "left", bold: style.bold ?? false, size: 1 });
      return this;
    }
    if (gap < 1) return this.line(label, style).line(value, { ...style, align: "right" });
    if (style.bold) this.#printer.bold(true);
    this.#printer.append(Buffer.concat([left, Buffer.from(" ".repeat(gap)), right, Buffer.from("\n")]));
    if (style.bold) this.#printer.bold(false);
    return this;
  }

  rule(): this {
    this.#printer.append(`${"-".repeat(this.#profile.columns)}\n`);
    return this;
  }

  qr(payload: string): this {
    this.#printer.alignCenter();
    this.#printer.printQR(payload, { cellSize: this.#profile.qrModuleSize, correction: "M", model: 2 });
    this.#printer.append("\n");
    this.#printer.alignLeft();
    return this;
  }

  finish(): Buffer {
    this.#printer.append(Buffer.from("\n\n\n"));
    this.#printer.append(CUT_FULL);
    return Buffer.from(this.#printer.getBuffer());
  }

  #raster(spec: Parameters<typeof rasterizeLine>[0]): void {
    this.#setAlign("left");
    this.#printer.append(rasterImage(rasterizeLine(spec, this.#profile.widthDots)));
  }

  #setAlign(align: Align): void {
    if (align === "center") this.#printer.alignCenter();
    else if (align === "right") this.#printer.alignRight();
    else this.#printer.alignLeft();
  }

  #setSize(size: 1 | 2): void {
    // GS ! n: width multiplier in the high nibble, height in the low one.
    this.#printer.append(Buffer.from([0x1d, 0x21, size === 2 ? 0x11 : 0x00]));
  }
}

/** Word-wraps `text` to `columns` characters, breaking long words. */
export function wrap(text: string, columns: number): string[] {
  const rows: string[] = [];
  for (const paragraph of text.split("\n")) {
    let current = "";
    for (const word of paragraph.split(" ")) {
      let rest = word;
      while (rest.length > columns) {
        if (current) rows.push(current);
        rows.push(rest.slice(0, columns));
        rest = rest.slice(columns);
        current = "";
      }
      if (!current) current = rest;
      else if (current.length + 1 + rest.length <= columns) current = `${current} ${rest}`;
      else {
        rows.push(current);
        current = rest;
      }
    }
    rows.push(current);
  }
  return rows;
}

export function renderTicket(document: TicketDocument, profile: PaperProfile = PAPER_PROFILES["80mm"]): Buffer {
  const builder = new ReceiptBuilder(profile)
    .line(document.attractionName, { align: "center", bold: true, size: 2 })
    .line(document.ticketTypeLabel, { align: "center", bold: true })
    .line(document.validityText, { align: "center" })
    .line("")
    .qr(document.qrPayload)
    .line("")
    .pair(document.labels.price, document.priceText, { bold: true })
    .rule()
    .pair(document.labels.orderNo, document.orderNo)
    .pair(document.labels.alipayTradeNo, document.alipayTradeNo)
    .pair(document.labels.issuedAt, document.issuedAtText);
  if (document.footerText) builder.rule().line(document.footerText, { align: "center" });
  return builder.finish();
}

export function renderReceipt(document: ReceiptDocument, profile: PaperProfile = PAPER_PROFILES["80mm"]): Buffer {
  const builder = new ReceiptBuilder(profile)
    .line(document.title, { align: "center", bold: true, size: 2 })
    .line(document.attractionName, { align: "center" })
    .rule();
  for (const line of document.lines) {
    const label = line.quantity === undefined ? line.label : `${line.quantity} x ${line.label}`;
    builder.pair(label, line.amountText);
  }
  builder
    .rule()
    .pair(document.totalLabel, document.totalText, { bold: true })
    .line("")
    .pair(document.labels.orderNo, document.orderNo)
    .pair(document.labels.alipayTradeNo, document.alipayTradeNo);
  if (document.walletName) builder.pair(document.labels.wallet ?? "", document.walletName);
  builder.pair(document.labels.issuedAt, document.issuedAtText);
  if (document.footerText) builder.rule().line(document.footerText, { align: "center" });
  return builder.finish();
}

/** A short page that exercises text, raster text and QR, for `selftest`. */
export function renderSelftest(
  input: { bridgeVersion: string; at: string },
  profile: PaperProfile = PAPER_PROFILES["80mm"],
): Buffer {
  return new ReceiptBuilder(profile)
    .line("SELF TEST", { align: "center", bold: true, size: 2 })
    .line(`bridge ${input.bridgeVersion}`, { align: "center" })
    .line(input.at, { align: "center" })
    .rule()
    .line("中文 日本語 한국어 Ünïcödé", { align: "center" })
    .qr("SELFTEST")
    .finish();
}
