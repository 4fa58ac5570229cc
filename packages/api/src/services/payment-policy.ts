/**
 * The money path's payment policy: alipay-core's machine policy (query schedule, deadline,
 * pay retries, cancel and refund back-off) plus what only the server needs (the worker lease).
 */
import {
  DEFAULT_REFUND_PAUSE_WINDOW,
  DEFAULT_PAYMENT_POLICY as MACHINE_DEFAULT_POLICY,
  resolvePaymentPolicy,
  type PaymentPolicy as MachinePolicy,
  type RefundPauseWindow,
} from "@kiosk/alipay-core";

export interface PaymentPolicy extends MachinePolicy {
  /** How long a worker owns a payment while it talks to the gateway. @default 30000 */
  leaseMs: number;
  /**
   * How long after the start the process that received the payment code keeps it (in memory
   * only) for a pay resend after SYSTEM_ERROR. Later, or in another process, it queries. A
   * dynamic code is short-lived anyway, and a late resend would keep a cancel waiting for a
   * pay that may still land. Keep it below `paymentDeadlineMs - payInFlightWindowMs`, so the
   * deadline cancel never waits for a resend. @default 20000
   */
  payCodeHoldMs: number;
}

/**
 * alipay-core's defaults, except the payment deadline: the kiosk's paying screen counts down
 * 60 s (`PAYMENT_DEADLINE_MS`), as the money path always did.
 */
export const DEFAULT_PAYMENT_POLICY: PaymentPolicy = Object.freeze(
  Object.assign({}, MACHINE_DEFAULT_POLICY, { paymentDeadlineMs: 60_000, leaseMs: 30_000, payCodeHoldMs: 20_000 }),
);

/**
 * The refund pause window when none is configured: Alipay's nightly window on a live gateway;
 * none on a sandbox, which refunds at any hour (with the window on, every refund a demo or a
 * test asked for between 16:00 and 17:30 UTC waited until 17:30).
 */
export function defaultRefundPauseWindow(alipayEnv: "sandbox" | "live"): RefundPauseWindow | null {
  return alipayEnv === "live" ? DEFAULT_REFUND_PAUSE_WINDOW : null;
}

/** Defaults plus overrides, validated by alipay-core. @throws z.ZodError on invalid numbers. */
export function resolveServerPaymentPolicy(overrides: Partial<PaymentPolicy> = {}): PaymentPolicy {
  const { leaseMs, payCodeHoldMs, ...machineOverrides } = overrides;
  const machine = { paymentDeadlineMs: DEFAULT_PAYMENT_POLICY.paymentDeadlineMs, ...machineOverrides };
  const lease = leaseMs ?? DEFAULT_PAYMENT_POLICY.leaseMs;
  const hold = payCodeHoldMs ?? DEFAULT_PAYMENT_POLICY.payCodeHoldMs;
  if (!Number.isSafeInteger(lease) || lease <= 0)
    throw new RangeError(`leaseMs must be a positive integer, got ${String(leaseMs)}`);
  if (!Number.isSafeInteger(hold) || hold < 0)
    throw new RangeError(`payCodeHoldMs must be a non-negative integer, got ${String(payCodeHoldMs)}`);
  return Object.assign({}, resolvePaymentPolicy(machine), { leaseMs: lease, payCodeHoldMs: hold });
}

/** The machine's policy without the server fields (its schema is strict). */
export function machinePolicyOf(policy: PaymentPolicy, options: { hasPaymentCode: boolean }): MachinePolicy {
  const { leaseMs: _leaseMs, payCodeHoldMs: _payCodeHoldMs, ...machine } = policy;
  // A pay can only be resent with the unmasked code, which lives only in the memory of the
  // process that received it; anywhere else the machine must fall back to querying.
  return options.hasPaymentCode ? machine : Object.assign({}, machine, { maxPayRetries: 0 });
}

/** Upper bound of the time the cancel back-off can take, for sizing the order's hold. */
export function cancelWindowMs(policy: PaymentPolicy): number {
  let total = 0;
  for (let attempt = 1; attempt < policy.maxCancelAttempts; attempt++) {
    total += Math.min(policy.cancelBackoff.maxMs, policy.cancelBackoff.baseMs * 2 ** (attempt - 1));
  }
  return total + policy.leaseMs;
}
