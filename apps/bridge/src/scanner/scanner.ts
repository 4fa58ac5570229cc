import type { ScannerKind } from "@kiosk/bridge-protocol";
import type { Emitter } from "../util/emitter.ts";

export interface ScanEvent {
  data: string;
  source: ScannerKind;
  /** When the bridge decoded the last byte of the scan. */
  at: Date;
}

export type ScannerEvents = {
  scan: ScanEvent;
  connection: { connected: boolean };
};

/**
 * A barcode scanner driver. A device error is an event and a state change
 * (connected → false), never an exception out of the driver.
 */
export interface Scanner {
  readonly kind: ScannerKind;
  readonly isConnected: boolean;
  readonly events: Emitter<ScannerEvents>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
