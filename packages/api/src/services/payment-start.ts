/**
 * Starting a payment: the pay request is signed once, the row is written in SENDING (with its
 * partner transaction id, the masked code and, with a key, the sealed request) and committed,
 * then the pay request goes out and its answer is applied.
 */
import { startPayment, timedCommandOf, type SignedPayRequest } from "@kiosk/alipay-core";
import { isPaymentCode, maskPaymentCode } from "@kiosk/alipay-core/money";
import type { PaymentStateName } from "@kiosk/db";
import { KioskError } from "../errors.ts";
import { describeGatewayError } from "./gateway.ts";
import { actorId, newId, type MoneyDeps, type MoneyLogger, type MoneyMetrics } from "./money-deps.ts";
import type { OrderHandoff, PayContext } from "./order-handoff.ts";
import { assertOrderAccess } from "./order-view.ts";
import { sealPayRequest, type HeldPayRequest } from "./pay-request-seal.ts";
import type { PaymentDrive } from "./payment-drive.ts";
import { cancelWindowMs, machinePolicyOf, type PaymentPolicy } from "./payment-policy.ts";
import { stateColumns, type PaymentRow } from "./payment-rows.ts";
import { ACTIVE_STATES, type PaymentStore } from "./payment-store.ts";
import {
  viewOf,
  type ApplyOptions,
  type ApplyResult,
  type PaymentInput,
  type PaymentView,
  type StartPaymentInput,
} from "./payment-records.ts";

/** What starting a payment needs from the payment service. */
export interface PaymentStartContext {
  deps: MoneyDeps & { handoff?: OrderHandoff };
  log: MoneyLogger;
  metrics: MoneyMetrics;
  policy: PaymentPolicy;
  instanceId: string;
  payRequestKey: MoneyDeps["payRequestKey"];
  holdPay: (paymentId: string, held: HeldPayRequest) => void;
  view: (row: PaymentRow) => Promise<PaymentView>;
  apply: (paymentId: string, input: PaymentInput, options: ApplyOptions) => Promise<ApplyResult>;
  execute: PaymentDrive["execute"];
  drive: PaymentDrive["drive"];
  claim: PaymentDrive["claim"];
  store: PaymentStore;
}

