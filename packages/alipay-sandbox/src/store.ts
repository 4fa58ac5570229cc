/**
 * In-memory records of the sandbox: accounts, trades, refunds. Plain data plus lookups;
 * the rules that change them live in `trade-engine.ts`.
 */
import type { SignType } from "@kiosk/alipay-core";
import type { ScenarioId } from "./scenarios.ts";
import type { PayInput } from "./trade-engine.ts";

export type Protocol = "mapi" | "openapi" | "antom";

/** Wire trade status (both protocols use these values). */
export type TradeStatus = "WAIT_BUYER_PAY" | "TRADE_SUCCESS" | "TRADE_CLOSED";

export type CloseReason = "pay_failed" | "cancelled" | "refunded" | "buyer_rejected" | "expired" | "operator_rejected";

export type Trade = {
  /** Alipay trade id (`alipay_trans_id` / `trade_no`), 28 digits. */
  tradeNo: string;
  protocol: Protocol;
  /** Partner id (MAPI) or app id (OpenAPI). */
  merchantId: string;
  /** `partner_trans_id` / `out_trade_no`. */
  outTradeNo: string;
  subject: string;
  currency: string;
  amountMinor: number;
  /** What the buyer pays, in CNY fen. */
  cnyAmountMinor: number;
  exchangeRate: string;
  buyerCode: string;
  scenario: ScenarioId;
  scenarioParameter: number;
  buyerUserId: string;
  buyerLoginId: string;
  status: TradeStatus;
  createdAt: number;
  paidAt: number | undefined;
  closedAt: number | undefined;
  closeReason: CloseReason | undefined;
  /** Business error code of a failed pay (e.g. `BUYER_BALANCE_NOT_ENOUGH`). */
  failureCode: string | undefined;
  /** When a waiting trade resolves by itself, and how. */
  waitUntil: number | undefined;
  waitOutcome: "confirm" | "reject" | "expire" | undefined;
  refundedMinor: number;
  refundedCnyMinor: number;
  /** Set once cancelled: `close` (was unpaid) or `refund` (paid, reversed). */
  cancelAction: "close" | "refund" | undefined;
  notifyUrl: string | undefined;
  /** sign_type of the pay request; notifications are signed the same way. */
  signType: SignType;
  storeId: string | undefined;
  terminalId: string | undefined;
};

export type Refund = {
  refundNo: string;
  tradeNo: string;
  merchantId: string;
  /** `partner_refund_id` / `out_request_no`; cancel reversals use `CANCEL-<tradeNo>`. */
  outRefundNo: string;
  kind: "refund" | "cancel";
  amountMinor: number;
  cnyAmountMinor: number;
  currency: string;
  reason: string | undefined;
  createdAt: number;
};

/** A refund Alipay accepted but has not executed yet (scenario `refund_delayed`): no money moved. */
export type PendingRefund = {
  tradeNo: string;
  merchantId: string;
  outRefundNo: string;
  amountMinor: number;
  reason: string | undefined;
  notifyUrl: string | undefined;
  acceptedAt: number;
  /** Sandbox-clock time at which the money moves. */
  executeAt: number;
};

export type AccountKind = "merchant" | "buyer";

export type Account = {
  accountId: string;
  kind: AccountKind;
  /** Merchant name, or the buyer's masked login id. */
  name: string;
  /** Balance per currency, minor units. Buyers hold CNY. */
  balances: Record<string, number>;
};

export type NotificationDelivery = {
  id: string;
  notifyId: string;
  url: string;
  /**
   * Form fields, already signed; for Antom (`format: "antom"`) the signed message's pieces:
   * `path`, `body` (JSON), `signature`, `request-time`, `client-id`.
   */
  params: Record<string, string>;
  /** How it is sent: a form POST acknowledged by `success` (MAPI / OpenAPI, the default) or Antom's JSON. */
  format?: "form" | "antom";
  tradeNo: string;
  attempts: number;
  status: "pending" | "in_flight" | "delivered" | "gave_up";
  nextAttemptAt: number;
  lastResponse: string | undefined;
  lastError: string | undefined;
  /** Extra copies still to send after delivery (fault injection). */
  duplicatesLeft: number;
  createdAt: number;
};

