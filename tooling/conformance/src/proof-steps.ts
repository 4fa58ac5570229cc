/**
 * Steps that check what the server lets a gateway answer prove (issue 14, items 1, 3, 4):
 * a signed notification settles a payment only with the payment's amount and currency and our
 * merchant identities; a refund counts only once money moved; a cancel that found no trade
 * still learns of a pay that lands later. They need our sandbox's operator switch (signed
 * notifications on request, faults, the trade as the gateway sees it) and run after the
 * settlement step, so the payments they leave for a person are not reconciliation differences.
 */
import { SCENARIOS, type ScenarioId } from "@kiosk/alipay-sandbox";
import type { CraftedNotification, SandboxControl } from "./operator-switch.ts";
import {
  requireCode,
  scheduledUntil,
  settleRefund,
  StepSkipped,
  ticketCount,
  type Checks,
  type StepContext,
  type StepDefinition,
} from "./scenarios.ts";

/** Merchant identities that are not ours (any 2088… partner / 2021… app of someone else). */
const OTHER_PARTNER = "2088999999999999";
const OTHER_APP = "2021999999999999";

/**
 * Scenario 0022 (`unknown_late_paid`, from the notification work of issue 14): UNKNOW on pay,
 * no trade until the charge lands N s later. Looked up, so a sandbox without it is reported.
 */
const LATE_PAID = SCENARIOS.find((s) => s.number === "0022")?.id;

function operatorOf(ctx: StepContext): SandboxControl {
  if (!ctx.sandbox) throw new StepSkipped("needs the sandbox's operator switch");
  return ctx.sandbox;
}

async function paymentRow(ctx: StepContext, paymentId: string) {
  return ctx.db.payment.findUniqueOrThrow({
    where: { id: paymentId },
    select: {
      state: true,
      partnerTransId: true,
      orderId: true,
      amountMinor: true,
      currency: true,
      attentionReason: true,
    },
  });
}

interface Unproven extends CraftedNotification {
  name: string;
}

/** Signed successes that do not prove the payment, per protocol (`currency` of the payment). */
function unprovenNotifications(protocol: StepContext["protocol"], currency: string): Unproven[] {
  // Antom signs over our client id: a notification for another client fails the signature
  // (refused, never applied), so only the amount can be wrong under a valid signature.
  if (protocol === "antom")
    return [
      { name: "no amount", omit: ["paymentAmount"] },
      { name: "another amount", set: { "paymentAmount.value": "1" } },
      { name: "another currency", set: { "paymentAmount.currency": currency === "JPY" ? "SGD" : "JPY" } },
    ];
  if (protocol === "mapi")
    return [
      { name: "no amount, no currency", omit: ["trans_amount", "total_fee", "currency"] },
      { name: "another amount", set: { trans_amount: "0.01", total_fee: "0.01" } },
      { name: "another partner", set: { partner: OTHER_PARTNER } },
      { name: "another seller_id", set: { seller_id: OTHER_PARTNER } },
    ];
  return [
    {
      name: "no amount",
      omit: ["total_amount", "receipt_amount", "invoice_amount", "buyer_pay_amount"],
    },
    { name: "another amount", set: { total_amount: "0.01" } },
    ...(currency !== "CNY" ? [{ name: "no trans_currency (read as CNY)", omit: ["trans_currency"] }] : []),
    { name: "another app_id", set: { app_id: OTHER_APP } },
    { name: "another seller_id", set: { seller_id: OTHER_PARTNER } },
  ];
}

/** A payment waiting for the buyer's PIN (the gateway never settles it on its own). */
async function waitingPayment(ctx: StepContext, step: StepDefinition["id"]) {
  const code = requireCode(ctx, step, "pin_wait_never");
  const { paymentId, state } = await ctx.buy(code);
  ctx.track(paymentId);
  return { paymentId, state, row: await paymentRow(ctx, paymentId) };
}

