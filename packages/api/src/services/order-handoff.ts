/**
 * An order as it was just written, handed from `orders.create` to the `payments.start` that
 * follows it in this process, so starting the payment does not read back the order, its lines
 * and its attraction. Taken once; a start without one (another process, a second attempt)
 * reads the order. The row conditions of the start still guard everything that can change
 * meanwhile (the order must be pending and unexpired in the same write).
 */
import type { SaleOrderFacts } from "./sale-events.ts";
import type { IssueContext } from "./ticket-issue.ts";

export interface PayContext extends SaleOrderFacts {
  id: string;
  attractionId: string;
  state: string;
  currency: string;
  totalMinor: number;
  expiresAt: Date;
  attraction: { name: string; ticketKeyId: string; secondaryMerchantId: string | null; storeId: string | null };
  lines: IssueContext["lines"];
  /** Payments of the order when it was written: none. */
  payments: { state: string }[];
}

/** Orders kept at most; the oldest go first (an order nobody pays for is simply read later). */
const MAX_ORDERS = 10_000;

export function createOrderHandoff() {
  const orders = new Map<string, PayContext>();
  return {
    put(order: PayContext): void {
      if (orders.size >= MAX_ORDERS) orders.delete(orders.keys().next().value as string);
      orders.set(order.id, order);
    },
    /** The order as written, once; undefined when this process did not just write it. */
    take(orderId: string): PayContext | undefined {
      const order = orders.get(orderId);
      orders.delete(orderId);
      return order;
    },
  };
}

export type OrderHandoff = ReturnType<typeof createOrderHandoff>;