/** A pay the gateway holds before it reaches the ledger (scenario `unknown_late_paid`). */
export type LatePay = {
  input: PayInput;
  /** Sandbox time when it charges. */
  landsAt: number;
  parameter: number;
};

/** Faults that apply to the next calls regardless of payment code (operator API `/sandbox/faults`). */
export type FaultSettings = {
  /** The next N gateway calls (any service, after signature check) answer SYSTEM_ERROR. */
  systemErrorNext: number;
  /** The next N cancel calls (either protocol, any trade) answer SYSTEM_ERROR, retryable, before processing. */
  cancelSystemErrorNext: number;
  /** The next N gateway calls are processed, then the connection is destroyed. */
  dropNext: number;
  /** The next N signed responses carry a corrupted signature. */
  badSignatureNext: number;
  /** Extra real delay before every gateway answer, ms. */
  slowResponseMs: number;
  /** Send every notification twice. */
  duplicateNotifications: boolean;
};

export const DEFAULT_FAULTS: FaultSettings = {
  systemErrorNext: 0,
  cancelSystemErrorNext: 0,
  dropNext: 0,
  badSignatureNext: 0,
  slowResponseMs: 0,
  duplicateNotifications: false,
};

function tradeKey(merchantId: string, outTradeNo: string): string {
  return `${merchantId}\u0000${outTradeNo}`;
}

export class SandboxStore {
  readonly trades = new Map<string, Trade>();
  /**
   * Trades told to wait for the buyer (`waitUntil` set), in the order they started waiting: what
   * the engine's `advance` looks at on every request, instead of every trade the sandbox ever held
   * (a bench's tens of thousands). A trade that stopped waiting leaves it on the next look.
   */
  private readonly waiting = new Set<Trade>();
  readonly refunds: Refund[] = [];
  /** Accepted, not yet executed refunds (they are in no bill until executed). */
  readonly pendingRefunds: PendingRefund[] = [];
  readonly accounts = new Map<string, Account>();
  readonly notifications: NotificationDelivery[] = [];
  /** Pays that reached the gateway but land in the ledger later (`unknown_late_paid`), by trade key. */
  readonly latePays = new Map<string, LatePay>();
  /** `out_trade_no`s closed by a cancel before any pay arrived (OpenAPI). */
  readonly blockedOutTradeNos = new Set<string>();
  /** Calls already failed with SYSTEM_ERROR, per trade key and service. */
  readonly systemErrorCounts = new Map<string, number>();
  /** Which merchant RSA key verified requests, by key fingerprint (MAPI): count, first and last time. */
  readonly keyUse = new Map<string, { partnerId: string; requests: number; firstAt: number; lastAt: number }>();
  /** Issued bill files by download token. */
  readonly bills = new Map<string, { fileName: string; body: Buffer; contentType: string; expiresAt: number }>();
  faults: FaultSettings = { ...DEFAULT_FAULTS };
  private readonly byOutTradeNo = new Map<string, string>();
  private sequence = 0;

  nextSequence(): number {
    this.sequence += 1;
    return this.sequence;
  }

  addTrade(trade: Trade): void {
    this.trades.set(trade.tradeNo, trade);
    this.byOutTradeNo.set(tradeKey(trade.merchantId, trade.outTradeNo), trade.tradeNo);
  }

  /** Finds a merchant's trade; `tradeNo` wins when both are given (reference §1.5, §3a). */
  findTrade(
    merchantId: string,
    ids: { tradeNo?: string | undefined; outTradeNo?: string | undefined },
  ): Trade | undefined {
    if (ids.tradeNo !== undefined && ids.tradeNo !== "") {
      const trade = this.trades.get(ids.tradeNo);
      return trade !== undefined && trade.merchantId === merchantId ? trade : undefined;
    }
    if (ids.outTradeNo !== undefined && ids.outTradeNo !== "") {
      const tradeNo = this.byOutTradeNo.get(tradeKey(merchantId, ids.outTradeNo));
      return tradeNo === undefined ? undefined : this.trades.get(tradeNo);
    }
    return undefined;
  }

