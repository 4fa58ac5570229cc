/**
 * A streaming ESC/POS parser for the virtual printer. It understands what
 * the bridge (and node-thermal-printer's Epson command set) sends; any other
 * command is skipped and reported, so a test sees unexpected bytes.
 */
import { DLE, ESC, GS, LF } from "../printer/escpos.ts";

export type EscPosCommand =
  | { kind: "text"; bytes: Buffer }
  | { kind: "newline" }
  | { kind: "init" }
  | { kind: "align"; value: 0 | 1 | 2 }
  | { kind: "bold"; on: boolean }
  | { kind: "size"; width: number; height: number }
  | { kind: "code-page"; value: number }
  | { kind: "feed"; lines: number }
  | { kind: "qr-module-size"; value: number }
  | { kind: "qr-setting"; fn: number; value: number }
  | { kind: "qr-store"; data: Buffer }
  | { kind: "qr-print" }
  | { kind: "raster"; widthBytes: number; height: number; data: Buffer }
  | { kind: "cut" }
  | { kind: "realtime-status"; n: number }
  | { kind: "paper-status"; n: number }
  | { kind: "clear-buffers" }
  | { kind: "ignored"; bytes: Buffer };

type Step = { command: EscPosCommand; length: number } | null;

/** Parses one command at `offset`, or returns null when more bytes are needed. */
function parseAt(buffer: Buffer, offset: number): Step {
  const at = (index: number): number | undefined => buffer[offset + index];
  const need = (length: number): boolean => offset + length <= buffer.length;
  const first = at(0);
  if (first === undefined) return null;
  if (first === LF) return { command: { kind: "newline" }, length: 1 };
  if (first === ESC) {
    if (!need(2)) return null;
    const op = at(1);
    if (op === 0x40) return { command: { kind: "init" }, length: 2 };
    if (!need(3)) return null;
    const n = at(2) ?? 0;
    switch (op) {
      case 0x61:
        return { command: { kind: "align", value: (n % 48 > 2 ? 0 : n % 48) as 0 | 1 | 2 }, length: 3 };
      case 0x45:
        return { command: { kind: "bold", on: (n & 1) === 1 }, length: 3 };
      case 0x21:
        return { command: { kind: "size", width: n & 0x20 ? 2 : 1, height: n & 0x10 ? 2 : 1 }, length: 3 };
      case 0x74:
        return { command: { kind: "code-page", value: n }, length: 3 };
      case 0x64:
        return { command: { kind: "feed", lines: n }, length: 3 };
      case 0x70:
        return need(5) ? { command: { kind: "ignored", bytes: buffer.subarray(offset, offset + 5) }, length: 5 } : null;
      default:
        // ESC - n, ESC M n, ESC R n, ESC 3 n, ESC { n, ESC J n …: one parameter byte.
        return { command: { kind: "ignored", bytes: buffer.subarray(offset, offset + 3) }, length: 3 };
    }
  }
  if (first === GS) {
    if (!need(3)) return null;
    const op = at(1);
    const n = at(2) ?? 0;
    switch (op) {
      case 0x21:
        return { command: { kind: "size", width: ((n >> 4) & 0x07) + 1, height: (n & 0x07) + 1 }, length: 3 };
      case 0x42:
        return { command: { kind: "ignored", bytes: buffer.subarray(offset, offset + 3) }, length: 3 };
      case 0x56: {
        // GS V m, or GS V m n for m = 65/66.
        const length = n === 65 || n === 66 ? 4 : 3;
        return need(length) ? { command: { kind: "cut" }, length } : null;
      }
      case 0x72:
        return { command: { kind: "paper-status", n }, length: 3 };
      case 0x28: {
        // GS ( k pL pH cn fn …
        if (!need(5)) return null;
        const size = (at(3) ?? 0) + (at(4) ?? 0) * 256;
        if (!need(5 + size)) return null;
        const body = buffer.subarray(offset + 5, offset + 5 + size);
        const length = 5 + size;
        if (at(2) === 0x6b && body[0] === 0x31) {
          const fn = body[1];
          if (fn === 0x43) return { command: { kind: "qr-module-size", value: body[2] ?? 3 }, length };
          if (fn === 0x50) return { command: { kind: "qr-store", data: Buffer.from(body.subarray(3)) }, length };
          if (fn === 0x51) return { command: { kind: "qr-print" }, length };
          if (fn === 0x41 || fn === 0x45) return { command: { kind: "qr-setting", fn, value: body[2] ?? 0 }, length };
        }
        return { command: { kind: "ignored", bytes: buffer.subarray(offset, offset + length) }, length };
      }
      case 0x76: {
        // GS v 0 m xL xH yL yH d1…dk
        if (!need(8)) return null;
        const widthBytes = (at(4) ?? 0) + (at(5) ?? 0) * 256;
        const height = (at(6) ?? 0) + (at(7) ?? 0) * 256;
        const length = 8 + widthBytes * height;
        if (!need(length)) return null;
        return {
          command: {
            kind: "raster",
            widthBytes,
            height,
            data: Buffer.from(buffer.subarray(offset + 8, offset + length)),
          },
          length,
        };
      }
      case 0x6b: {
        // GS k m …: barcodes; m ≥ 65 carries a length byte.
        if (n >= 65) {
          if (!need(4)) return null;
          const length = 4 + (at(3) ?? 0);
          return need(length)
            ? { command: { kind: "ignored", bytes: buffer.subarray(offset, offset + length) }, length }
            : null;
        }
        const end = buffer.indexOf(0, offset + 3);
        return end === -1
          ? null
          : { command: { kind: "ignored", bytes: buffer.subarray(offset, end + 1) }, length: end + 1 - offset };
      }
      default:
        return { command: { kind: "ignored", bytes: buffer.subarray(offset, offset + 3) }, length: 3 };
    }
  }
  if (first === DLE) {
    if (!need(3)) return null;
    if (at(1) === 0x04) return { command: { kind: "realtime-status", n: at(2) ?? 0 }, length: 3 };
    if (at(1) === 0x14) {
      // DLE DC4 fn …: fn 8 (clear buffers) carries 7 more bytes.
      if ((at(2) ?? 0) === 8) return need(10) ? { command: { kind: "clear-buffers" }, length: 10 } : null;
      return need(5) ? { command: { kind: "ignored", bytes: buffer.subarray(offset, offset + 5) }, length: 5 } : null;
    }
    return { command: { kind: "ignored", bytes: buffer.subarray(offset, offset + 3) }, length: 3 };
  }
  if (first < 0x20 || first === 0x7f)
    return { command: { kind: "ignored", bytes: buffer.subarray(offset, offset + 1) }, length: 1 };
  let end = offset;
  while (end < buffer.length && (buffer[end] ?? 0) >= 0x20 && buffer[end] !== 0x7f) end += 1;
  return { command: { kind: "text", bytes: Buffer.from(buffer.subarray(offset, end)) }, length: end - offset };
}

/** Accumulates bytes across TCP chunks and yields complete commands. */
export class EscPosStreamParser {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): EscPosCommand[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const commands: EscPosCommand[] = [];
    let offset = 0;
    for (;;) {
      const step = parseAt(this.#pending, offset);
      if (!step) break;
      commands.push(step.command);
      offset += step.length;
    }
    this.#pending = this.#pending.subarray(offset);
    return commands;
  }
}

/** Parses a complete byte string (for layout tests). */
export function parseEscPos(bytes: Buffer): EscPosCommand[] {
  return new EscPosStreamParser().push(bytes);
}
