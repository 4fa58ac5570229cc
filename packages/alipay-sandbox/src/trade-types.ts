/**
 * What the trade engine is given and answers, protocol-neutral: pay / cancel / refund inputs and
 * outcomes, the response effects a gateway applies, and the events it emits.
 */
import type { SignType } from "@kiosk/alipay-core";
import type { Clock } from "./clock.ts";
import type { CurrencyInfo } from "./money.ts";
import type { PendingRefund, Protocol, Refund, SandboxStore, Trade } from "./store.ts";

export type TradeEvent =
  | { type: "trade_status"; trade: Trade }
  | {
      type: "refund";
      trade: Trade;
      refund: Refund;
      notifyUrl: string | undefined;
    };

export type TradeEngineOptions = {
  store: SandboxStore;
  clock: Clock;
  /** Initial CNY balance of every simulated buyer, fen. */
  initialBuyerBalanceCny: number;
  /** A waiting trade nobody resolves is closed after this long. */
  waitingTradeExpiryMs: number;
  onEvent: (event: TradeEvent) => void;
};

export type PayInput = {
  protocol: Protocol;
  merchantId: string;
  outTradeNo: string;
  buyerCode: string;
  amountMinor: number;
  currency: CurrencyInfo;
  subject: string;
  notifyUrl: string | undefined;
  signType: SignType;
  storeId: string | undefined;
  terminalId: string | undefined;
};

/** Transport-level behaviour a scenario asks for, applied by the HTTP layer after processing. */
export type ResponseEffects = {
  delaySeconds?: number;
  drop?: boolean;
  badSignature?: boolean;
};

export type PayFailure = "BUYER_BALANCE_NOT_ENOUGH" | "CODE_INVALID" | "TRADE_HAS_SUCCESS" | "TRADE_HAS_CLOSE";

export type PayOutcome =
  | { kind: "paid"; trade: Trade }
  | { kind: "waiting"; trade: Trade }
  | {
      kind: "failed";
      failure: PayFailure;
      detail: string;
      trade: Trade | undefined;
    }
  | { kind: "unknown"; trade: Trade | undefined }
  | { kind: "system_error"; trade: Trade | undefined }
  | { kind: "drop_before_processing" };

export type PayResult = { outcome: PayOutcome; effects: ResponseEffects };

export type CancelOutcome =
  | { kind: "cancelled"; action: "close" | "refund"; trade: Trade }
  | { kind: "not_found" }
  | {
      kind: "refused";
      code: "TRADE_STATUS_ERROR" | "REFUND_AMT_NOT_EQUAL_TOTAL";
      detail: string;
      trade: Trade;
    };

export type RefundInput = {
  merchantId: string;
  tradeNo?: string | undefined;
  outTradeNo?: string | undefined;
  outRefundNo: string;
  amountMinor: number;
  /** When given it must equal the trade's currency. */
  currency?: string | undefined;
  reason?: string | undefined;
  notifyUrl?: string | undefined;
};

export type RefundOutcome =
  | { kind: "refunded"; trade: Trade; refund: Refund; fundChange: boolean }
  /** Accepted, money not moved yet (scenario `refund_delayed`). */
  | { kind: "accepted"; trade: Trade; pending: PendingRefund }
  | { kind: "not_found" }
  | {
      kind: "refused";
      code: "TRADE_STATUS_ERROR" | "REFUND_AMT_NOT_EQUAL_TOTAL" | "DISCORDANT_REPEAT_REQUEST" | "CURRENCY_MISMATCH";
      detail: string;
      trade: Trade;
    };

/** What a refund query finds for (trade, refund request number). */
export type RefundLookup =
  | { kind: "executed"; trade: Trade; refund: Refund }
  | { kind: "pending"; trade: Trade; pending: PendingRefund }
  | { kind: "no_refund"; trade: Trade }
  | { kind: "no_trade" };

export type OperatorAction = "confirm" | "reject";

export type OperatorOutcome =
  { kind: "done"; trade: Trade } | { kind: "not_found" } | { kind: "not_waiting"; trade: Trade };