async function notificationProof(ctx: StepContext, checks: Checks): Promise<void> {
  const sandbox = operatorOf(ctx);
  const first = await waitingPayment(ctx, "notification_proof");
  const variants = unprovenNotifications(ctx.protocol, first.row.currency);
  for (const [i, { name, ...request }] of variants.entries()) {
    // One payment per notification: the first unproven one already takes it to a person.
    const { paymentId, row } = i === 0 ? first : await waitingPayment(ctx, "notification_proof");
    const params = await sandbox.notification(row.partnerTransId, {
      ...request,
      tradeStatus: "TRADE_SUCCESS",
    });
    const outcome = await ctx.services.notify.handle(params);
    const after = await paymentRow(ctx, paymentId);
    const tickets = await ticketCount(ctx, row.orderId);
    checks.add(
      `signed success with ${name}: settles nothing, a person looks (NEEDS_ATTENTION)`,
      after.state === "NEEDS_ATTENTION" && tickets === 0,
      `${after.state}${after.attentionReason ? ` (${after.attentionReason})` : ""}, ${tickets} ticket(s), notification ${outcome.result}`,
    );
  }
  // The control: the gateway's own notification of a real payment settles it at once.
  const honest = await waitingPayment(ctx, "notification_proof");
  await sandbox.confirm(honest.row.partnerTransId);
  const params = await sandbox.notification(honest.row.partnerTransId, {});
  await ctx.services.notify.handle(params);
  await ctx.services.notify.handle(params);
  const settled = await paymentRow(ctx, honest.paymentId);
  const tickets = await ticketCount(ctx, honest.row.orderId);
  checks.add(
    "the gateway's own notification of the payment settles it, once",
    settled.state === "PAID" && tickets === 1,
    `${settled.state}, ${tickets} ticket(s) after the notification and its duplicate`,
  );
}

/**
 * Scenario 0070 (`refund_delayed`, from the refund work of issue 14): a refund is accepted
 * (OpenAPI `fund_change=N`, MAPI `UNKNOW`) and its money moves N s later.
 */
const REFUND_DELAYED = SCENARIOS.find((s) => s.number === "0070")?.id;

async function refundConfirmed(ctx: StepContext, checks: Checks): Promise<void> {
  await refundAnswerLost(ctx, checks);
  await refundMoneyLater(ctx, checks);
}

/** The refund's money moves 20 s after the gateway accepted it: nothing counts before. */
async function refundMoneyLater(ctx: StepContext, checks: Checks): Promise<void> {
  const sandbox = operatorOf(ctx);
  if (REFUND_DELAYED === undefined)
    throw new Error("this sandbox has no scenario 0070 (refund_delayed: a refund accepted, its money moving later)");
  const delayMs = 20_000;
  const code = requireCode(ctx, "refund_confirmed", REFUND_DELAYED, delayMs / 1000);
  const { paymentId, orderId } = await ctx.buy(code);
  ctx.track(paymentId);
  if (!checks.equal("delayed refund: paid first", await ctx.settle(paymentId), "PAID")) return;
  const { partnerTransId, amountMinor } = await paymentRow(ctx, paymentId);
  const seen = ctx.exchanges().length;
  await ctx.services.refunds.request({
    paymentId,
    reason: "conformance: refund whose money moves later",
    actor: ctx.staff,
  });
  const refundCalls = () =>
    ctx
      .exchanges()
      .slice(seen)
      .filter((e) => e.operation === "refund" || e.operation === "refund_query");
  // The server may hold a refund for a while (Alipay's night window): wait for its first call.
  const sendBy = (await scheduledUntil(ctx, paymentId)) + ctx.paymentDeadlineMs;
  while (refundCalls().length === 0 && ctx.timeline.clock.now().getTime() < sendBy)
    await ctx.settle(paymentId, ctx.timeline.stepMs);
  const first = refundCalls()[0];
  if (first === undefined) {
    checks.add("delayed refund: sent", false, "no refund sent");
    return;
  }
  const acceptedAt = Date.parse(first.at);
  // Well before the money moves: the gateway has accepted it, the server counts nothing yet.
  await ctx.settle(paymentId, delayMs / 2);
  const early = await ctx.db.refund.findMany({
    where: { paymentId },
    select: { state: true },
  });
  const tradeEarly = await sandbox.trade(partnerTransId);
  checks.add(
    "delayed refund: accepted by the gateway, not counted before the money moved",
    tradeEarly?.refundedMinor === 0 &&
      early.every((r) => r.state !== "succeeded") &&
      (await ticketCount(ctx, orderId)) === 1,
    `${(delayMs / 2000).toFixed(0)} s after the refund was sent: refund ${early.map((r) => r.state).join(", ") || "none"}, gateway refunded ${tradeEarly?.refundedMinor ?? "?"}, ${refundCalls()
      .map((e) => `${e.operation} ${e.outcome}`)
      .join(", ")}`,
  );
  const end = await settleRefund(ctx, paymentId);
  const done = await ctx.db.refund.findMany({
    where: { paymentId },
    select: { state: true, amountMinor: true, completedAt: true },
  });
  const tradeEnd = await sandbox.trade(partnerTransId);
  const completedAt = done[0]?.completedAt?.getTime();
  // The gateway said so (a refund query, or the refund resent with the same id) once it moved.
  const proof = refundCalls().find((e) => e.outcome === "refunded" && Date.parse(e.at) >= acceptedAt + delayMs);
  checks.add(
    "delayed refund: counted only once the gateway reported the money moved",
    end === "REFUNDED" &&
      done.length === 1 &&
      done[0]?.state === "succeeded" &&
      done[0].amountMinor === amountMinor &&
      completedAt !== undefined &&
      completedAt >= acceptedAt + delayMs &&
      tradeEnd?.refundedMinor === amountMinor &&
      proof !== undefined,
    `payment ${end}; refund ${JSON.stringify(done)}; gateway refunded ${tradeEnd?.refundedMinor ?? "?"}; ${refundCalls()
      .map((e) => `${e.operation} ${e.outcome}`)
      .join(", ")}`,
  );
}

