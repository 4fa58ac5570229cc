/**
 * Keeps a terminal payment in the webhook outbox's view whenever its payment moves on after
 * it had settled (a refund, a late charge found NEEDS_ATTENTION, a staff resolution), whoever
 * made the change: the terminal through the API, staff in the console, the worker or a
 * notification. Called from the one place every payment transition commits
 * (services/payment-effects.ts), in that transition's transaction, so a crash cannot lose the
 * event. Transitions out of SENDING / POLLING (the sale's hot path) cost nothing here: the
 * row is still watched then.
 */
import type { Tx } from "../services/order-service.ts";

/** States after which the outbox may have stopped watching the terminal payment (webhooks.ts). */
const SETTLED: readonly string[] = ["PAID", "FAILED", "CANCELLED", "REFUNDED", "PARTIALLY_REFUNDED"];

export async function watchTerminalPaymentInTx(tx: Tx, orderId: string, fromState: string): Promise<void> {
  if (!SETTLED.includes(fromState)) return;
  await tx.terminalPayment.updateMany({ where: { orderId, isWatched: false }, data: { isWatched: true } });
}
