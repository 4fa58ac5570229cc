/**
 * Decoding of the DLE EOT real-time status bytes (Epson ESC/POS; most
 * compatible printers follow it). Every answer byte has bit 1 and bit 4 set
 * and bits 0 and 7 clear, which tells a status byte from stray data.
 */
import type { PaperState } from "@kiosk/bridge-protocol";

export interface RawStatus {
  /** DLE EOT 1 */
  printer: number;
  /** DLE EOT 2 */
  offlineCause: number;
  /** DLE EOT 3 */
  errorCause: number;
  /** DLE EOT 4 */
  paperSensor: number;
}

export interface DecodedStatus {
  online: boolean;
  coverOpen: boolean;
  paper: PaperState;
  error: boolean;
}

export function isStatusByte(byte: number): boolean {
  return (byte & 0x93) === 0x12;
}

export function decodeStatus(raw: RawStatus): DecodedStatus {
  const isPaperEnd = (raw.paperSensor & 0x60) !== 0 || (raw.offlineCause & 0x20) !== 0;
  const isNearEnd = (raw.paperSensor & 0x0c) !== 0;
  return {
    // Bit 3 of DLE EOT 1: offline.
    online: (raw.printer & 0x08) === 0,
    // Bit 2 of DLE EOT 2: cover open.
    coverOpen: (raw.offlineCause & 0x04) !== 0,
    paper: isPaperEnd ? "out" : isNearEnd ? "near_end" : "ok",
    // DLE EOT 2 bit 6 (error occurred); DLE EOT 3 bits 3, 5, 6 (cutter, unrecoverable, auto-recoverable).
    error: (raw.offlineCause & 0x40) !== 0 || (raw.errorCause & 0x68) !== 0,
  };
}

/** Builds the status bytes a printer in `state` answers; used by the virtual printer. */
export function encodeStatus(state: DecodedStatus): RawStatus {
  const base = 0x12;
  const isOut = state.paper === "out";
  return {
    printer: base | (state.online && !isOut && !state.coverOpen ? 0 : 0x08),
    offlineCause: base | (state.coverOpen ? 0x04 : 0) | (isOut ? 0x20 : 0) | (state.error ? 0x40 : 0),
    errorCause: base | (state.error ? 0x40 : 0),
    paperSensor: base | (state.paper === "near_end" || isOut ? 0x0c : 0) | (isOut ? 0x60 : 0),
  };
}

/** GS r 1 answer: bits 0–1 near end, bits 2–3 paper end. */
export function encodePaperSensorReply(paper: PaperState): number {
  return (paper === "near_end" || paper === "out" ? 0x03 : 0) | (paper === "out" ? 0x0c : 0);
}

export function decodePaperSensorReply(byte: number): PaperState {
  if ((byte & 0x0c) !== 0) return "out";
  if ((byte & 0x03) !== 0) return "near_end";
  return "ok";
}
