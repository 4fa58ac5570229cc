/**
 * A payment's record: what callers feed into it (`PaymentInput`, each one machine event), the
 * summary an event row keeps, and the view callers get (without tickets). Pure; no I/O. The
 * stored state and its columns: payment-rows.ts, written by payment-store.ts.
 */
import {
  type CancelReason,
  type PaymentCommand,
  type PaymentEvent as MachineEvent,
  type PaymentState as MachineState,
  type StaffResolution,
} from "@kiosk/alipay-core";
import { type PaymentStateName } from "@kiosk/db";
import { type GatewayNotification, type PaidTrade } from "./gateway.ts";
import type { Actor } from "./money-deps.ts";
import type { PaidFacts, PaymentRow } from "./payment-rows.ts";
import { ACTIVE_STATES } from "./payment-store.ts";
import type { IssueContext } from "./ticket-issue.ts";
import type { TicketView } from "./ticket-view.ts";
import type { SaleOrderFacts } from "./sale-events.ts";

/** A refund as the server asks for it: the Refund row's ids plus tickets to void on success. */
export interface RefundRequest {
  refundId: string;
  partnerRefundId: string;
  amountMinor: number;
  reason?: string;
  /** Tickets to void when a partial refund succeeds. */
  ticketIds?: string[];
}

/** A gateway answer as alipay-core's `executeCommand` returns it: the machine's own event. */
export type GatewayAnswer = Extract<
  MachineEvent,
  {
    type:
      | "pay_result"
      | "pay_error"
      | "query_result"
      | "query_error"
      | "cancel_result"
      | "cancel_error"
      | "refund_result"
      | "refund_error"
      | "refund_query_result"
      | "refund_query_error";
  }
>;

/**
 * What callers feed into a payment: gateway answers (machine events as they are), visitor /
 * staff requests and notifications (which carry what the event row records besides the
 * machine's fact). The type is what the event row records.
 */
export type PaymentInput =
  | GatewayAnswer
  | { type: "cancel_requested"; by?: CancelReason }
  | { type: "notification"; notification: GatewayNotification }
  | { type: "refund_requested"; refund: RefundRequest }
  /** After a crash or lease takeover: re-issue what the state needs (a SENDING row is queried). */
  | { type: "resume" }
  | { type: "resolve"; to: StaffResolutionTarget; reason: string; trade?: PaidTrade };

/** What staff can resolve a NEEDS_ATTENTION payment to: a final state, or CANCELLING (the machine cancels at Alipay). */
export type StaffResolutionTarget = "PAID" | "FAILED" | "CANCELLED" | "REFUNDED" | "CANCELLING";

export function toMachineEvent(input: PaymentInput, state: MachineState): MachineEvent {
  switch (input.type) {
    case "pay_result":
    case "query_result":
    case "cancel_result":
    case "refund_result":
    case "refund_query_result":
    case "pay_error":
    case "query_error":
    case "cancel_error":
    case "refund_error":
    case "refund_query_error":
      return input;
    case "cancel_requested":
      return { type: "cancel_requested", by: input.by ?? "visitor" };
    case "notification": {
      const n = input.notification;
      return {
        type: "notification",
        fact: {
          status: n.status,
          alipayTransId: n.alipayTransId,
          amountMinor: n.amountMinor,
          currency: n.currency,
          amountText: n.amountText,
          foreignIdentity: n.foreignIdentity,
          paidAtMs: n.paidAt?.getTime(),
        },
      };
    }
    case "refund_requested":
      return {
        type: "refund_requested",
        partnerRefundId: input.refund.partnerRefundId,
        amountMinor: input.refund.amountMinor,
        ...(input.refund.reason !== undefined ? { reason: input.refund.reason } : {}),
      };
    case "resume":
      return { type: "resume" };
    case "resolve": {
      const resolution: StaffResolution =
        input.to === "PAID"
          ? { to: "PAID", ...(input.trade?.alipayTransId ? { alipayTransId: input.trade.alipayTransId } : {}) }
          : input.to === "REFUNDED"
            ? { to: "REFUNDED", refundedMinor: state.amountMinor }
            : input.to === "CANCELLING"
              ? { to: "CANCELLING" }
              : { to: input.to };
      return { type: "staff_resolved", resolution, note: input.reason.slice(0, 500) };
    }
  }
}

/** The paid trade an input reports, if any (for the Payment columns written with PAID). */
export function tradeOf(input: PaymentInput): PaidFacts | null {
  if ((input.type === "pay_result" || input.type === "query_result") && input.result.status === "paid")
    return input.result;
  if (input.type === "notification")
    return {
      alipayTransId: input.notification.alipayTransId,
      paidAt: input.notification.paidAt,
      walletName: input.notification.walletName,
      paymentMethodType: input.notification.paymentMethodType,
    };
  if (input.type === "resolve" && input.trade) return input.trade;
  return null;
}

