/**
 * The business rules shared by both protocols: charging, waiting for the buyer, cancel,
 * refund, and the balances they move. Protocol modules translate these outcomes to the wire.
 */
import { toCnyMinor } from "./money.ts";
import { resolveScenario } from "./scenarios.ts";
import type { PendingRefund, Refund, SandboxStore, Trade } from "./store.ts";
import { beijingDay, DAY_MS } from "./time-format.ts";
import type {
  TradeEngineOptions,
  PayInput,
  PayOutcome,
  PayResult,
  CancelOutcome,
  RefundInput,
  RefundOutcome,
  RefundLookup,
  OperatorAction,
  OperatorOutcome,
} from "./trade-types.ts";

export type * from "./trade-types.ts";

export class TradeEngine {
  constructor(private readonly options: TradeEngineOptions) {}

  private get store(): SandboxStore {
    return this.options.store;
  }

  private now(): number {
    return this.options.clock.now();
  }

  /** Lands late pays, executes due delayed refunds and resolves waiting trades whose time has come (PIN confirmed / rejected / expired). */
  advance(): void {
    const now = this.now();
    this.executeDueRefunds(now);
    for (const late of this.store.takeDueLatePays(now)) {
      // It reached the gateway before any cancel, so a cancel that found nothing does not stop it.
      if (
        this.store.findTrade(late.input.merchantId, {
          outTradeNo: late.input.outTradeNo,
        }) !== undefined
      )
        continue;
      const trade = this.createTrade(late.input, "unknown_late_paid", late.parameter, late.landsAt);
      this.charge(trade, late.landsAt);
      this.options.onEvent({ type: "trade_status", trade });
    }
    for (const trade of this.store.takeDueWaiting(now)) {
      const at = trade.waitUntil!; // takeDueWaiting returns only trades still waiting, with their time
      if (trade.waitOutcome === "confirm") this.charge(trade, at);
      else this.close(trade, trade.waitOutcome === "reject" ? "buyer_rejected" : "expired", at);
      this.options.onEvent({ type: "trade_status", trade });
    }
  }

  pay(input: PayInput): PayResult {
    this.advance();
    const existing = this.store.findTrade(input.merchantId, {
      outTradeNo: input.outTradeNo,
    });
    if (existing !== undefined) {
      if (this.shouldFailWithSystemError(existing, "pay"))
        return {
          outcome: { kind: "system_error", trade: existing },
          effects: {},
        };
      return { outcome: this.repeatedPay(existing), effects: {} };
    }
    if (this.store.isBlocked(input.merchantId, input.outTradeNo)) {
      return {
        outcome: {
          kind: "failed",
          failure: "TRADE_HAS_CLOSE",
          detail: "out_trade_no was cancelled before payment",
          trade: undefined,
        },
        effects: {},
      };
    }
    const resolved = resolveScenario(input.buyerCode);
    if (resolved === undefined) {
      return {
        outcome: {
          kind: "failed",
          failure: "CODE_INVALID",
          detail: "payment code is not a valid Alipay code",
          trade: undefined,
        },
        effects: {},
      };
    }
    const { scenario, parameter } = resolved;
    switch (scenario.id) {
      // SYSTEM_ERROR before processing for the first K pays; pay K+1 goes on as a success.
      case "system_error_no_trade":
        if (this.store.consumeSystemErrorFor(input.merchantId, input.outTradeNo, "pay", parameter))
          return {
            outcome: { kind: "system_error", trade: undefined },
            effects: {},
          };
        break;
      case "expired_code":
        return {
          outcome: {
            kind: "failed",
            failure: "CODE_INVALID",
            detail: "payment code has expired",
            trade: undefined,
          },
          effects: {},
        };
      case "dropped_before_processing":
        return {
          outcome: { kind: "drop_before_processing" },
          effects: { drop: true },
        };
      case "unknown_not_created":
        return { outcome: { kind: "unknown", trade: undefined }, effects: {} };
      case "unknown_late_paid":
        if (!this.store.hasLatePay(input.merchantId, input.outTradeNo))
          this.store.addLatePay({
            input,
            landsAt: this.now() + parameter * 1000,
            parameter,
          });
        return { outcome: { kind: "unknown", trade: undefined }, effects: {} };
      default:
        break;
    }

    const now = this.now();
    const trade = this.createTrade(input, scenario.id, parameter, now);
    switch (scenario.id) {
      case "insufficient_balance":
        this.close(trade, "pay_failed", now, "BUYER_BALANCE_NOT_ENOUGH");
        return {
          outcome: {
            kind: "failed",
            failure: "BUYER_BALANCE_NOT_ENOUGH",
            detail: "buyer balance is not enough",
            trade,
          },
          effects: {},
        };
      case "pin_wait_confirm":
      case "pin_wait_reject":
        trade.waitUntil = now + parameter * 1000;
        trade.waitOutcome = scenario.id === "pin_wait_confirm" ? "confirm" : "reject";
        this.store.startWaiting(trade);
        return { outcome: { kind: "waiting", trade }, effects: {} };
      case "pin_wait_never":
        trade.waitUntil = now + this.options.waitingTradeExpiryMs;
        trade.waitOutcome = "expire";
        this.store.startWaiting(trade);
        return { outcome: { kind: "waiting", trade }, effects: {} };
      default:
        break;
    }

    this.charge(trade, now);
    if (trade.status !== "TRADE_SUCCESS") {
      return {
        outcome: {
          kind: "failed",
          failure: "BUYER_BALANCE_NOT_ENOUGH",
          detail: "buyer balance is not enough",
          trade,
        },
        effects: {},
      };
    }
    this.options.onEvent({ type: "trade_status", trade });
    switch (scenario.id) {
      case "unknown_paid":
        return { outcome: { kind: "unknown", trade }, effects: {} };
      case "system_error":
        return {
          outcome: this.store.consumeSystemError(trade, "pay", parameter)
            ? { kind: "system_error", trade }
            : { kind: "paid", trade },
          effects: {},
        };
      case "slow_response":
        return {
          outcome: { kind: "paid", trade },
          effects: { delaySeconds: parameter },
        };
      case "dropped_connection":
        return { outcome: { kind: "paid", trade }, effects: { drop: true } };
      case "bad_signature":
        return {
          outcome: { kind: "paid", trade },
          effects: { badSignature: true },
        };
      default:
        return { outcome: { kind: "paid", trade }, effects: {} };
    }
  }