/** The refund's answer is lost; the identical resend is answered "no money moved in this call". */
async function refundAnswerLost(ctx: StepContext, checks: Checks): Promise<void> {
  const sandbox = operatorOf(ctx);
  const code = requireCode(ctx, "refund_confirmed", "success");
  const { paymentId, orderId } = await ctx.buy(code);
  ctx.track(paymentId);
  if (!checks.equal("paid first", await ctx.settle(paymentId), "PAID")) return;
  const { partnerTransId, amountMinor } = await paymentRow(ctx, paymentId);
  const seen = ctx.exchanges().length;
  // The gateway refunds, then the answer is lost: the server resends the same refund, and the
  // gateway answers the repeat "done, no money moved in this call" (OpenAPI fund_change=N).
  await sandbox.setFaults({ dropNext: 1 });
  let end: string;
  try {
    await ctx.services.refunds.request({
      paymentId,
      reason: "conformance: refund confirmed by query",
      actor: ctx.staff,
    });
    end = await settleRefund(ctx, paymentId);
  } finally {
    await sandbox.setFaults({ dropNext: 0 });
  }
  checks.equal("payment state", end, "REFUNDED");
  const refunds = await ctx.db.refund.findMany({
    where: { paymentId },
    select: { state: true, amountMinor: true },
  });
  checks.add(
    "one refund, succeeded for the payment's amount",
    refunds.length === 1 && refunds[0]?.state === "succeeded" && refunds[0].amountMinor === amountMinor,
    JSON.stringify(refunds),
  );
  const trade = await sandbox.trade(partnerTransId);
  checks.add(
    "the gateway refunded the money once",
    trade?.refundedMinor === trade?.amountMinor,
    trade ? `${trade.refundedMinor} of ${trade.amountMinor} refunded` : "no trade",
  );
  checks.equal("valid tickets left", await ticketCount(ctx, orderId), 0);
  const ex = ctx.exchanges().slice(seen);
  const refundCalls = ex.filter((e) => e.operation === "refund");
  const [lost, ...resent] = refundCalls;
  checks.add(
    "the lost refund resent as the identical request",
    lost !== undefined && resent.length > 0 && resent.every((e) => e.repeatOf === lost.seq),
    refundCalls
      .map(
        (e) =>
          `#${e.seq} ${e.response ? `HTTP ${e.response.status}` : "no answer"} ${e.outcome}${e.repeatOf ? ` repeats #${e.repeatOf}` : ""}`,
      )
      .join(", ") || "no refund sent",
  );
  if (ctx.protocol !== "openapi") return;
  const noMoneyMoved = refundCalls.find((e) => /"fund_change"\s*:\s*"N"/.test(e.response?.body ?? ""));
  const confirmed = ex.find(
    (e) =>
      e.operation === "refund_query" &&
      e.outcome === "refunded" &&
      noMoneyMoved !== undefined &&
      e.seq > noMoneyMoved.seq,
  );
  checks.add(
    "fund_change=N counted only once the refund query (alipay.trade.fastpay.refund.query) confirmed it",
    noMoneyMoved !== undefined && confirmed !== undefined,
    noMoneyMoved === undefined
      ? "no refund answer with fund_change=N"
      : confirmed === undefined
        ? `refund #${noMoneyMoved.seq} answered fund_change=N (${noMoneyMoved.outcome}); no refund query confirmed it: ${ex.map((e) => `${e.operation} ${e.outcome}`).join(", ")}`
        : `refund #${noMoneyMoved.seq} fund_change=N (${noMoneyMoved.outcome}) → ${confirmed.apiName} #${confirmed.seq} ${confirmed.outcome}`,
  );
}