/** What an event row says about the gateway exchange: ids, statuses, reasons; never a code or key. */
export function summarize(
  event: PaymentInput,
  request?: Record<string, unknown>,
  ignored?: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (request) out.request = request;
  switch (event.type) {
    case "pay_result":
    case "query_result": {
      const r = event.result;
      out.response = {
        status: r.status,
        ...("reason" in r ? { reason: r.reason } : {}),
        ...("alipayTransId" in r ? { alipayTransId: r.alipayTransId } : {}),
        ...(r.status === "paid" ? { amountMinor: r.amountMinor, currency: r.currency } : {}),
        ...(r.status === "paid" && r.exchangeRate !== undefined ? { exchangeRate: r.exchangeRate } : {}),
      };
      break;
    }
    case "cancel_result":
      out.response = {
        status: event.result.status,
        ...("reason" in event.result ? { reason: event.result.reason } : {}),
      };
      break;
    case "refund_result":
    case "refund_query_result":
      out.response = {
        status: event.result.status,
        partnerRefundId: event.result.partnerRefundId,
        ...("reason" in event.result ? { reason: event.result.reason } : {}),
      };
      break;
    case "pay_error":
    case "query_error":
    case "cancel_error":
    case "refund_error":
    case "refund_query_error":
      out.error = event.error;
      break;
    case "notification":
      out.notification = {
        notifyId: event.notification.notifyId,
        status: event.notification.status,
        alipayTransId: event.notification.alipayTransId,
        amountMinor: event.notification.amountMinor,
        currency: event.notification.currency,
        ...(event.notification.amountMinor === undefined && event.notification.amountText !== undefined
          ? { amountText: event.notification.amountText.slice(0, 32) }
          : {}),
        ...(event.notification.foreignIdentity !== undefined
          ? { foreignIdentity: event.notification.foreignIdentity.slice(0, 200) }
          : {}),
      };
      break;
    case "refund_requested":
      out.refund = {
        refundId: event.refund.refundId,
        partnerRefundId: event.refund.partnerRefundId,
        amountMinor: event.refund.amountMinor,
        ...(event.refund.ticketIds ? { ticketIds: event.refund.ticketIds } : {}),
      };
      break;
    case "resolve":
      out.resolve = { to: event.to, reason: event.reason.slice(0, 500) };
      break;
    case "cancel_requested":
      out.by = event.by ?? "visitor";
      break;
    case "resume":
      break;
  }
  if (ignored) out.ignored = ignored;
  return out;
}

export interface PaymentView {
  id: string;
  orderId: string;
  state: PaymentStateName;
  partnerTransId: string;
  amountMinor: number;
  currency: string;
  paymentCodeMasked: string;
  alipayTransId: string | null;
  failureReason: string | null;
  attentionReason: string | null;
  paidAt: Date | null;
  /** Antom: the wallet the buyer paid with (e.g. "GCash") and its payment method type; null otherwise. */
  walletName: string | null;
  paymentMethodType: string | null;
  createdAt: Date;
  version: number;
  /** True once the worker has nothing left to do for the visitor (paid, failed, cancelled…). */
  isSettled: boolean;
  tickets: TicketView[];
}

export interface StartPaymentInput {
  orderId: string;
  paymentCode: string;
  actor: Actor;
  /** A partner terminal's own trade fields (issue 18), over the attraction's / kiosk's. */
  trade?: { subject?: string; storeId?: string; terminalId?: string };
}

/** Who caused a transition, as written into the event row. */
export type EventActor = Actor | { type: "gateway"; id?: undefined };

export interface ApplyOptions {
  actor: EventActor;
  request?: Record<string, unknown>;
  /** Clears this owner's lease in the same write. */
  leaseOwner?: string;
  /** The row as the caller just wrote it (skips the read; a version conflict re-reads). */
  known?: PaymentRow;
  /**
   * The paid order's lines and public facts, loaded by the caller, so PAID needs no reads in
   * its transaction (and its sale event and the kiosk's last sale none either).
   */
  paidOrder?: IssueContext & { sale?: SaleOrderFacts };
}

/** What `apply` returns: the row as written, the transition's commands, why it was ignored, tickets issued. */
export interface ApplyResult {
  row: PaymentRow;
  commands: PaymentCommand[];
  ignored?: string;
  issued?: TicketView[];
}

/** The view without tickets. */
export function viewOf(row: PaymentRow): PaymentView {
  return {
    id: row.id,
    orderId: row.orderId,
    state: row.state as PaymentStateName,
    partnerTransId: row.partnerTransId,
    amountMinor: row.amountMinor,
    currency: row.currency,
    paymentCodeMasked: row.paymentCodeMasked,
    alipayTransId: row.alipayTransId,
    failureReason: row.failureReason,
    attentionReason: row.attentionReason,
    paidAt: row.paidAt,
    walletName: row.walletName,
    paymentMethodType: row.paymentMethodType,
    createdAt: row.createdAt,
    version: row.version,
    isSettled: !ACTIVE_STATES.includes(row.state as PaymentStateName),
    tickets: [],
  };
}
