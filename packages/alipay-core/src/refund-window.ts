/**
 * When a refund may be sent. Alipay does not execute synchronous refunds during a nightly
 * window (00:00–01:30 Beijing time, UTC+8, per Antom's barcode refund documentation as the
 * issue cites it [?: not found in the stored docs; the verified neighbours are the 00:00 cancel
 * cut-off with its 15-minute buffer and the 23:00–05:00 processing of next-day asynchronous
 * refunds]). A refund due inside the window is held until it ends, plus a deterministic jitter
 * so a night's held refunds do not all fire at once. Pure: no clock, no randomness.
 */
import { z } from "zod";
import { unitHash } from "./unit-hash.ts";

export const RefundPauseWindowSchema = z.strictObject({
  /** Start, minutes after local midnight. @default 0 (00:00) */
  startMinute: z.number().int().min(0).max(1439),
  /** End (exclusive), minutes after local midnight, > start. @default 90 (01:30) */
  endMinute: z.number().int().min(1).max(1440),
  /** The window's zone as a UTC offset. @default 480 (Beijing, UTC+8) */
  utcOffsetMinutes: z.number().int().min(-720).max(840),
  /** Up to this much is added after the window's end (a hash of the refund id). @default 300000 */
  jitterMaxMs: z.number().int().nonnegative(),
});

export type RefundPauseWindow = z.infer<typeof RefundPauseWindowSchema>;

export const DEFAULT_REFUND_PAUSE_WINDOW: RefundPauseWindow = Object.freeze({
  startMinute: 0,
  endMinute: 90,
  utcOffsetMinutes: 480,
  jitterMaxMs: 300_000,
});

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** True when epoch-ms `at` falls inside the window. */
export function isInRefundPauseWindow(at: number, window: RefundPauseWindow): boolean {
  const local = at + window.utcOffsetMinutes * MINUTE_MS;
  const minuteOfDay = Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);
  return minuteOfDay >= window.startMinute && minuteOfDay < window.endMinute;
}

/**
 * The earliest time ≥ `at` a refund may be sent: `at` itself outside the window, else the
 * window's end that day plus a jitter derived from `seed` (the refund id).
 */
export function refundSendAt(at: number, window: RefundPauseWindow | null, seed: string): number {
  if (window === null || !isInRefundPauseWindow(at, window)) return at;
  const offsetMs = window.utcOffsetMinutes * MINUTE_MS;
  const localMidnight = Math.floor((at + offsetMs) / DAY_MS) * DAY_MS - offsetMs;
  const end = localMidnight + window.endMinute * MINUTE_MS;
  return end + Math.floor(unitHash(`${seed}:pause`) * window.jitterMaxMs);
}
