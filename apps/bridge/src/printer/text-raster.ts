/**
 * Text to 1-bit raster, for lines the printer's code page cannot print
 * (Chinese, Japanese, Korean and anything else outside WPC1252).
 *
 * Glyphs come from GNU Unifont (UnifontEX via @fontsource/unifontex, which
 * covers the whole Basic Multilingual Plane, Hangul included) drawn by Skia
 * through @napi-rs/canvas; both install from npm with no download step.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createCanvas, GlobalFonts, type SKRSContext2D } from "@napi-rs/canvas";
import type { MonoBitmap } from "./escpos.ts";

export const RASTER_FONT_FAMILY = "KioskUnifont";
/** Height of one text line in dots at size 1 (Font A is 24 dots high). */
export const RASTER_LINE_HEIGHT_DOTS = 24;

let isFontRegistered = false;

export function ensureRasterFont(): void {
  if (isFontRegistered) return;
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve("@fontsource/unifontex/LICENSE"));
  const fontPath = join(root, "files", "unifontex-latin-400-normal.woff");
  GlobalFonts.registerFromPath(fontPath, RASTER_FONT_FAMILY);
  isFontRegistered = true;
}

export type Align = "left" | "center" | "right";

export interface RasterLineSpec {
  left: string;
  /** Right-aligned part on the same line (label/value pairs). */
  right?: string;
  align: Align;
  bold: boolean;
  /** 1 = normal, 2 = double height and width. */
  size: 1 | 2;
}

function splitToWidth(ctx: SKRSContext2D, text: string, maxWidth: number): string[] {
  const lines: string[] = [];
  let current = "";
  for (const char of text) {
    const candidate = current + char;
    if (current.length > 0 && ctx.measureText(candidate).width > maxWidth) {
      // Break Latin text at the last space when there is one; CJK breaks anywhere.
      const space = current.lastIndexOf(" ");
      if (space > 0 && /[A-Za-z0-9]/.test(char)) {
        lines.push(current.slice(0, space));
        current = current.slice(space + 1) + char;
      } else {
        lines.push(current);
        current = char === " " ? "" : char;
      }
    } else {
      current = candidate;
    }
  }
  if (current.length > 0 || lines.length === 0) lines.push(current);
  return lines;
}

/** Renders one logical line (wrapping as needed) to a 1-bit bitmap `widthDots` wide. */
export function rasterizeLine(spec: RasterLineSpec, widthDots: number): MonoBitmap {
  ensureRasterFont();
  const fontPx = RASTER_LINE_HEIGHT_DOTS * spec.size;
  const lineHeight = fontPx + 4 * spec.size;
  const measure = createCanvas(8, 8).getContext("2d");
  measure.font = `${fontPx}px ${RASTER_FONT_FAMILY}`;
  const rightWidth = spec.right ? measure.measureText(spec.right).width : 0;
  const rows = splitToWidth(
    measure,
    spec.left,
    spec.right ? Math.max(widthDots - rightWidth - fontPx, fontPx) : widthDots,
  );
  const height = rows.length * lineHeight;
  const canvas = createCanvas(widthDots, height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, widthDots, height);
  ctx.fillStyle = "#000";
  ctx.font = `${fontPx}px ${RASTER_FONT_FAMILY}`;
  ctx.textBaseline = "top";
  rows.forEach((row, index) => {
    const y = index * lineHeight + 2 * spec.size;
    const width = ctx.measureText(row).width;
    const x = spec.align === "center" ? (widthDots - width) / 2 : spec.align === "right" ? widthDots - width : 0;
    ctx.fillText(row, Math.max(0, Math.floor(x)), y);
    // Unifont has no bold face; a one-dot offset overstrike is what printers do too.
    if (spec.bold) ctx.fillText(row, Math.max(0, Math.floor(x)) + 1, y);
    if (spec.right && index === 0) {
      ctx.fillText(spec.right, widthDots - rightWidth, y);
      if (spec.bold) ctx.fillText(spec.right, widthDots - rightWidth + 1, y);
    }
  });
  return toMonoBitmap(ctx.getImageData(0, 0, widthDots, height).data, widthDots, height);
}

export function toMonoBitmap(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): MonoBitmap {
  const widthBytes = Math.ceil(width / 8);
  const data = Buffer.alloc(widthBytes * height);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const index = (y * width + x) * 4;
      const luminance =
        0.2126 * (rgba[index] ?? 255) + 0.7152 * (rgba[index + 1] ?? 255) + 0.0722 * (rgba[index + 2] ?? 255);
      if (luminance < 128) {
        const byteIndex = y * widthBytes + (x >> 3);
        data[byteIndex] = (data[byteIndex] ?? 0) | (0x80 >> (x & 7));
      }
    }
  }
  return { widthBytes, height, data };
}