  /**
   * True when this call must answer SYSTEM_ERROR because the trade's payment code asked for
   * "SYSTEM_ERROR on the first K calls of every service".
   */
  shouldFailWithSystemError(
    trade: Trade | undefined,
    service: "pay" | "query" | "cancel" | "refund" | "refund_query",
  ): boolean {
    if (service === "cancel" && this.store.faults.cancelSystemErrorNext > 0) {
      this.store.faults.cancelSystemErrorNext -= 1;
      return true;
    }
    if (trade === undefined || trade.scenario !== "system_error") return false;
    return this.store.consumeSystemError(trade, service, trade.scenarioParameter);
  }

  query(merchantId: string, ids: { tradeNo?: string | undefined; outTradeNo?: string | undefined }): Trade | undefined {
    this.advance();
    return this.store.findTrade(merchantId, ids);
  }

  find(merchantId: string, ids: { tradeNo?: string | undefined; outTradeNo?: string | undefined }): Trade | undefined {
    this.advance();
    return this.store.findTrade(merchantId, ids);
  }

  /**
   * Cancel: closes an unpaid trade, reverses a paid one. A paid trade can only be reversed
   * inside `reversalWindow` (MAPI: same Beijing day; OpenAPI: 24 h after creation), and only
   * while nothing has been refunded.
   */
  cancel(trade: Trade, reversalWindow: "same_beijing_day" | "24_hours"): CancelOutcome {
    this.advance();
    const now = this.now();
    if (trade.status === "TRADE_CLOSED") {
      // Cancelling again is idempotent; a trade closed for another reason is already "closed".
      return {
        kind: "cancelled",
        action: trade.cancelAction ?? "close",
        trade,
      };
    }
    if (trade.status === "WAIT_BUYER_PAY") {
      this.close(trade, "cancelled", now);
      trade.cancelAction = "close";
      this.options.onEvent({ type: "trade_status", trade });
      return { kind: "cancelled", action: "close", trade };
    }
    const paidAt = trade.paidAt ?? trade.createdAt;
    const inWindow =
      reversalWindow === "same_beijing_day" ? beijingDay(paidAt) === beijingDay(now) : now - trade.createdAt <= DAY_MS;
    if (!inWindow) {
      return {
        kind: "refused",
        code: "TRADE_STATUS_ERROR",
        detail:
          reversalWindow === "same_beijing_day"
            ? "a paid trade can only be cancelled on its payment day (GMT+8); use refund"
            : "a paid trade can only be cancelled within 24 hours; use refund",
        trade,
      };
    }
    if (trade.refundedMinor > 0 || this.store.pendingRefunds.some((r) => r.tradeNo === trade.tradeNo)) {
      return {
        kind: "refused",
        code: "REFUND_AMT_NOT_EQUAL_TOTAL",
        detail: "the trade is partially refunded; refund the rest instead of cancelling",
        trade,
      };
    }
    const refund = this.moveRefund(trade, {
      outRefundNo: `CANCEL-${trade.tradeNo}`,
      amountMinor: trade.amountMinor,
      kind: "cancel",
      reason: "cancel",
    });
    trade.cancelAction = "refund";
    this.close(trade, "cancelled", now);
    this.options.onEvent({
      type: "refund",
      trade,
      refund,
      notifyUrl: undefined,
    });
    this.options.onEvent({ type: "trade_status", trade });
    return { kind: "cancelled", action: "refund", trade };
  }