async function lateSuccessAfterCancel(ctx: StepContext, checks: Checks): Promise<void> {
  const sandbox = operatorOf(ctx);
  if (LATE_PAID === undefined)
    throw new Error("this sandbox has no scenario 0022 (unknown_late_paid: UNKNOW on pay, the charge lands later)");
  // 1. The charge lands while the server still cancels (inside the in-flight window after the
  //    pay): the cancel that found no trade is retried and reverses it.
  const early = await cancelledBeforeTheCharge(ctx, LATE_PAID, 10);
  const earlyEnd = await ctx.settle(early.paymentId);
  const earlyTrade = await sandbox.trade(early.partnerTransId);
  checks.add(
    "charge landing during the cancel: reversed, the payment CANCELLED",
    earlyEnd === "CANCELLED" && earlyTrade?.status === "TRADE_CLOSED" && earlyTrade.cancelAction === "refund",
    `payment ${earlyEnd}; gateway trade ${earlyTrade ? `${earlyTrade.status}${earlyTrade.cancelAction ? ` by ${earlyTrade.cancelAction}` : ""}` : "none"}`,
  );
  checks.equal("no tickets for the reversed charge", await ticketCount(ctx, early.orderId), 0);
  // 2. The charge lands after the server settled the cancel as "no trade": its signed
  //    success must reach a person, never be ignored.
  // The production cancel back-off settles a no-trade cancel within 60 s of the pay (the
  // in-flight window is 30 s); the charge lands after that.
  const lateSeconds = 75;
  const late = await cancelledBeforeTheCharge(ctx, LATE_PAID, lateSeconds);
  const lateEnd = await ctx.settle(late.paymentId);
  const before = await sandbox.trade(late.partnerTransId);
  checks.add(
    "cancel answered: no trade",
    lateEnd === "CANCELLED" && before === null,
    `payment ${lateEnd}; gateway trade ${before ? before.status : "none"}`,
  );
  const waitMs = late.startedAt + lateSeconds * 1000 - ctx.timeline.clock.now().getTime();
  await ctx.timeline.wait(Math.max(0, waitMs) + 1_000);
  const landed = await sandbox.trade(late.partnerTransId);
  if (landed?.status !== "TRADE_SUCCESS") {
    checks.add("the late charge landed", false, `gateway trade ${landed?.status ?? "none"}`);
    return;
  }
  const params = await sandbox.notification(late.partnerTransId, {});
  const outcome = await ctx.services.notify.handle(params);
  const after = await paymentRow(ctx, late.paymentId);
  const tickets = await ticketCount(ctx, late.orderId);
  checks.add(
    "late success after a no-trade cancel: not ignored, a person looks (NEEDS_ATTENTION)",
    after.state === "NEEDS_ATTENTION" && tickets === 0,
    `${after.state}${after.attentionReason ? ` (${after.attentionReason})` : ""}, ${tickets} ticket(s), notification ${outcome.result}`,
  );
}

/** A payment whose pay answered UNKNOW, the charge landing after `seconds`; the visitor cancels at once. */
async function cancelledBeforeTheCharge(ctx: StepContext, scenario: ScenarioId, seconds: number) {
  const startedAt = ctx.timeline.clock.now().getTime();
  const code = requireCode(ctx, "late_success_after_cancel", scenario, seconds);
  const { paymentId, orderId } = await ctx.buy(code);
  ctx.track(paymentId);
  await ctx.services.payments.cancel(paymentId, ctx.kiosk);
  const { partnerTransId } = await paymentRow(ctx, paymentId);
  return { paymentId, orderId, partnerTransId, startedAt };
}

export const PROOF_STEPS: StepDefinition[] = [
  {
    id: "notification_proof",
    title: "Signed notifications settle only what they prove: the payment's amount and currency, our merchant ids",
    needs: "operator",
    run: notificationProof,
  },
  {
    id: "refund_confirmed",
    title:
      "A refund counts only once money moved: a lost answer resent (fund_change=N), a refund whose money moves later; both confirmed by the refund query",
    needs: "operator",
    run: refundConfirmed,
  },
  {
    id: "late_success_after_cancel",
    title: "A cancel that found no trade still learns of a charge that lands later",
    needs: "operator",
    run: lateSuccessAfterCancel,
  },
];
