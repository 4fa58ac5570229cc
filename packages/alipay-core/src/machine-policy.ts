/** The payment machine's policy (query schedule, deadline, retries, back-off) and its back-off arithmetic. */
import { z } from "zod";
import { unitHash } from "./unit-hash.ts";
import { DEFAULT_REFUND_PAUSE_WINDOW, RefundPauseWindowSchema } from "./refund-window.ts";

// ---------------------------------------------------------------------------
// Policy
// ---------------------------------------------------------------------------

const BackoffSchema = z.strictObject({
  /** First retry delay. */
  baseMs: z.number().int().positive(),
  /** Upper clamp of any delay. */
  maxMs: z.number().int().positive(),
  /** Fraction of the delay removed at random-looking (deterministic) jitter, 0–1. */
  jitterRatio: z.number().min(0).max(1),
});

export type Backoff = z.infer<typeof BackoffSchema>;

export const PaymentPolicySchema = z.strictObject({
  /** First query after the pay request was sent. @default 3500 (3–4 s) */
  firstQueryDelayMs: z.number().int().nonnegative(),
  /** Between queries while WAIT_BUYER_PAY / unknown. @default 3500 (3–4 s) */
  queryIntervalMs: z.number().int().positive(),
  /** From payment start; no query is scheduled at or after it, cancel follows the last query. @default 90000 */
  paymentDeadlineMs: z.number().int().positive(),
  /** Pay resends (same partner_trans_id) after SYSTEM_ERROR once a query proves no trade exists. @default 2 */
  maxPayRetries: z.number().int().nonnegative(),
  /** A cancel answering "no such trade" this soon after the last pay send is retried (the pay may still land). @default 30000 */
  payInFlightWindowMs: z.number().int().nonnegative(),
  /** Cancel back-off. @default { baseMs: 2000, maxMs: 30000, jitterRatio: 0.2 } */
  cancelBackoff: BackoffSchema,
  /** Total cancel attempts before NEEDS_ATTENTION. @default 6 */
  maxCancelAttempts: z.number().int().positive(),
  /** Refund back-off (same partner_refund_id). @default { baseMs: 2000, maxMs: 60000, jitterRatio: 0.2 } */
  refundBackoff: BackoffSchema,
  /** Total refund attempts before NEEDS_ATTENTION. @default 5 */
  maxRefundAttempts: z.number().int().positive(),
  /** First refund query after Alipay accepted a refund without moving money (docs: ≥ 10 s). @default 10000 */
  refundConfirmFirstDelayMs: z.number().int().nonnegative(),
  /** Back-off between refund queries while the money has not moved. @default { baseMs: 10000, maxMs: 600000, jitterRatio: 0.2 } */
  refundConfirmBackoff: BackoffSchema,
  /** From the acceptance; an unconfirmed refund then goes to NEEDS_ATTENTION. @default 129600000 (36 h) */
  refundConfirmDeadlineMs: z.number().int().positive(),
  /** Nightly window in which refunds are held, not sent; `null` = never. @default 00:00–01:30 UTC+8 */
  refundPauseWindow: RefundPauseWindowSchema.nullable(),
});

export type PaymentPolicy = z.infer<typeof PaymentPolicySchema>;

/** The seed's numbers. */
export const DEFAULT_PAYMENT_POLICY: PaymentPolicy = Object.freeze({
  firstQueryDelayMs: 3_500,
  queryIntervalMs: 3_500,
  paymentDeadlineMs: 90_000,
  maxPayRetries: 2,
  payInFlightWindowMs: 30_000,
  cancelBackoff: Object.freeze({
    baseMs: 2_000,
    maxMs: 30_000,
    jitterRatio: 0.2,
  }),
  maxCancelAttempts: 6,
  refundBackoff: Object.freeze({
    baseMs: 2_000,
    maxMs: 60_000,
    jitterRatio: 0.2,
  }),
  maxRefundAttempts: 5,
  refundConfirmFirstDelayMs: 10_000,
  refundConfirmBackoff: Object.freeze({
    baseMs: 10_000,
    maxMs: 600_000,
    jitterRatio: 0.2,
  }),
  refundConfirmDeadlineMs: 36 * 3_600_000,
  refundPauseWindow: DEFAULT_REFUND_PAUSE_WINDOW,
}) as PaymentPolicy;

/** Merges overrides into the defaults and validates. @throws z.ZodError on invalid numbers. */
export function resolvePaymentPolicy(overrides: Partial<PaymentPolicy> = {}): PaymentPolicy {
  return PaymentPolicySchema.parse(Object.assign({}, DEFAULT_PAYMENT_POLICY, overrides));
}

/**
 * Delay before attempt `attempt + 1`, given `attempt` attempts made (≥1): exponential
 * `baseMs · 2^(attempt-1)`, clamped to `maxMs`, minus up to `jitterRatio` of it.
 */
export function backoffDelayMs(backoff: Backoff, attempt: number, seed: string): number {
  const raw = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = raw * (1 - backoff.jitterRatio * unitHash(`${seed}:${attempt}`));
  return Math.max(0, Math.min(backoff.maxMs, Math.round(jittered)));
}
