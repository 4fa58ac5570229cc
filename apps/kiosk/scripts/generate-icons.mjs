// Renders the kiosk's PWA icons (public/icons/*.png) from the same shapes as icon.svg,
// with no image library: a per-pixel rasteriser (4× supersampled) and a PNG encoder on zlib.
// usage: node apps/kiosk/scripts/generate-icons.mjs
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";

const out = join(import.meta.dirname, "../public/icons");
const BLUE = [0x0b, 0x3d, 0x91];
const YELLOW = [0xff, 0xd5, 0x4a];

/** Colour at (x, y) in 512-unit icon space, or null for transparent. `inset` shrinks the art for maskable icons. */
function shade(x, y, { isMaskable }) {
  const inRounded = (px, py, x0, y0, x1, y1, r) => {
    const cx = Math.min(Math.max(px, x0 + r), x1 - r);
    const cy = Math.min(Math.max(py, y0 + r), y1 - r);
    return px >= x0 && px <= x1 && py >= y0 && py <= y1 && (px - cx) ** 2 + (py - cy) ** 2 <= r * r;
  };
  if (!isMaskable && !inRounded(x, y, 0, 0, 512, 512, 96)) return null;
  // Maskable icons keep the art inside the 80% safe zone.
  const s = isMaskable ? 0.72 : 1;
  const u = (x - 256) / s + 256;
  const v = (y - 256) / s + 256;
  const inTicket =
    u >= 96 &&
    u <= 416 &&
    v >= 156 &&
    v <= 356 &&
    (u - 96) ** 2 + (v - 256) ** 2 > 36 ** 2 &&
    (u - 416) ** 2 + (v - 256) ** 2 > 36 ** 2;
  if (!inTicket) return BLUE;
  const inPerforation = Math.abs(u - 320) <= 6 && v >= 168 && v <= 344 && (v - 168) % 34 < 18;
  const inLine = (y0, x1) =>
    v >= y0 - 11 &&
    v <= y0 + 11 &&
    u >= 150 - 11 &&
    u <= x1 + 11 &&
    ((u >= 150 && u <= x1) || (u - (u < 150 ? 150 : x1)) ** 2 + (v - y0) ** 2 <= 121);
  return inPerforation || inLine(236, 270) || inLine(282, 230) ? BLUE : YELLOW;
}

function render(size, opts) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  const ss = 4;
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      let r = 0,
        g = 0,
        b = 0,
        a = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const c = shade(((x + (sx + 0.5) / ss) / size) * 512, ((y + (sy + 0.5) / ss) / size) * 512, opts);
          if (c) {
            r += c[0];
            g += c[1];
            b += c[2];
            a += 1;
          }
        }
      }
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = a ? Math.round(r / a) : 0;
      raw[o + 1] = a ? Math.round(g / a) : 0;
      raw[o + 2] = a ? Math.round(b / a) : 0;
      raw[o + 3] = Math.round((a / (ss * ss)) * 255);
    }
  }
  return png(size, size, raw);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(w, h, raw) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

writeFileSync(join(out, "icon-192.png"), render(192, { isMaskable: false }));
writeFileSync(join(out, "icon-512.png"), render(512, { isMaskable: false }));
writeFileSync(join(out, "icon-maskable-512.png"), render(512, { isMaskable: true }));
process.stdout.write("wrote icon-192.png, icon-512.png, icon-maskable-512.png\n");