  /** A refund query: the executed refund, the accepted-but-pending one, or none. */
  findRefund(
    merchantId: string,
    ids: { tradeNo?: string | undefined; outTradeNo?: string | undefined },
    outRefundNo: string,
  ): RefundLookup {
    this.advance();
    const trade = this.store.findTrade(merchantId, ids);
    if (trade === undefined) return { kind: "no_trade" };
    const refund = this.store.refundsOf(trade.tradeNo).find((r) => r.outRefundNo === outRefundNo);
    if (refund !== undefined) return { kind: "executed", trade, refund };
    const pending = this.store.pendingRefunds.find((r) => r.tradeNo === trade.tradeNo && r.outRefundNo === outRefundNo);
    if (pending !== undefined) return { kind: "pending", trade, pending };
    return { kind: "no_refund", trade };
  }

  private executeDueRefunds(now: number): void {
    const due = this.store.pendingRefunds.filter((r) => r.executeAt <= now);
    if (due.length === 0) return;
    for (const pending of due) {
      this.store.pendingRefunds.splice(this.store.pendingRefunds.indexOf(pending), 1);
      const trade = this.store.trades.get(pending.tradeNo);
      if (trade === undefined) continue;
      const refund = this.moveRefund(trade, {
        outRefundNo: pending.outRefundNo,
        amountMinor: pending.amountMinor,
        kind: "refund",
        reason: pending.reason,
      });
      if (trade.refundedMinor === trade.amountMinor) this.close(trade, "refunded", now);
      this.options.onEvent({
        type: "refund",
        trade,
        refund,
        notifyUrl: pending.notifyUrl,
      });
    }
  }

