/** Draws what the virtual printer printed as a PNG, the way the paper would look. */
import { createCanvas } from "@napi-rs/canvas";
import QRCode from "qrcode";
import { ensureRasterFont, RASTER_FONT_FAMILY } from "../printer/text-raster.ts";

export type JobBlock =
  | { kind: "text"; text: string; align: 0 | 1 | 2; bold: boolean; size: number }
  | { kind: "qr"; data: string; moduleSize: number; align: 0 | 1 | 2 }
  | { kind: "raster"; widthBytes: number; height: number; data: Buffer };

const LINE_DOTS = 30;

function blockHeight(block: JobBlock): number {
  if (block.kind === "text") return LINE_DOTS * block.size;
  if (block.kind === "raster") return block.height;
  const modules = QRCode.create(block.data, { errorCorrectionLevel: "M" }).modules.size + 8;
  return modules * block.moduleSize;
}

export function renderJobPng(blocks: JobBlock[], widthDots: number): Buffer {
  ensureRasterFont();
  const margin = 16;
  const height = Math.max(
    margin * 2,
    blocks.reduce((sum, block) => sum + blockHeight(block), margin * 2),
  );
  const canvas = createCanvas(widthDots, height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, widthDots, height);
  ctx.fillStyle = "#000";
  ctx.textBaseline = "top";
  let y = margin;
  for (const block of blocks) {
    if (block.kind === "text") {
      ctx.font = `${24 * block.size}px ${RASTER_FONT_FAMILY}`;
      const width = ctx.measureText(block.text).width;
      const x = block.align === 1 ? (widthDots - width) / 2 : block.align === 2 ? widthDots - width : 0;
      ctx.fillText(block.text, x, y);
      if (block.bold) ctx.fillText(block.text, x + 1, y);
    } else if (block.kind === "raster") {
      const image = ctx.createImageData(block.widthBytes * 8, block.height);
      for (let row = 0; row < block.height; row += 1) {
        for (let col = 0; col < block.widthBytes * 8; col += 1) {
          const isInk = ((block.data[row * block.widthBytes + (col >> 3)] ?? 0) & (0x80 >> (col & 7))) !== 0;
          const index = (row * block.widthBytes * 8 + col) * 4;
          const value = isInk ? 0 : 255;
          image.data[index] = value;
          image.data[index + 1] = value;
          image.data[index + 2] = value;
          image.data[index + 3] = 255;
        }
      }
      ctx.putImageData(image, 0, y);
    } else {
      const qr = QRCode.create(block.data, { errorCorrectionLevel: "M" });
      const size = qr.modules.size;
      const total = (size + 8) * block.moduleSize;
      const left = block.align === 1 ? (widthDots - total) / 2 : block.align === 2 ? widthDots - total : 0;
      for (let row = 0; row < size; row += 1) {
        for (let col = 0; col < size; col += 1) {
          if (qr.modules.get(row, col)) {
            ctx.fillRect(
              left + (col + 4) * block.moduleSize,
              y + (row + 4) * block.moduleSize,
              block.moduleSize,
              block.moduleSize,
            );
          }
        }
      }
    }
    y += blockHeight(block);
  }
  return canvas.toBuffer("image/png");
}