  addLatePay(latePay: LatePay): void {
    this.latePays.set(tradeKey(latePay.input.merchantId, latePay.input.outTradeNo), latePay);
  }

  hasLatePay(merchantId: string, outTradeNo: string): boolean {
    return this.latePays.has(tradeKey(merchantId, outTradeNo));
  }

  /** Removes and returns the late pays due at `now`, oldest first. */
  takeDueLatePays(now: number): LatePay[] {
    const due = [...this.latePays.entries()]
      .filter(([, p]) => p.landsAt <= now)
      .sort(([, a], [, b]) => a.landsAt - b.landsAt);
    for (const [key] of due) this.latePays.delete(key);
    return due.map(([, p]) => p);
  }

  startWaiting(trade: Trade): void {
    this.waiting.add(trade);
  }

  /** Removes and returns the waiting trades due at `now` (and forgets those no longer waiting), in the order they started waiting. */
  takeDueWaiting(now: number): Trade[] {
    const due: Trade[] = [];
    for (const trade of this.waiting) {
      const isWaiting = trade.status === "WAIT_BUYER_PAY" && trade.waitUntil !== undefined;
      if (isWaiting && trade.waitUntil! > now) continue;
      this.waiting.delete(trade);
      if (isWaiting) due.push(trade);
    }
    return due;
  }

  isBlocked(merchantId: string, outTradeNo: string): boolean {
    return this.blockedOutTradeNos.has(tradeKey(merchantId, outTradeNo));
  }

  block(merchantId: string, outTradeNo: string): void {
    this.blockedOutTradeNos.add(tradeKey(merchantId, outTradeNo));
  }

  /** Counts one SYSTEM_ERROR budget use; returns true while the budget lasts. */
  consumeSystemError(trade: Trade, service: string, budget: number): boolean {
    return this.consumeSystemErrorFor(trade.merchantId, trade.outTradeNo, service, budget);
  }

  /** The same budget by merchant and `out_trade_no`, for calls that create no trade. */
  consumeSystemErrorFor(merchantId: string, outTradeNo: string, service: string, budget: number): boolean {
    const key = `${tradeKey(merchantId, outTradeNo)}\u0000${service}`;
    const used = this.systemErrorCounts.get(key) ?? 0;
    if (used >= budget) return false;
    this.systemErrorCounts.set(key, used + 1);
    return true;
  }

  refundsOf(tradeNo: string): Refund[] {
    return this.refunds.filter((r) => r.tradeNo === tradeNo);
  }

  listTrades(): Trade[] {
    return [...this.trades.values()].sort((a, b) => b.createdAt - a.createdAt || b.tradeNo.localeCompare(a.tradeNo));
  }

  listAccounts(): Account[] {
    return [...this.accounts.values()];
  }

  /** Forgets every trade, refund, notification, bill and fault; accounts go back to `initial`. */
  reset(initialAccounts: readonly Account[]): void {
    this.trades.clear();
    this.waiting.clear();
    this.byOutTradeNo.clear();
    this.refunds.length = 0;
    this.pendingRefunds.length = 0;
    this.notifications.length = 0;
    this.blockedOutTradeNos.clear();
    this.latePays.clear();
    this.systemErrorCounts.clear();
    this.keyUse.clear();
    this.bills.clear();
    this.faults = { ...DEFAULT_FAULTS };
    this.accounts.clear();
    for (const account of initialAccounts) {
      this.accounts.set(account.accountId, Object.assign({}, account, { balances: { ...account.balances } }));
    }
  }

  /** JSON-safe copy for the operator API and persistence. */
  snapshot(): {
    trades: Trade[];
    refunds: Refund[];
    accounts: Account[];
    notifications: NotificationDelivery[];
  } {
    return structuredClone({
      trades: this.listTrades(),
      refunds: [...this.refunds],
      accounts: this.listAccounts(),
      notifications: [...this.notifications],
    });
  }
}
