/**
 * Terminal payments (issue 18): a partner terminal's Alipay payment is an Order of channel
 * "terminal" (one amount, no lines, no holds) paid through the ordinary payment service, so
 * it runs through the same state machine, worker, poll schedule, deadline cancel and
 * NEEDS_ATTENTION queue as a ticket sale; the ticket effects find no lines and issue nothing.
 *
 * Idempotency: (terminal, Idempotency-Key) is unique on TerminalPayment, with a hash of the
 * request; the same key and body give the same payment (its current state), another body is
 * CONFLICT. A retry after a crash between the order and the pay request starts the pay then
 * (the payment service's partner_trans_id is deterministic per order attempt, so two racing
 * starts cannot both send).
 */
import { isPaymentCode, isSupportedCurrency, minorToDecimal } from "@kiosk/alipay-core/money";
import { ReceiptDocumentSchema, terminalReceiptDocument, type ReceiptDocument } from "@kiosk/bridge-protocol";
import { isUniqueViolation, zonedTimeToUtc, addDays, type PaymentStateName } from "@kiosk/db";
import { KioskError } from "../errors.ts";
import { IdempotencyService, requestHash } from "../services/idempotency-service.ts";
import type { Logger } from "../log.ts";
import { newId, silentLogger, type Actor, type MoneyDeps, type MoneyLogger } from "../services/money-deps.ts";
import { DEFAULT_HOLD_MS, TX_OPTIONS } from "../services/order-service.ts";
import type { PaymentService } from "../services/payment-service.ts";
import type { RefundService, RefundView } from "../services/refund-service.ts";
import { TERMINAL_ID_PATTERN, type TerminalIdentity } from "./terminals.ts";

export const TERMINAL_CHANNEL = "terminal";
export const MAX_WAIT_SECONDS = 25;
const MAX_AMOUNT_MINOR = 100_000_000_00;
const IN_FLIGHT: readonly string[] = ["SENDING", "POLLING", "CANCELLING"];

export type TerminalPaymentStatus =
  | "processing"
  | "cancelling"
  | "succeeded"
  | "failed"
  | "cancelled"
  | "refunding"
  | "partially_refunded"
  | "refunded"
  | "needs_attention";

export function statusOf(state: string): TerminalPaymentStatus {
  switch (state) {
    case "SENDING":
    case "POLLING":
      return "processing";
    case "CANCELLING":
      return "cancelling";
    case "PAID":
      return "succeeded";
    case "FAILED":
      return "failed";
    case "CANCELLED":
      return "cancelled";
    case "REFUNDING":
      return "refunding";
    case "PARTIALLY_REFUNDED":
      return "partially_refunded";
    case "REFUNDED":
      return "refunded";
    default:
      return "needs_attention";
  }
}

export interface CreateTerminalPaymentInput {
  /** Integer minor units of `currency`. */
  amount: number;
  currency: string;
  paymentCode: string;
  reference: string;
  subject: string;
  storeId: string;
  terminalId: string;
}

export interface Receipt {
  merchant: string;
  storeId: string;
  terminalId: string;
  terminalName: string;
  reference: string;
  subject: string;
  amount: number;
  amountText: string;
  currency: string;
  refundedAmount: number;
  alipayTransId: string | null;
  partnerTransId: string;
  buyerLoginId: string | null;
  paidAt: string | null;
  /** Alipay's forex rate (currency → CNY) as a decimal string, where Alipay returned one. */
  exchangeRate: string | null;
  /** The wallet the buyer paid with (Alipay+ through Antom, e.g. "GCash"), or null. */
  walletName: string | null;
  /** The receipt as plain lines, ready for a printer (ESC/POS through a bridge, or any other). */
  lines: string[];
  /**
   * The bridge's receipt document: send `{ type: "print", kind: "receipt", document }` to the
   * terminal's bridge and it prints ESC/POS with the kiosk receipts' layout and encoder.
   */
  document: ReceiptDocument;
}

export interface TerminalPaymentView {
  id: string;
  reference: string;
  status: TerminalPaymentStatus;
  /** The payment state machine's state (SENDING, POLLING, PAID, …). */
  paymentState: string;
  /** True once the buyer's part is over: no longer processing or cancelling. */
  isFinal: boolean;
  amount: number;
  currency: string;
  refundedAmount: number;
  subject: string;
  storeId: string;
  terminalId: string;
  paymentCodeMasked: string | null;
  failureReason: string | null;
  alipayTransId: string | null;
  createdAt: string;
  paidAt: string | null;
  /** Increases with every change of the payment; webhooks and SSE events carry it. */
  version: number;
  paymentId: string | null;
  orderId: string;
  receipt: Receipt | null;
}

