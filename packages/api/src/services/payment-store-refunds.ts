/**
 * The payment store's refunds: every Prisma call on Refund. A refund's row names the tickets it
 * voids (`ticketIds`). The `…InTx` functions run inside a payment transition's transaction.
 */
import type { Db } from "@kiosk/db";
import type { Tx } from "./order-service.ts";

export interface NewRefund {
  id: string;
  paymentId: string;
  partnerRefundId: string;
  amountMinor: number;
  reason: string;
  requestedByType: string;
  requestedById: string | null;
  createdAt: Date;
  /** Tickets to void when this (partial) refund succeeds. */
  ticketIds?: string[] | undefined;
}

/** The refund succeeded at the gateway: its row, in the transition's transaction. */
export async function settleRefundInTx(tx: Tx, partnerRefundId: string, now: Date): Promise<void> {
  await tx.refund.updateMany({
    where: { partnerRefundId, state: "pending" },
    data: { state: "succeeded", completedAt: now, nextActionAt: null },
  });
}

/** The refund in flight needs a person: its row, in the transition's transaction. */
export async function escalateRefundInTx(tx: Tx, partnerRefundId: string, reason: string): Promise<void> {
  await tx.refund.updateMany({
    where: { partnerRefundId, state: "pending" },
    data: { state: "needs_attention", failureReason: reason.slice(0, 500), nextActionAt: null },
  });
}

/** The tickets a partial refund voids when it succeeds, as its row names them. */
export async function refundTicketIdsInTx(tx: Tx, partnerRefundId: string): Promise<string[]> {
  const refund = await tx.refund.findUnique({ where: { partnerRefundId }, select: { ticketIds: true } });
  if (!refund?.ticketIds) return [];
  const ids: unknown = JSON.parse(refund.ticketIds);
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === "string") : [];
}

export function createRefundStore(db: Db) {
  return {
    create: ({ ticketIds, ...refund }: NewRefund) =>
      db.refund.create({
        data: Object.assign({}, refund, {
          state: "pending",
          ticketIds: ticketIds?.length ? JSON.stringify(ticketIds) : null,
        }),
      }),
    /** Minor units refunded or being refunded on a payment. */
    committedMinor: async (paymentId: string) =>
      (
        await db.refund.aggregate({
          where: { paymentId, state: { in: ["succeeded", "pending", "needs_attention"] } },
          _sum: { amountMinor: true },
        })
      )._sum.amountMinor ?? 0,
    /** Counts one more gateway attempt for the refund. */
    countAttempt: (partnerRefundId: string) =>
      db.refund.updateMany({ where: { partnerRefundId }, data: { attempt: { increment: 1 } } }),
    fail: (refundId: string, reason: string, now: Date) =>
      db.refund.update({ where: { id: refundId }, data: { state: "failed", failureReason: reason, completedAt: now } }),
    byId: (refundId: string) => db.refund.findUniqueOrThrow({ where: { id: refundId } }),
    forPayment: (paymentId: string) => db.refund.findMany({ where: { paymentId }, orderBy: { createdAt: "asc" } }),
  };
}

export type RefundStore = ReturnType<typeof createRefundStore>;
