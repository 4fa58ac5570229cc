/**
 * The effects of a payment transition that commit with it, in its transaction: tickets, the
 * order's state, capacity holds, the durable sale event, and a finished refund's rows.
 */
import type { PaymentCommand, PaymentState as MachineState } from "@kiosk/alipay-core";
import { Prisma } from "@kiosk/db";
import { watchTerminalPaymentInTx } from "../partner/watch.ts";
import type { MoneyDeps, MoneyLogger } from "./money-deps.ts";
import { convertHoldsInTx, convertHoldsStatements, releaseHoldsInTx, type Tx } from "./order-service.ts";
import { escalateRefundInTx, refundTicketIdsInTx, settleRefundInTx } from "./payment-store-refunds.ts";
import type { PaymentRow } from "./payment-rows.ts";
import { PAYABLE_ORDER_STATES } from "./payment-store.ts";
import { recordSaleInTx, saleEventStatements, type SaleOrderFacts } from "./sale-events.ts";
import type { BatchStatement } from "./raw-sql.ts";
import type { IssueContext, PreparedTickets } from "./ticket-issue.ts";
import type { TicketService } from "./ticket-service.ts";
import type { TicketView } from "./ticket-view.ts";

export function createPaymentEffects(deps: { tickets: TicketService; events: MoneyDeps["events"]; log: MoneyLogger }) {
  const { tickets, log } = deps;

  /**
   * The side effects of a transition that must commit with it: `issue_tickets` (order paid,
   * tickets, holds converted), `release_hold` (order failed / cancelled, capacity back),
   * `escalate` of a refund in flight, and a finished refund. Runs after the payment row is
   * written; the shared Slot rows are touched last, so their locks are held only until commit.
   */
  async function effectsInTx(
    tx: Tx,
    row: PaymentRow,
    before: MachineState,
    next: MachineState,
    commands: readonly PaymentCommand[],
    now: Date,
    prepared: { tickets: PreparedTickets; lines: IssueContext["lines"]; sale?: SaleOrderFacts | undefined } | null,
    paidAt: Date,
  ): Promise<TicketView[] | null> {
    let issued: TicketView[] | null = null;
    await watchTerminalPaymentInTx(tx, row.orderId, before.state);
    for (const c of commands) {
      if (c.type === "issue_tickets") {
        if (prepared) {
          issued = await tickets.insertPreparedInTx(tx, prepared.tickets, {
            isKnownEmpty: before.state === "SENDING",
          });
        } else {
          await tickets.issueInTx(tx, row.orderId, now);
        }
        await tx.order.updateMany({
          where: { id: row.orderId, state: { in: [...PAYABLE_ORDER_STATES] } },
          data: { state: "paid" },
        });
        // The durable sale event commits with PAID (a crash cannot lose it); before the Slot rows.
        await recordSaleInTx(tx, deps.events, {
          orderId: row.orderId,
          paymentId: row.id,
          amountMinor: row.amountMinor,
          currency: row.currency,
          paidAt,
        });
        const overCapacity = await convertHoldsInTx(tx, row.orderId, now, prepared?.lines);
        if (overCapacity.length > 0)
          log.warn("paid order went over slot capacity", {
            paymentId: row.id,
            orderId: row.orderId,
            slots: overCapacity,
          });
        // As in the batch (paidStatements): the selling kiosk's last sale commits with the sale.
        if (prepared?.sale?.kioskId)
          await tx.kiosk.updateMany({ where: { id: prepared.sale.kioskId }, data: { lastSaleAt: paidAt } });
      } else if (c.type === "release_hold") {
        await tx.order.updateMany({
          where: { id: row.orderId, state: "pending" },
          data: { state: next.state === "FAILED" ? "failed" : "cancelled" },
        });
        await releaseHoldsInTx(tx, row.orderId, now);
      } else if (c.type === "escalate" && before.state === "REFUNDING") {
        await escalateRefundInTx(tx, before.refund.partnerRefundId, c.reason);
      }
    }
    if (before.state === "REFUNDING" && (next.state === "REFUNDED" || next.state === "PARTIALLY_REFUNDED")) {
      const refund = before.refund;
      await settleRefundInTx(tx, refund.partnerRefundId, now);
      const order = await tx.order.update({
        where: { id: row.orderId },
        data: { refundedMinor: { increment: refund.amountMinor } },
      });
      await tx.order.update({
        where: { id: row.orderId },
        data: { state: order.refundedMinor >= order.totalMinor ? "refunded" : "partially_refunded" },
      });
      if (next.state === "REFUNDED") {
        await tickets.voidInTx(tx, { orderId: row.orderId, now });
      } else {
        const ticketIds = await refundTicketIdsInTx(tx, refund.partnerRefundId);
        if (ticketIds.length > 0) await tickets.voidInTx(tx, { orderId: row.orderId, ticketIds, now });
      }
    }
    return issued;
  }

  /**
   * The instant purchase's effects (`issue_tickets` leaving SENDING, order and tickets written
   * by the store's PAID batch) as statements for that batch: the sale event from the order's
   * known facts, then each slot's hold converted (it must still be active, or the batch misses
   * and the general path decides). `issued` counts once the batch committed (`committed`).
   */
  async function paidStatements(
    row: PaymentRow,
    prepared: { tickets: PreparedTickets; lines: IssueContext["lines"]; sale: SaleOrderFacts },
    paidAt: Date,
    now: Date,
  ): Promise<{ statements: BatchStatement[]; committed: () => TicketView[] }> {
    const statements = [
      ...(await saleEventStatements(deps.events, {
        orderId: row.orderId,
        paymentId: row.id,
        amountMinor: row.amountMinor,
        currency: row.currency,
        paidAt,
        order: Object.assign({}, prepared.sale, {
          attractionId: prepared.tickets.attractionId,
          ticketIds: prepared.tickets.rows.map((t) => t.id),
        }),
        isFirstSale: true,
      })),
      ...convertHoldsStatements(row.orderId, now, prepared.lines),
      // The selling kiosk's last sale, with the sale (the fleet view reads it); its row last.
      ...(prepared.sale.kioskId
        ? [{ sql: Prisma.sql`UPDATE "Kiosk" SET "lastSaleAt" = ${paidAt} WHERE "id" = ${prepared.sale.kioskId}` }]
        : []),
    ];
    return { statements, committed: () => tickets.countIssued(prepared.tickets) };
  }

  return { effectsInTx, paidStatements };
}
