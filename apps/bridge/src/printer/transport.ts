import type { PrinterKind } from "@kiosk/bridge-protocol";
import { Emitter } from "../util/emitter.ts";

export type TransportEvents = {
  data: Buffer;
  close: { reason: string };
};

/** A byte pipe to an ESC/POS printer (TCP 9100, USB bulk endpoints or a serial port). */
export interface PrinterTransport {
  readonly kind: PrinterKind;
  readonly isOpen: boolean;
  readonly events: Emitter<TransportEvents>;
  open(): Promise<void>;
  write(data: Buffer): Promise<void>;
  close(): Promise<void>;
}

export class TransportError extends Error {
  override readonly name = "TransportError";
}
