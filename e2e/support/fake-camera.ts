/**
 * A fake camera for Chromium (`--use-file-for-fake-video-capture`): a Y4M video whose every
 * frame shows `text` as a QR code, the way the Alipay app shows a payment code. This is the
 * hardware edge of camera scanning; the page's decoder reads it like a real camera picture.
 */
import { writeFileSync } from "node:fs";
import QRCode from "qrcode";

const WIDTH = 640;
const HEIGHT = 480;
const FRAMES = 10;
const BLACK = 16;
const WHITE = 235;

export function writeQrVideo(path: string, text: string): void {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: "M" });
  const quiet = 4;
  const scale = Math.floor((HEIGHT - 40) / (modules.size + quiet * 2));
  const side = scale * (modules.size + quiet * 2);
  const left = Math.floor((WIDTH - side) / 2);
  const top = Math.floor((HEIGHT - side) / 2);
  const luma = Buffer.alloc(WIDTH * HEIGHT, WHITE);
  for (let r = 0; r < modules.size; r++) {
    for (let c = 0; c < modules.size; c++) {
      if (!modules.get(r, c)) continue;
      const y0 = top + (r + quiet) * scale;
      const x0 = left + (c + quiet) * scale;
      for (let y = y0; y < y0 + scale; y++) luma.fill(BLACK, y * WIDTH + x0, y * WIDTH + x0 + scale);
    }
  }
  const chroma = Buffer.alloc((WIDTH / 2) * (HEIGHT / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), luma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${WIDTH} H${HEIGHT} F10:1 Ip A1:1 C420jpeg\n`);
  writeFileSync(path, Buffer.concat([header, ...Array.from({ length: FRAMES }, () => frame)]));
}
