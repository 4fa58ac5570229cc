/**
 * Alipay asynchronous notifications: verified by the client (a bad signature is never
 * believed), then fed into the same machine as query answers. Duplicates change nothing; the
 * caller acknowledges only after `handle` returned, i.e. after the transition committed.
 */
import { describeGatewayError } from "./gateway.ts";
import { noopMetrics, silentLogger, type MoneyDeps } from "./money-deps.ts";
import type { PaymentService } from "./payment-service.ts";

export type NotifyOutcome =
  | { ack: true; result: "applied" | "duplicate" | "unknown_trade"; paymentId?: string; state?: string }
  | { ack: false; result: "bad_signature" | "malformed"; message: string };

export function createNotifyService(
  deps: Pick<MoneyDeps, "alipay" | "log" | "metrics"> & { payments: PaymentService },
) {
  const { alipay, payments } = deps;
  const log = deps.log ?? silentLogger;
  const metrics = deps.metrics ?? noopMetrics;

  async function handle(params: Readonly<Record<string, string>>): Promise<NotifyOutcome> {
    let notification;
    try {
      // The amount's currency comes from the notification itself, never from our payment row.
      notification = alipay.verifyNotification(params);
    } catch (error) {
      const e = describeGatewayError(error);
      const result = e.name === "AlipaySignatureError" ? "bad_signature" : "malformed";
      metrics.inc("kiosk_notifications_total", { outcome: result });
      log.warn("notification rejected", { reason: result, error: e.message });
      return { ack: false, result, message: e.message };
    }
    const payment = await payments.store.byPartnerTransId(notification.partnerTransId);
    if (!payment) {
      metrics.inc("kiosk_notifications_total", { outcome: "unknown_trade" });
      log.warn("notification for an unknown trade", {
        partnerTransId: notification.partnerTransId,
        status: notification.status,
      });
      return { ack: true, result: "unknown_trade" };
    }
    if (notification.foreignIdentity !== undefined)
      log.warn("notification names another merchant", {
        partnerTransId: notification.partnerTransId,
        reason: notification.foreignIdentity,
      });
    // A notification that does not prove what it settles goes to NEEDS_ATTENTION in the machine.
    const { row, commands } = await payments.apply(
      payment.id,
      { type: "notification", notification },
      // The row just read: a concurrent write is caught by the version check, which re-reads.
      { actor: { type: "gateway" }, known: payment },
    );
    const isApplied = row.version !== payment.version || commands.length > 0;
    metrics.inc("kiosk_notifications_total", { outcome: isApplied ? "applied" : "duplicate" });
    return { ack: true, result: isApplied ? "applied" : "duplicate", paymentId: payment.id, state: row.state };
  }

  return { handle };
}

export type NotifyService = ReturnType<typeof createNotifyService>;