export function createPaymentStart(ctx: PaymentStartContext) {
  const { deps, log, metrics, policy, instanceId, payRequestKey, holdPay, view, apply, execute, drive, claim, store } =
    ctx;
  const { db, clock, alipay } = deps;

  async function start(input: StartPaymentInput): Promise<PaymentView> {
    const code = input.paymentCode.trim();
    if (!isPaymentCode(code)) throw new KioskError("BAD_REQUEST", "This is not an Alipay payment code");
    const handed = deps.handoff?.take(input.orderId);
    if (!handed) return startWith(input, code, await readPayContext(input.orderId));
    try {
      return await startWith(input, code, handed);
    } catch (error) {
      // The order changed since this process wrote it (another start, expiry): decide on the stored order.
      if (error instanceof KioskError && error.code === "CONFLICT")
        return startWith(input, code, await readPayContext(input.orderId));
      throw error;
    }
  }

  function readPayContext(orderId: string): Promise<PayContext | null> {
    return db.order.findUnique({
      where: { id: orderId },
      include: {
        attraction: { select: { name: true, ticketKeyId: true, secondaryMerchantId: true, storeId: true } },
        lines: {
          include: {
            ticketType: { select: { code: true, name: true } },
            slot: { select: { startsAt: true, endsAt: true } },
          },
        },
        payments: { select: { state: true } },
      },
    });
  }

  async function startWith(input: StartPaymentInput, code: string, order: PayContext | null): Promise<PaymentView> {
    const masked = maskPaymentCode(code);
    if (!order) throw new KioskError("NOT_FOUND", `Order ${input.orderId} not found`);
    assertOrderAccess(order, input.actor);
    const now = clock.now();
    if (order.state !== "pending") throw new KioskError("CONFLICT", `Order ${order.id} is ${order.state}`);
    if (order.expiresAt.getTime() <= now.getTime()) throw new KioskError("CONFLICT", `Order ${order.id} has expired`);

    const paymentId = newId("pay");
    const deadlineAt = new Date(now.getTime() + policy.paymentDeadlineMs);
    const owner = `${instanceId}:pay`;
    if (order.payments.some((p) => p.state !== "FAILED" && p.state !== "CANCELLED")) {
      throw new KioskError("CONFLICT", `Order ${order.id} already has a payment`);
    }
    // Deterministic per attempt: two racing starts for one order collide on the unique index.
    const partnerTransId = `K${order.id.replace(/^ord_/, "")}${String(order.payments.length + 1).padStart(2, "0")}`;
    // Signed once, here: a resend after SYSTEM_ERROR sends exactly these bytes (issue 14).
    let signed: SignedPayRequest | undefined;
    let signError: unknown;
    try {
      signed = await alipay.signPay({
        partnerTransId,
        amountMinor: order.totalMinor,
        currency: order.currency,
        paymentCode: code,
        subject:
          input.trade?.subject ??
          (deps.tradeSubject ? deps.tradeSubject(order.attraction.name) : `${order.attraction.name} tickets`),
        // The attraction's merchant fields, when set, over the process-wide ones (issue 14).
        ...(order.attraction.secondaryMerchantId ? { secondaryMerchantId: order.attraction.secondaryMerchantId } : {}),
        ...(order.attraction.storeId ? { storeId: order.attraction.storeId } : {}),
        ...(order.kioskId ? { terminalId: order.kioskId } : {}),
        ...(input.trade?.storeId ? { storeId: input.trade.storeId } : {}),
        ...(input.trade?.terminalId ? { terminalId: input.trade.terminalId } : {}),
      });
    } catch (error) {
      signError = error;
    }
    const held: HeldPayRequest | undefined = signed
      ? { signed, until: Math.min(deadlineAt.getTime(), now.getTime() + policy.payCodeHoldMs) }
      : undefined;
    const machine = startPayment(
      { partnerTransId, amountMinor: order.totalMinor, currency: order.currency },
      machinePolicyOf(policy, { hasPaymentCode: true }),
      now.getTime(),
    );
    const created: PaymentRow = await store.create(
      {
        id: paymentId,
        provider: alipay.protocol,
        partnerTransId,
        amountMinor: order.totalMinor,
        currency: order.currency,
        paymentCodeMasked: masked,
        ...stateColumns(machine.state, policy),
        leaseOwner: owner,
        leaseUntil: new Date(now.getTime() + policy.leaseMs),
        payRequest: held && payRequestKey ? sealPayRequest(payRequestKey, paymentId, held) : null,
        createdAt: now,
      },
      {
        type: "created",
        toState: machine.state.state,
        actorType: input.actor.type,
        actorId: actorId(input.actor),
        summary: {
          request: {
            op: "pay",
            partnerTransId,
            amountMinor: order.totalMinor,
            currency: order.currency,
            paymentCode: masked,
          },
        },
      },
      {
        id: order.id,
        now,
        expiresAt: new Date(Math.max(order.expiresAt.getTime(), deadlineAt.getTime() + cancelWindowMs(policy))),
      },
    );
    metrics.inc("kiosk_payments_started_total", { provider: alipay.protocol });
    log.info("payment sending", { paymentId, orderId: order.id, partnerTransId, paymentCode: masked });

    if (held) holdPay(paymentId, held);
    // A request that could not be built was never sent: the machine fails the payment.
    const event: PaymentInput = held
      ? (await execute(created, { type: "pay", at: now.getTime(), partnerTransId, attempt: 1 }, held.signed)).event
      : { type: "pay_error", error: describeGatewayError(signError) };
    const paidOrder: ApplyOptions["paidOrder"] = {
      id: order.id,
      attractionId: order.attractionId,
      ticketKeyId: order.attraction.ticketKeyId,
      lines: order.lines,
      sale: {
        channel: order.channel,
        kioskId: order.kioskId,
        apiClientId: order.apiClientId,
        externalRef: order.externalRef,
      },
    };
    const applied = await apply(paymentId, event, {
      actor: { type: "gateway" },
      leaseOwner: owner,
      request: { op: "pay", partnerTransId },
      known: created,
      paidOrder,
    });
    // A cancel pressed while the pay was out is acted on now rather than at the next tick.
    const next = timedCommandOf(applied.commands);
    if (
      applied.row.state === "CANCELLING" &&
      next &&
      next.at <= clock.now().getTime() &&
      (await claim(paymentId, owner, { isDueRequired: true }))
    ) {
      await drive(paymentId, owner);
      return view(await store.byId(paymentId));
    }
    if (applied.issued) return Object.assign(viewOf(applied.row), { tickets: applied.issued });
    if (
      ACTIVE_STATES.includes(applied.row.state as PaymentStateName) ||
      applied.row.state === "FAILED" ||
      applied.row.state === "CANCELLED"
    )
      return viewOf(applied.row);
    return view(applied.row);
  }

  return { start };
}