  refund(input: RefundInput): RefundOutcome {
    this.advance();
    const trade = this.store.findTrade(input.merchantId, {
      tradeNo: input.tradeNo,
      outTradeNo: input.outTradeNo,
    });
    if (trade === undefined) return { kind: "not_found" };
    const accepted = this.store.pendingRefunds.find(
      (r) => r.tradeNo === trade.tradeNo && r.outRefundNo === input.outRefundNo,
    );
    if (accepted !== undefined) {
      if (accepted.amountMinor === input.amountMinor) return { kind: "accepted", trade, pending: accepted };
      return {
        kind: "refused",
        code: "DISCORDANT_REPEAT_REQUEST",
        detail: `refund id ${input.outRefundNo} was already used with a different amount`,
        trade,
      };
    }
    const previous = this.store.refundsOf(trade.tradeNo).find((r) => r.outRefundNo === input.outRefundNo);
    if (previous !== undefined) {
      if (previous.amountMinor === input.amountMinor)
        return { kind: "refunded", trade, refund: previous, fundChange: false };
      return {
        kind: "refused",
        code: "DISCORDANT_REPEAT_REQUEST",
        detail: `refund id ${input.outRefundNo} was already used with a different amount`,
        trade,
      };
    }
    if (input.currency !== undefined && input.currency !== trade.currency) {
      return {
        kind: "refused",
        code: "CURRENCY_MISMATCH",
        detail: `the trade is in ${trade.currency}`,
        trade,
      };
    }
    if (trade.paidAt === undefined || trade.cancelAction !== undefined) {
      return {
        kind: "refused",
        code: "TRADE_STATUS_ERROR",
        detail: trade.cancelAction !== undefined ? "the trade was cancelled" : "the trade is not paid",
        trade,
      };
    }
    const refundable =
      trade.amountMinor -
      trade.refundedMinor -
      this.store.pendingRefunds.filter((r) => r.tradeNo === trade.tradeNo).reduce((sum, r) => sum + r.amountMinor, 0);
    if (input.amountMinor > refundable) {
      return {
        kind: "refused",
        code: "REFUND_AMT_NOT_EQUAL_TOTAL",
        detail: `refund amount exceeds the refundable amount (${refundable} minor units left)`,
        trade,
      };
    }
    if (trade.scenario === "refund_delayed") {
      const pending: PendingRefund = {
        tradeNo: trade.tradeNo,
        merchantId: trade.merchantId,
        outRefundNo: input.outRefundNo,
        amountMinor: input.amountMinor,
        reason: input.reason,
        notifyUrl: input.notifyUrl,
        acceptedAt: this.now(),
        executeAt: this.now() + trade.scenarioParameter * 1000,
      };
      this.store.pendingRefunds.push(pending);
      return { kind: "accepted", trade, pending };
    }
    const refund = this.moveRefund(trade, {
      outRefundNo: input.outRefundNo,
      amountMinor: input.amountMinor,
      kind: "refund",
      reason: input.reason,
    });
    if (trade.refundedMinor === trade.amountMinor) {
      this.close(trade, "refunded", this.now());
    }
    this.options.onEvent({
      type: "refund",
      trade,
      refund,
      notifyUrl: input.notifyUrl,
    });
    return { kind: "refunded", trade, refund, fundChange: true };
  }

  /** The operator plays the buyer on a waiting trade. */
  operate(tradeNo: string, action: OperatorAction): OperatorOutcome {
    this.advance();
    const trade = this.store.trades.get(tradeNo);
    if (trade === undefined) return { kind: "not_found" };
    if (trade.status !== "WAIT_BUYER_PAY") return { kind: "not_waiting", trade };
    const now = this.now();
    if (action === "confirm") this.charge(trade, now);
    else this.close(trade, "operator_rejected", now);
    this.options.onEvent({ type: "trade_status", trade });
    return { kind: "done", trade };
  }

  /** True while a pay for this `out_trade_no` is in the gateway but not yet in the ledger. */
  hasLatePay(merchantId: string, outTradeNo: string | undefined): boolean {
    return outTradeNo !== undefined && this.store.hasLatePay(merchantId, outTradeNo);
  }

  /** Blocks an `out_trade_no` so a late pay is refused (OpenAPI cancel of a trade not yet created). */
  block(merchantId: string, outTradeNo: string): void {
    this.store.block(merchantId, outTradeNo);
  }

  merchantAccount(merchantId: string): {
    accountId: string;
    balances: Record<string, number>;
  } {
    let account = this.store.accounts.get(merchantId);
    if (account === undefined) {
      account = {
        accountId: merchantId,
        kind: "merchant",
        name: merchantId,
        balances: {},
      };
      this.store.accounts.set(merchantId, account);
    }
    return account;
  }

  private buyerAccount(trade: Trade): { balances: Record<string, number> } {
    let account = this.store.accounts.get(trade.buyerUserId);
    if (account === undefined) {
      account = {
        accountId: trade.buyerUserId,
        kind: "buyer",
        name: trade.buyerLoginId,
        balances: { CNY: this.options.initialBuyerBalanceCny },
      };
      this.store.accounts.set(trade.buyerUserId, account);
    }
    return account;
  }

  private repeatedPay(trade: Trade): PayOutcome {
    if (trade.status === "TRADE_SUCCESS") {
      return {
        kind: "failed",
        failure: "TRADE_HAS_SUCCESS",
        detail: "the trade is already paid",
        trade,
      };
    }
    if (trade.status === "TRADE_CLOSED") {
      return {
        kind: "failed",
        failure: "TRADE_HAS_CLOSE",
        detail: "the trade is closed",
        trade,
      };
    }
    return { kind: "waiting", trade };
  }