interface TpRow {
  id: string;
  terminalId: string;
  orderId: string;
  reference: string;
  subject: string;
  amountMinor: number;
  currency: string;
  createdAt: Date;
  requestHash: string;
  terminal: { storeId: string; terminalCode: string; name: string; attractionId: string };
}

function loggerOf(l: MoneyLogger): Logger {
  const self: Logger = {
    debug: (m, f) => l.debug?.(m, f),
    info: (m, f) => l.info(m, f),
    warn: (m, f) => l.warn(m, f),
    error: (m, f) => l.error(m, f),
    child: () => self,
  };
  return self;
}

const tpInclude = { terminal: { select: { storeId: true, terminalCode: true, name: true, attractionId: true } } };

export function createTerminalPayments(
  deps: Pick<MoneyDeps, "db" | "clock" | "log" | "holdMs"> & { payments: PaymentService; refunds: RefundService },
) {
  const { db, clock, payments, refunds } = deps;
  const log = deps.log ?? silentLogger;
  const holdMs = deps.holdMs ?? DEFAULT_HOLD_MS;
  const idempotency = new IdempotencyService({ db, clock, log: loggerOf(log) });

  /** The money services act for the terminal as the system (access is checked here, by terminal). */
  function actorOf(terminal: TerminalIdentity): Actor {
    return { type: "system", id: terminal.id };
  }

  function validate(terminal: TerminalIdentity, input: CreateTerminalPaymentInput, currency: string): void {
    if (!Number.isSafeInteger(input.amount) || input.amount < 1 || input.amount > MAX_AMOUNT_MINOR)
      throw new KioskError("BAD_REQUEST", "amount must be a positive whole number of minor units", {
        details: { field: "amount" },
      });
    if (!isSupportedCurrency(input.currency) || input.currency !== currency)
      throw new KioskError("BAD_REQUEST", `currency must be ${currency}, this attraction's currency`, {
        details: { field: "currency", expected: currency },
      });
    if (!isPaymentCode(input.paymentCode.trim()))
      throw new KioskError("BAD_REQUEST", "paymentCode is not an Alipay payment code", {
        details: { field: "paymentCode", reason: "invalid_payment_code" },
      });
    if (input.reference.length < 1 || input.reference.length > 64)
      throw new KioskError("BAD_REQUEST", "reference is 1 to 64 characters", { details: { field: "reference" } });
    if (input.subject.trim().length < 1 || input.subject.length > 128)
      throw new KioskError("BAD_REQUEST", "subject is 1 to 128 characters", { details: { field: "subject" } });
    if (!TERMINAL_ID_PATTERN.test(input.storeId) || !TERMINAL_ID_PATTERN.test(input.terminalId))
      throw new KioskError("BAD_REQUEST", "storeId and terminalId are 1 to 32 letters, digits, _ or -");
    if (input.storeId !== terminal.storeId || input.terminalId !== terminal.terminalCode)
      throw new KioskError("FORBIDDEN", "storeId / terminalId are not those this key is registered for", {
        details: { storeId: terminal.storeId, terminalId: terminal.terminalCode },
      });
  }

  async function load(terminal: TerminalIdentity, id: string): Promise<TpRow> {
    const row = await db.terminalPayment.findUnique({ where: { id }, include: tpInclude });
    // Another terminal's payment does not exist for this one.
    if (!row || row.terminalId !== terminal.id) throw new KioskError("NOT_FOUND", `Payment ${id} not found`);
    return row;
  }

  async function viewOf(tp: TpRow): Promise<TerminalPaymentView> {
    const [payment, order, attraction] = await Promise.all([
      db.payment.findFirst({ where: { orderId: tp.orderId }, orderBy: { createdAt: "desc" } }),
      db.order.findUniqueOrThrow({ where: { id: tp.orderId }, select: { refundedMinor: true, state: true } }),
      db.attraction.findUniqueOrThrow({ where: { id: tp.terminal.attractionId }, select: { name: true } }),
    ]);
    // No payment yet: the pay request was never sent (a retry with the same key sends it).
    const state = payment?.state ?? (order.state === "pending" ? "SENDING" : "FAILED");
    const paidAt = payment?.paidAt ?? null;
    const base = {
      id: tp.id,
      reference: tp.reference,
      status: statusOf(state),
      paymentState: state,
      isFinal: !IN_FLIGHT.includes(state),
      amount: tp.amountMinor,
      currency: tp.currency,
      refundedAmount: order.refundedMinor,
      subject: tp.subject,
      storeId: tp.terminal.storeId,
      terminalId: tp.terminal.terminalCode,
      paymentCodeMasked: payment?.paymentCodeMasked ?? null,
      failureReason: payment?.failureReason ?? (payment ? null : order.state === "pending" ? null : "not_sent"),
      alipayTransId: payment?.alipayTransId ?? null,
      createdAt: tp.createdAt.toISOString(),
      paidAt: paidAt?.toISOString() ?? null,
      version: payment?.version ?? 0,
      paymentId: payment?.id ?? null,
      orderId: tp.orderId,
    };
    if (!payment || !paidAt) return Object.assign({}, base, { receipt: null });
    const exchangeRate = payment.exchangeRate;
    const walletName = payment.walletName;
    const amountText = `${minorToDecimal(tp.amountMinor, tp.currency)} ${tp.currency}`;
    const refundedText =
      order.refundedMinor > 0 ? `${minorToDecimal(order.refundedMinor, tp.currency)} ${tp.currency}` : null;
    const document = ReceiptDocumentSchema.parse(
      terminalReceiptDocument({
        merchant: attraction.name,
        storeId: tp.terminal.storeId,
        terminalId: tp.terminal.terminalCode,
        terminalName: tp.terminal.name,
        reference: tp.reference,
        subject: tp.subject,
        currency: tp.currency,
        amountText,
        refundedText,
        alipayTransId: payment.alipayTransId,
        paidAt: paidAt.toISOString(),
        buyerLoginId: payment.buyerIdMasked,
        exchangeRate,
        walletName,
      }),
    );
    const receipt: Receipt = {
      merchant: attraction.name,
      storeId: tp.terminal.storeId,
      terminalId: tp.terminal.terminalCode,
      terminalName: tp.terminal.name,
      reference: tp.reference,
      subject: tp.subject,
      amount: tp.amountMinor,
      amountText,
      currency: tp.currency,
      refundedAmount: order.refundedMinor,
      alipayTransId: payment.alipayTransId,
      partnerTransId: payment.partnerTransId,
      buyerLoginId: payment.buyerIdMasked,
      paidAt: paidAt.toISOString(),
      exchangeRate,
      walletName,
      lines: [
        attraction.name,
        `Store ${tp.terminal.storeId} / ${tp.terminal.name} (${tp.terminal.terminalCode})`,
        `Alipay ${paidAt.toISOString().replace("T", " ").slice(0, 19)} UTC`,
        tp.subject,
        `Amount: ${amountText}`,
        ...(refundedText ? [`Refunded: ${refundedText}`] : []),
        ...(exchangeRate ? [`Rate ${tp.currency}/CNY: ${exchangeRate}`] : []),
        `Alipay trade: ${payment.alipayTransId ?? "-"}`,
        ...(payment.buyerIdMasked ? [`Buyer: ${payment.buyerIdMasked}`] : []),
        ...(walletName ? [`Paid with: ${walletName}`] : []),
        `Ref: ${tp.reference}`,
      ],
      document,
    };
    return Object.assign({}, base, { receipt });
  }

  /** Sends the pay when the order has none yet (first call, or a retry after a crash). */
  async function ensureStarted(tp: TpRow, terminal: TerminalIdentity, paymentCode: string): Promise<void> {
    const existing = await db.payment.count({ where: { orderId: tp.orderId } });
    if (existing > 0) return;
    const order = await db.order.findUniqueOrThrow({ where: { id: tp.orderId }, select: { state: true } });
    if (order.state !== "pending") return;
    try {
      await payments.start({
        orderId: tp.orderId,
        paymentCode,
        actor: actorOf(terminal),
        trade: { subject: tp.subject, storeId: tp.terminal.storeId, terminalId: tp.terminal.terminalCode },
      });
    } catch (error) {
      // A racing retry started it first: the answer is that payment.
      if (error instanceof KioskError && error.code === "CONFLICT") return;
      throw error;
    }
  }

  /** Creates (or replays) the payment; with `waitSeconds`, answers once it is final or the wait is over. */
  async function create(
    terminal: TerminalIdentity,
    idempotencyKey: string,
    input: CreateTerminalPaymentInput,
    options: { waitSeconds?: number; signal?: AbortSignal } = {},
  ): Promise<{ payment: TerminalPaymentView; isReplay: boolean }> {
    const made = await createOrReplay(terminal, idempotencyKey, input);
    const wait = options.waitSeconds ?? 0;
    if (wait <= 0 || made.payment.isFinal) return made;
    return Object.assign({}, made, { payment: await waitFor(terminal, made.payment.id, wait, options.signal) });
  }

  async function createOrReplay(
    terminal: TerminalIdentity,
    idempotencyKey: string,
    input: CreateTerminalPaymentInput,
  ): Promise<{ payment: TerminalPaymentView; isReplay: boolean }> {
    if (!/^[\x21-\x7e]{1,128}$/.test(idempotencyKey))
      throw new KioskError("BAD_REQUEST", "Idempotency-Key is 1 to 128 printable ASCII characters", {
        details: { field: "Idempotency-Key" },
      });
    const hash = requestHash(input);
    const previous = await db.terminalPayment.findUnique({
      where: { terminalId_idempotencyKey: { terminalId: terminal.id, idempotencyKey } },
      include: tpInclude,
    });
    if (previous) return { payment: await replay(previous, terminal, hash, input), isReplay: true };

    const attraction = await db.attraction.findUniqueOrThrow({
      where: { id: terminal.attractionId },
      select: { currency: true },
    });
    validate(terminal, input, attraction.currency);
    const now = clock.now();
    const orderId = newId("ord");
    const tpId = newId("tpay");
    try {
      await db.$transaction(async (tx) => {
        await tx.order.create({
          data: {
            id: orderId,
            attractionId: terminal.attractionId,
            channel: TERMINAL_CHANNEL,
            externalRef: input.reference,
            state: "pending",
            currency: input.currency,
            totalMinor: input.amount,
            expiresAt: new Date(now.getTime() + holdMs),
            createdAt: now,
          },
        });
        await tx.terminalPayment.create({
          data: {
            id: tpId,
            terminalId: terminal.id,
            orderId,
            idempotencyKey,
            requestHash: hash,
            reference: input.reference,
            subject: input.subject.trim(),
            amountMinor: input.amount,
            currency: input.currency,
            createdAt: now,
          },
        });
      }, TX_OPTIONS);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // The same key raced in: answer as a replay.
      const raced = await db.terminalPayment.findUniqueOrThrow({
        where: { terminalId_idempotencyKey: { terminalId: terminal.id, idempotencyKey } },
        include: tpInclude,
      });
      return { payment: await replay(raced, terminal, hash, input), isReplay: true };
    }
    log.info("terminal payment created", { terminalPaymentId: tpId, terminalId: terminal.id, orderId });
    const tp = await db.terminalPayment.findUniqueOrThrow({ where: { id: tpId }, include: tpInclude });
    await ensureStarted(tp, terminal, input.paymentCode.trim());
    return { payment: await viewOf(tp), isReplay: false };
  }

  async function replay(
    tp: TpRow,
    terminal: TerminalIdentity,
    hash: string,
    input: CreateTerminalPaymentInput,
  ): Promise<TerminalPaymentView> {
    if (tp.requestHash !== hash)
      throw new KioskError("CONFLICT", "This Idempotency-Key was used with another request", {
        details: { reason: "idempotency_key_reused", paymentId: tp.id },
      });
    await ensureStarted(tp, terminal, input.paymentCode.trim());
    return viewOf(tp);
  }

  async function get(terminal: TerminalIdentity, id: string): Promise<TerminalPaymentView> {
    return viewOf(await load(terminal, id));
  }

  /** The receipt of a paid payment; CONFLICT (`not_paid`) while there is none. */
  async function receipt(terminal: TerminalIdentity, id: string): Promise<Receipt> {
    const view = await get(terminal, id);
    if (!view.receipt)
      throw new KioskError("CONFLICT", `Payment ${id} is ${view.status}; there is no receipt`, {
        details: { reason: "not_paid", status: view.status },
      });
    return view.receipt;
  }

  /**
   * The payment once it is final, or as it is after `waitSeconds` (0 to 25): a long-poll.
   * Wakes on this process's own changes at once and re-reads every second for other instances'.
   */
  async function waitFor(
    terminal: TerminalIdentity,
    id: string,
    waitSeconds: number,
    signal?: AbortSignal,
  ): Promise<TerminalPaymentView> {
    const tp = await load(terminal, id);
    const first = await viewOf(tp);
    if (first.isFinal || waitSeconds <= 0 || !first.paymentId) return first;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), Math.min(waitSeconds, MAX_WAIT_SECONDS) * 1000);
    const onAbort = (): void => ac.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const p of payments.follow(first.paymentId, actorOf(terminal), { signal: ac.signal })) {
        if (!IN_FLIGHT.includes(p.state)) break;
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
    return viewOf(tp);
  }

  /** Every change of the payment until it is final (server-sent events). */
  async function* follow(
    terminal: TerminalIdentity,
    id: string,
    signal?: AbortSignal,
  ): AsyncGenerator<TerminalPaymentView> {
    const tp = await load(terminal, id);
    const first = await viewOf(tp);
    yield first;
    if (first.isFinal || !first.paymentId) return;
    let lastVersion = first.version;
    for await (const p of payments.follow(first.paymentId, actorOf(terminal), signal ? { signal } : {})) {
      if (p.version === lastVersion) continue;
      lastVersion = p.version;
      const view = await viewOf(tp);
      yield view;
      if (view.isFinal) return;
    }
  }

  /** The buyer walked away. Already cancelled or failed: the same answer again. Paid: CONFLICT (refund instead). */
  async function cancel(terminal: TerminalIdentity, id: string): Promise<TerminalPaymentView> {
    const tp = await load(terminal, id);
    const payment = await db.payment.findFirst({ where: { orderId: tp.orderId }, orderBy: { createdAt: "desc" } });
    if (!payment) {
      // Never sent: closing the order is enough (a later retry finds it closed and sends nothing).
      await db.order.updateMany({ where: { id: tp.orderId, state: "pending" }, data: { state: "cancelled" } });
      return viewOf(tp);
    }
    if (IN_FLIGHT.includes(payment.state)) {
      await payments.cancel(payment.id, actorOf(terminal));
    } else if (payment.state !== "FAILED" && payment.state !== "CANCELLED") {
      throw new KioskError("CONFLICT", `Payment ${id} is ${statusOf(payment.state)}; refund it instead`, {
        details: { reason: "not_cancellable", status: statusOf(payment.state) },
      });
    }
    return viewOf(tp);
  }

  /** A full (no amount) or partial refund; idempotent by the Idempotency-Key. */
  async function refund(
    terminal: TerminalIdentity,
    id: string,
    idempotencyKey: string,
    input: { amount?: number; reason?: string },
  ): Promise<{ refund: RefundView; payment: TerminalPaymentView }> {
    if (!/^[\x21-\x7e]{1,128}$/.test(idempotencyKey))
      throw new KioskError("BAD_REQUEST", "Idempotency-Key is 1 to 128 printable ASCII characters");
    const tp = await load(terminal, id);
    const payment = await db.payment.findFirst({ where: { orderId: tp.orderId }, orderBy: { createdAt: "desc" } });
    if (!payment) throw new KioskError("CONFLICT", `Payment ${id} was never paid`, { details: { reason: "not_paid" } });
    const result = await idempotency.run({
      scope: `terminal:${terminal.id}:refund:${tp.id}`,
      key: idempotencyKey,
      request: { amount: input.amount ?? null, reason: input.reason ?? null },
      execute: async () => {
        const r = await refunds.request({
          paymentId: payment.id,
          ...(input.amount !== undefined ? { amountMinor: input.amount } : {}),
          reason: input.reason?.trim() || "Refund at the terminal",
          actor: actorOf(terminal),
        });
        return r.refund;
      },
    });
    const current = await db.refund.findUnique({ where: { id: result.id } });
    return {
      refund: current ? Object.assign({}, result, { state: current.state, completedAt: current.completedAt }) : result,
      payment: await viewOf(tp),
    };
  }

  /** The terminal's payments created on `day` (YYYY-MM-DD, the attraction's time zone), newest first. */
  async function listByDay(terminal: TerminalIdentity, day: string): Promise<TerminalPaymentView[]> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)))
      throw new KioskError("BAD_REQUEST", "date is YYYY-MM-DD", { details: { field: "date" } });
    const { timezone } = await db.attraction.findUniqueOrThrow({
      where: { id: terminal.attractionId },
      select: { timezone: true },
    });
    const from = zonedTimeToUtc(day, "00:00", timezone);
    const to = zonedTimeToUtc(addDays(day, 1), "00:00", timezone);
    const rows = await db.terminalPayment.findMany({
      where: { terminalId: terminal.id, createdAt: { gte: from, lt: to } },
      include: tpInclude,
      orderBy: { createdAt: "desc" },
      take: 500,
    });
    return Promise.all(rows.map(viewOf));
  }

  return { create, get, receipt, waitFor, follow, cancel, refund, listByDay, viewOf, load };
}

export type TerminalPayments = ReturnType<typeof createTerminalPayments>;
export type { PaymentStateName };
