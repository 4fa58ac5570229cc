// The string-literal unions stored in status columns. Columns are plain strings so
// SQLite and PostgreSQL share one schema; these lists are the only allowed values.

export const PAYMENT_STATES = [
  "SENDING",
  "POLLING",
  "CANCELLING",
  "PAID",
  "REFUNDING",
  "FAILED",
  "CANCELLED",
  "REFUNDED",
  "PARTIALLY_REFUNDED",
  "NEEDS_ATTENTION",
] as const;
export type PaymentStateName = (typeof PAYMENT_STATES)[number];

export const ORDER_STATES = [
  "pending",
  "paid",
  "cancelled",
  "expired",
  "failed",
  "refunded",
  "partially_refunded",
] as const;
export type OrderState = (typeof ORDER_STATES)[number];

export const HOLD_STATES = ["active", "released", "converted"] as const;
export type HoldState = (typeof HOLD_STATES)[number];

export const TICKET_STATES = ["valid", "redeemed", "void"] as const;
export type TicketState = (typeof TICKET_STATES)[number];

export const REFUND_STATES = ["pending", "succeeded", "failed", "needs_attention"] as const;
export type RefundState = (typeof REFUND_STATES)[number];

export const STAFF_ROLES = ["admin", "supervisor", "cashier", "viewer"] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export const ORDER_CHANNELS = ["kiosk", "booking", "counter"] as const;
export type OrderChannel = (typeof ORDER_CHANNELS)[number];

export const VALIDITY_KINDS = ["date", "slot"] as const;
export type ValidityKind = (typeof VALIDITY_KINDS)[number];

export const DIFFERENCE_KINDS = ["missing_here", "missing_there", "amount_mismatch", "status_mismatch"] as const;
export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number];

export const API_SCOPES = [
  "catalog:read",
  "bookings:write",
  "bookings:read",
  "tickets:read",
  "tickets:redeem",
  "refunds:write",
  "events:read",
] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** "closing" while the close asks the gateway: no new payment may start. */
export const SHIFT_STATES = ["open", "closing", "closed"] as const;
export type ShiftState = (typeof SHIFT_STATES)[number];
