/**
 * A payment's row and the machine state it stores, without I/O: the row types, the machine
 * state read back from a row (`machineOf`), the columns written from one (`stateColumns`,
 * `paidColumns`) and what a new row is made of. The writes themselves: payment-store.ts.
 */
import type { PaymentCommand, PaymentState as MachineState } from "@kiosk/alipay-core";
import type { Prisma } from "@kiosk/db";
import type { PaymentPolicy } from "./payment-policy.ts";
import { walletColumns, type WalletFacts } from "./payment-wallet.ts";

export type PaymentRow = Prisma.PaymentGetPayload<object>;
export type PaymentEventRow = Prisma.PaymentEventGetPayload<object>;

/** A row whose `machineState` is not a machine state of that row (a clear error; nothing is guessed). */
export class CorruptPaymentState extends Error {
  override readonly name = "CorruptPaymentState";
  constructor(paymentId: string, why: string) {
    super(`Payment ${paymentId} has no usable machine state (${why})`);
  }
}

/** The machine state of a row: its `machineState` JSON, checked against the row's indexed columns. */
export function machineOf(row: Pick<PaymentRow, "id" | "machineState" | "state" | "partnerTransId">): MachineState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.machineState);
  } catch {
    throw new CorruptPaymentState(row.id, "not JSON");
  }
  if (typeof parsed !== "object" || parsed === null) throw new CorruptPaymentState(row.id, "not an object");
  const v = parsed as Partial<MachineState>;
  if (v.state !== row.state || v.partnerTransId !== row.partnerTransId)
    throw new CorruptPaymentState(row.id, "state or partner id differs from the columns");
  if (typeof v.amountMinor !== "number" || typeof v.deadlineAt !== "number")
    throw new CorruptPaymentState(row.id, "amount or deadline missing");
  return parsed as MachineState;
}

/**
 * The `nextActionAt` column: the machine's own, or — while a pay request is out (the machine
 * schedules nothing then) — when a worker should take over if the sender died.
 */
export function nextActionColumn(state: MachineState, policy: PaymentPolicy): Date | null {
  if (state.nextActionAt !== null) return new Date(state.nextActionAt);
  if (state.state === "SENDING" || (state.state === "POLLING" && state.isPayInFlight))
    return new Date(state.lastPaySentAt + policy.firstQueryDelayMs);
  return null;
}

/** The one place the indexed columns are computed: all from the machine state, written with it. */
export function stateColumns(state: MachineState, policy: PaymentPolicy) {
  return {
    state: state.state,
    attempt: state.payAttempts,
    queryCount: state.queryCount,
    cancelAttempt: state.cancelAttempts,
    deadlineAt: new Date(state.deadlineAt),
    nextActionAt: nextActionColumn(state, policy),
    failureReason: state.state === "FAILED" ? state.failureReason.slice(0, 500) : null,
    attentionReason: state.state === "NEEDS_ATTENTION" ? state.attentionReason.slice(0, 500) : null,
    ...(state.alipayTransId ? { alipayTransId: state.alipayTransId } : {}),
    machineState: JSON.stringify(state),
  } satisfies Partial<PaymentRow>;
}

/** What a paid trade reports besides the machine's facts (from an answer, a notification, a staff decision). */
export type PaidFacts = {
  alipayTransId?: string | undefined;
  paidAt?: Date | undefined;
  buyerLoginIdMasked?: string | undefined;
  /** Forex rate currency → CNY, a decimal string (MAPI answers carry it). */
  exchangeRate?: string | undefined;
} & WalletFacts;

/** The one place the facts of a paid trade (and its wallet) go onto the row: with the `issue_tickets` command. */
export function paidColumns(
  next: MachineState,
  commands: readonly PaymentCommand[],
  trade: PaidFacts | null,
  now: Date,
): Partial<PaymentRow> {
  if (!commands.some((c) => c.type === "issue_tickets")) return {};
  const alipayTransId = next.alipayTransId ?? trade?.alipayTransId;
  return {
    paidAt: next.paidAt !== undefined ? new Date(next.paidAt) : (trade?.paidAt ?? now),
    ...(alipayTransId ? { alipayTransId } : {}),
    ...(trade?.buyerLoginIdMasked ? { buyerIdMasked: trade.buyerLoginIdMasked } : {}),
    ...(trade?.exchangeRate && /^\d+(\.\d+)?$/.test(trade.exchangeRate) ? { exchangeRate: trade.exchangeRate } : {}),
    // Antom (issue 21): the wallet the buyer paid with.
    ...walletColumns(trade),
  };
}

/** An event row as a transition writes it (seq is the payment's new version). */
export interface EventRecord {
  type: string;
  fromState: string | null;
  toState: string | null;
  actorType: string;
  actorId: string | null;
  summary: Record<string, unknown>;
}

/** A payment about to be written: what the start knows; the rest is `NEW_PAYMENT_DEFAULTS`. */
export type NewPayment = Pick<
  PaymentRow,
  | "id"
  | "provider"
  | "partnerTransId"
  | "amountMinor"
  | "currency"
  | "paymentCodeMasked"
  | "state"
  | "deadlineAt"
  | "createdAt"
> &
  Partial<Omit<PaymentRow, "orderId" | "version" | "updatedAt">>;

/** The schema's defaults of the columns a new payment may leave out (a raw insert writes them all). */
export const NEW_PAYMENT_DEFAULTS = {
  alipayTransId: null,
  buyerIdMasked: null,
  failureReason: null,
  attentionReason: null,
  attempt: 0,
  queryCount: 0,
  cancelAttempt: 0,
  nextActionAt: null,
  leaseOwner: null,
  leaseUntil: null,
  machineState: "{}",
  paidAt: null,
  finishedAt: null,
  payRequest: null,
  paymentMethodType: null,
  walletName: null,
  exchangeRate: null,
} as const satisfies Partial<PaymentRow>;