  private createTrade(input: PayInput, scenario: Trade["scenario"], parameter: number, now: number): Trade {
    const buyerDigits = input.buyerCode.slice(2, 10).padStart(8, "0");
    const tradeNo = `${beijingDay(now)}22001${buyerDigits.slice(-4)}${String(this.store.nextSequence()).padStart(11, "0")}`;
    const cnyAmountMinor = toCnyMinor(input.amountMinor, input.currency);
    const trade: Trade = {
      tradeNo,
      protocol: input.protocol,
      merchantId: input.merchantId,
      outTradeNo: input.outTradeNo,
      subject: input.subject,
      currency: input.currency.code,
      amountMinor: input.amountMinor,
      cnyAmountMinor,
      exchangeRate: input.currency.cnyRate,
      buyerCode: input.buyerCode,
      scenario,
      scenarioParameter: parameter,
      buyerUserId: `20881000${buyerDigits}`,
      buyerLoginId: `138****${buyerDigits.slice(-4)}`,
      status: "WAIT_BUYER_PAY",
      createdAt: now,
      paidAt: undefined,
      closedAt: undefined,
      closeReason: undefined,
      failureCode: undefined,
      waitUntil: undefined,
      waitOutcome: undefined,
      refundedMinor: 0,
      refundedCnyMinor: 0,
      cancelAction: undefined,
      notifyUrl: input.notifyUrl,
      signType: input.signType,
      storeId: input.storeId,
      terminalId: input.terminalId,
    };
    this.store.addTrade(trade);
    this.buyerAccount(trade);
    return trade;
  }

  private charge(trade: Trade, at: number): void {
    const buyer = this.buyerAccount(trade);
    const balance = buyer.balances["CNY"] ?? 0;
    if (balance < trade.cnyAmountMinor) {
      this.close(trade, "pay_failed", at, "BUYER_BALANCE_NOT_ENOUGH");
      return;
    }
    buyer.balances["CNY"] = balance - trade.cnyAmountMinor;
    const merchant = this.merchantAccount(trade.merchantId);
    merchant.balances[trade.currency] = (merchant.balances[trade.currency] ?? 0) + trade.amountMinor;
    trade.status = "TRADE_SUCCESS";
    trade.paidAt = at;
    trade.waitUntil = undefined;
    trade.waitOutcome = undefined;
  }

  private close(trade: Trade, reason: NonNullable<Trade["closeReason"]>, at: number, failureCode?: string): void {
    trade.status = "TRADE_CLOSED";
    trade.closeReason = reason;
    trade.closedAt = at;
    trade.waitUntil = undefined;
    trade.waitOutcome = undefined;
    if (failureCode !== undefined) trade.failureCode = failureCode;
  }

  private moveRefund(
    trade: Trade,
    spec: {
      outRefundNo: string;
      amountMinor: number;
      kind: Refund["kind"];
      reason: string | undefined;
    },
  ): Refund {
    const isLast = trade.refundedMinor + spec.amountMinor === trade.amountMinor;
    // The last refund takes whatever CNY is left so rounding never leaves a fen behind.
    const cnyAmountMinor = isLast
      ? trade.cnyAmountMinor - trade.refundedCnyMinor
      : Math.round((spec.amountMinor * trade.cnyAmountMinor) / trade.amountMinor);
    const buyer = this.buyerAccount(trade);
    buyer.balances["CNY"] = (buyer.balances["CNY"] ?? 0) + cnyAmountMinor;
    const merchant = this.merchantAccount(trade.merchantId);
    merchant.balances[trade.currency] = (merchant.balances[trade.currency] ?? 0) - spec.amountMinor;
    trade.refundedMinor += spec.amountMinor;
    trade.refundedCnyMinor += cnyAmountMinor;
    const refund: Refund = {
      refundNo: `${trade.tradeNo}R${String(this.store.nextSequence()).padStart(6, "0")}`,
      tradeNo: trade.tradeNo,
      merchantId: trade.merchantId,
      outRefundNo: spec.outRefundNo,
      kind: spec.kind,
      amountMinor: spec.amountMinor,
      cnyAmountMinor,
      currency: trade.currency,
      reason: spec.reason,
      createdAt: this.now(),
    };
    this.store.refunds.push(refund);
    return refund;
  }
}
