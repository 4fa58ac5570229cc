/** ESC/POS byte builders shared by the layout renderer, the printer driver and the virtual printer. */
export const ESC = 0x1b;
export const GS = 0x1d;
export const DLE = 0x10;
export const EOT = 0x04;
export const LF = 0x0a;

export const INIT = Buffer.from([ESC, 0x40]);
/** ESC t 16: WPC1252, the code page that covers Western European text. */
export const SELECT_CODE_PAGE_WPC1252 = Buffer.from([ESC, 0x74, 16]);
export const CUT_FULL = Buffer.from([GS, 0x56, 0x00]);
/** GS r 1: paper sensor status. Not real-time: the printer answers after everything before it was processed. */
export const TRANSMIT_PAPER_STATUS = Buffer.from([GS, 0x72, 0x01]);

/** DLE EOT n: real-time status, answered even while the printer is busy or offline. */
export function realtimeStatusRequest(n: 1 | 2 | 3 | 4): Buffer {
  return Buffer.from([DLE, EOT, n]);
}

/** A 1-bit image row-major, MSB first, 1 = black; `widthBytes` bytes per row. */
export interface MonoBitmap {
  widthBytes: number;
  height: number;
  data: Buffer;
}

/** GS v 0 m xL xH yL yH d1…dk: print a raster bit image (normal density). */
export function rasterImage(bitmap: MonoBitmap): Buffer {
  const header = Buffer.from([
    GS,
    0x76,
    0x30,
    0x00,
    bitmap.widthBytes & 0xff,
    (bitmap.widthBytes >> 8) & 0xff,
    bitmap.height & 0xff,
    (bitmap.height >> 8) & 0xff,
  ]);
  return Buffer.concat([header, bitmap.data]);
}

/**
 * Encodes text for the WPC1252 code page, or returns null when a character
 * is not on it (then the line goes out as a raster image).
 */
export function encodeWpc1252(text: string): Buffer | null {
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if ((code >= 0x20 && code < 0x7f) || (code >= 0xa0 && code <= 0xff)) bytes.push(code);
    else if (code === 0x20ac) bytes.push(0x80);
    else return null;
  }
  return Buffer.from(bytes);
}

/** Inverse of encodeWpc1252, for the virtual printer. */
export function decodeWpc1252(bytes: Buffer): string {
  let text = "";
  for (const byte of bytes) text += byte === 0x80 ? "€" : String.fromCharCode(byte);
  return text;
}
