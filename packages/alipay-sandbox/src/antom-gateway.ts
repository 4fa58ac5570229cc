/**
 * Antom (AMS, Alipay+) in-store gateway: `POST /ams/api/v1/payments/{pay,inquiryPayment,cancel,
 * refund,inquiryRefund}`, JSON bodies, RSA256 `Signature` header over
 * `POST <path>\n<client-id>.<request-time>.<body>` verified with the client's public key; answers
 * signed the same way over `response-time`. Same trade engine and scenario table as MAPI /
 * OpenAPI; the wallet (Alipay+ partner) is chosen by the code's third digit (see `walletForCode`).
 */
import {
  ANTOM_WALLETS,
  buildAntomSignContent,
  formatAntomSignatureHeader,
  signAntomContent,
  verifyAntomMessage,
  type AntomWallet,
} from "@kiosk/alipay-core";
import type { GatewayContext, GatewayReply, ResolvedAntomClient } from "./gateway-context.ts";
import { currencyInfo, type CurrencyInfo } from "./money.ts";
import type { Trade } from "./store.ts";
import type { PayOutcome, ResponseEffects } from "./trade-engine.ts";

export const ANTOM_PREFIX = "/ams/api/v1/payments/";

const OPERATIONS = ["pay", "inquiryPayment", "cancel", "refund", "inquiryRefund"] as const;
type Operation = (typeof OPERATIONS)[number];

type Body = Record<string, unknown>;

type Call = { ctx: GatewayContext; path: string; client: ResolvedAntomClient; body: Body };

const JSON_CONTENT_TYPE = "application/json; charset=UTF-8";
const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The Alipay+ wallet of a payment code: its third digit (the first "free" digit of a scenario
 * code) — 0 Alipay, 1 AlipayHK, 2 GCash, 3 Kakao Pay, 4 Touch 'n Go, 5 TrueMoney, 6 DANA;
 * 7–9 Alipay.
 */
export function walletForCode(code: string): AntomWallet {
  const digit = Number(code.charAt(2));
  return ANTOM_WALLETS[digit] ?? (ANTOM_WALLETS[0] as AntomWallet);
}

function result(resultStatus: "S" | "F" | "U", resultCode: string, resultMessage: string): Body {
  return { result: { resultStatus, resultCode, resultMessage } };
}

/** A signed answer: `response-time` from the sandbox clock, the signature over the exact body text. */
function signedReply(call: Call, body: Body, effects?: ResponseEffects): GatewayReply {
  const text = JSON.stringify(body);
  const responseTime = new Date(call.ctx.clock.now()).toISOString();
  let signature = signAntomContent(
    buildAntomSignContent({
      method: "POST",
      path: call.path,
      clientId: call.client.clientId,
      time: responseTime,
      body: text,
    }),
    call.ctx.gatewayPrivateKey,
  );
  if (call.ctx.takeBadSignature(effects?.badSignature))
    signature = `${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`;
  return {
    status: 200,
    contentType: JSON_CONTENT_TYPE,
    body: text,
    headers: {
      "client-id": call.client.clientId,
      "response-time": responseTime,
      signature: formatAntomSignatureHeader("1", signature),
    },
    ...(effects !== undefined ? { effects } : {}),
  };
}

/** An unsigned refusal (no client to sign for, or the request signature failed). */
function unsignedReply(code: string, message: string): GatewayReply {
  return {
    status: 200,
    contentType: JSON_CONTENT_TYPE,
    body: JSON.stringify(result("F", code, message)),
    detail: message,
  };
}

function str(body: Body | undefined, key: string): string | undefined {
  const value = body?.[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}

function obj(body: Body | undefined, key: string): Body | undefined {
  const value = body?.[key];
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Body) : undefined;
}

function readAmount(body: Body, key: string): { minor: number; currency: CurrencyInfo } | string {
  const amount = obj(body, key);
  const currency = currencyInfo(str(amount, "currency") ?? "");
  const value = str(amount, "value");
  if (currency === undefined) return `${key}.currency is missing or not supported`;
  if (value === undefined || !/^[1-9]\d{0,14}$/.test(value))
    return `${key}.value must be a positive integer of minor units`;
  return { minor: Number(value), currency };
}

function isoTime(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

function tradeAmount(trade: Trade): Body {
  return { currency: trade.currency, value: String(trade.amountMinor) };
}

function paymentBody(trade: Trade): Body {
  const wallet = walletForCode(trade.buyerCode);
  return {
    paymentRequestId: trade.outTradeNo,
    paymentId: trade.tradeNo,
    paymentAmount: tradeAmount(trade),
    paymentCreateTime: isoTime(trade.createdAt),
    paymentTime: isoTime(trade.paidAt),
    paymentMethodType: "CONNECT_WALLET",
    pspCustomerInfo: { pspName: wallet.code, pspCustomerId: trade.buyerLoginId },
  };
}

export type AntomRequest = { path: string; headers: Readonly<Record<string, string | undefined>>; body: Buffer };

export function handleAntom(ctx: GatewayContext, request: AntomRequest): GatewayReply {
  const operation = request.path.slice(ANTOM_PREFIX.length) as Operation;
  const clientId = request.headers["client-id"] ?? "";
  const client = ctx.antomClients.get(clientId);
  // Antom signs with its own key, so even a refusal of an unknown client id can be signed (over that id).
  if (client === undefined && clientId !== "")
    return signedReply(
      { ctx, path: request.path, client: { clientId, name: clientId, rsaPublicKey: ctx.gatewayPrivateKey }, body: {} },
      result("F", "INVALID_CLIENT", `client-id ${clientId} is not configured`),
    );
  if (client === undefined)
    return unsignedReply("INVALID_CLIENT", `client-id ${clientId || "(missing)"} is not configured`);
  const text = request.body.toString("utf8");
  const verdict = verifyAntomMessage(
    {
      method: "POST",
      path: request.path,
      clientId,
      headerClientId: clientId,
      time: request.headers["request-time"],
      signatureHeader: request.headers["signature"],
      body: text,
    },
    client.rsaPublicKey,
  );
  const call = (body: Body): Call => ({ ctx, path: request.path, client, body });
  if (!verdict.ok) {
    ctx.logger.warn("Antom signature rejected", { clientId, path: request.path, reason: verdict.reason });
    return signedReply(
      call({}),
      result(
        "F",
        verdict.reason === "missing_sign" || verdict.reason === "missing_time" ? "PARAM_ILLEGAL" : "INVALID_SIGNATURE",
        `request signature rejected (${verdict.reason}); the gateway's sign string starts: POST ${request.path}\\n${clientId}.${request.headers["request-time"] ?? ""}.`,
      ),
    );
  }
  let body: Body;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new TypeError("not an object");
    body = parsed as Body;
  } catch {
    return signedReply(call({}), result("F", "PARAM_ILLEGAL", "the body must be a JSON object"));
  }
  if (!(OPERATIONS as readonly string[]).includes(operation))
    return signedReply(call(body), result("F", "NO_INTERFACE_DEF", `${request.path} is not simulated`));
  if (ctx.store.faults.systemErrorNext > 0) {
    ctx.store.faults.systemErrorNext -= 1;
    return signedReply(call(body), result("U", "UNKNOWN_EXCEPTION", "system busy, inquire the payment"));
  }
  switch (operation) {
    case "pay":
      return pay(call(body));
    case "inquiryPayment":
      return inquiry(call(body));
    case "cancel":
      return cancel(call(body));
    case "refund":
      return refund(call(body));
    case "inquiryRefund":
      return inquiryRefund(call(body));
  }
}

function illegal(call: Call, message: string, echo: Body = {}): GatewayReply {
  return signedReply(call, Object.assign({}, result("F", "PARAM_ILLEGAL", message), echo));
}

function pay(call: Call): GatewayReply {
  const b = call.body;
  const id = str(b, "paymentRequestId");
  if (id === undefined || !REQUEST_ID.test(id)) return illegal(call, "paymentRequestId: 1–64 letters, digits, _ or -");
  const echo = { paymentRequestId: id };
  if (str(b, "productCode") !== "IN_STORE_PAYMENT") return illegal(call, "productCode must be IN_STORE_PAYMENT", echo);
  const method = obj(b, "paymentMethod");
  const code = str(method, "paymentMethodId");
  if (code === undefined) return illegal(call, "paymentMethod.paymentMethodId (the buyer's code) is required", echo);
  const amount = readAmount(b, "paymentAmount");
  if (typeof amount === "string") return illegal(call, amount, echo);
  const order = obj(b, "order");
  const subject = str(order, "orderDescription") ?? "";
  if (subject === "" || subject.length > 256) return illegal(call, "order.orderDescription: 1–256 characters", echo);
  const merchant = obj(order, "merchant");
  const { outcome, effects } = call.ctx.engine.pay({
    protocol: "antom",
    merchantId: call.client.clientId,
    outTradeNo: id,
    buyerCode: code,
    amountMinor: amount.minor,
    currency: amount.currency,
    subject,
    notifyUrl: call.ctx.resolveNotifyUrl(str(b, "paymentNotifyUrl")),
    signType: "RSA2",
    storeId: str(obj(merchant, "store"), "referenceStoreId"),
    terminalId: str(obj(order, "env"), "storeTerminalId"),
  });
  return payReply(call, id, outcome, effects);
}

const PAY_FAILURES: Record<string, { code: string; message: string }> = {
  BUYER_BALANCE_NOT_ENOUGH: { code: "USER_BALANCE_NOT_ENOUGH", message: "the buyer's balance is not enough" },
  CODE_INVALID: { code: "INVALID_CODE", message: "the payment code is invalid or expired" },
  TRADE_HAS_SUCCESS: { code: "REPEAT_REQ_INCONSISTENT", message: "the payment is already paid" },
  TRADE_HAS_CLOSE: { code: "ORDER_IS_CLOSED", message: "the payment is closed" },
};

function payReply(call: Call, id: string, outcome: PayOutcome, effects: ResponseEffects): GatewayReply {
  switch (outcome.kind) {
    case "paid":
      return signedReply(
        call,
        Object.assign({}, result("S", "SUCCESS", "success"), paymentBody(outcome.trade)),
        effects,
      );
    case "waiting":
      return signedReply(
        call,
        Object.assign({}, result("U", "USER_PAYING", "waiting for the buyer to confirm in the wallet"), {
          paymentRequestId: id,
          paymentId: outcome.trade.tradeNo,
        }),
        effects,
      );
    case "unknown":
    case "drop_before_processing":
    case "system_error":
      // Antom's "result unknown": inquire, or resend with the same paymentRequestId.
      return signedReply(
        call,
        Object.assign({}, result("U", "UNKNOWN_EXCEPTION", "result unknown, inquire the payment"), {
          paymentRequestId: id,
        }),
        effects,
      );
    case "failed": {
      // Idempotent on paymentRequestId: a repeat of a payment that reached a final state gets that state again.
      if (outcome.failure === "TRADE_HAS_SUCCESS" && outcome.trade !== undefined)
        return signedReply(
          call,
          Object.assign({}, result("S", "SUCCESS", "success"), paymentBody(outcome.trade)),
          effects,
        );
      const failure = PAY_FAILURES[outcome.failure] as { code: string; message: string };
      return signedReply(
        call,
        Object.assign({}, result("F", failure.code, outcome.detail), { paymentRequestId: id }),
        effects,
      );
    }
  }
}

function lookup(call: Call): { tradeNo?: string; outTradeNo?: string } | undefined {
  const paymentId = str(call.body, "paymentId");
  const paymentRequestId = str(call.body, "paymentRequestId");
  if (paymentId !== undefined) return { tradeNo: paymentId };
  if (paymentRequestId !== undefined) return { outTradeNo: paymentRequestId };
  return undefined;
}

const PAYMENT_STATUS: Record<Trade["status"], string> = {
  WAIT_BUYER_PAY: "PROCESSING",
  TRADE_SUCCESS: "SUCCESS",
  TRADE_CLOSED: "CANCELLED",
};

function inquiry(call: Call): GatewayReply {
  const ids = lookup(call);
  if (ids === undefined) return illegal(call, "paymentRequestId or paymentId is required");
  const trade = call.ctx.engine.query(call.client.clientId, ids);
  if (call.ctx.engine.shouldFailWithSystemError(trade, "query"))
    return signedReply(call, result("U", "UNKNOWN_EXCEPTION", "system error, inquire again"));
  if (trade === undefined) return signedReply(call, result("F", "ORDER_NOT_EXIST", "the payment does not exist"));
  // A closed trade never paid failed (or expired) unless cancelled; one paid and reversed by a
  // cancel is CANCELLED; one paid and refunded stays SUCCESS (refunds are their own records).
  const paymentStatus =
    trade.status !== "TRADE_CLOSED"
      ? PAYMENT_STATUS[trade.status]
      : trade.cancelAction !== undefined
        ? "CANCELLED"
        : trade.paidAt === undefined
          ? "FAIL"
          : "SUCCESS";
  return signedReply(
    call,
    Object.assign({}, result("S", "SUCCESS", "success"), paymentBody(trade), {
      paymentStatus,
      paymentResultCode: trade.failureCode ?? (paymentStatus === "SUCCESS" ? "SUCCESS" : paymentStatus),
    }),
  );
}

function cancel(call: Call): GatewayReply {
  const ids = lookup(call);
  if (ids === undefined) return illegal(call, "paymentRequestId or paymentId is required");
  const trade = call.ctx.engine.find(call.client.clientId, ids);
  if (call.ctx.engine.shouldFailWithSystemError(trade, "cancel"))
    return signedReply(call, result("U", "UNKNOWN_EXCEPTION", "system error, cancel again"));
  if (trade === undefined) {
    // Closing a payment that never arrived: a late pay with this id is refused.
    if (ids.outTradeNo !== undefined) call.ctx.engine.block(call.client.clientId, ids.outTradeNo);
    return signedReply(call, result("F", "ORDER_NOT_EXIST", "the payment does not exist"));
  }
  const outcome = call.ctx.engine.cancel(trade, "24_hours");
  const echo = { paymentRequestId: trade.outTradeNo, paymentId: trade.tradeNo };
  if (outcome.kind === "refused")
    return signedReply(call, Object.assign({}, result("F", "ORDER_STATUS_INVALID", outcome.detail), echo));
  if (outcome.kind === "not_found")
    return signedReply(call, result("F", "ORDER_NOT_EXIST", "the payment does not exist"));
  return signedReply(
    call,
    Object.assign({}, result("S", "SUCCESS", "success"), echo, {
      cancelTime: isoTime(trade.closedAt ?? call.ctx.clock.now()),
    }),
  );
}

function refund(call: Call): GatewayReply {
  const refundRequestId = str(call.body, "refundRequestId");
  if (refundRequestId === undefined || !REQUEST_ID.test(refundRequestId))
    return illegal(call, "refundRequestId: 1–64 letters, digits, _ or -");
  const paymentId = str(call.body, "paymentId");
  if (paymentId === undefined) return illegal(call, "paymentId is required", { refundRequestId });
  const amount = readAmount(call.body, "refundAmount");
  if (typeof amount === "string") return illegal(call, amount, { refundRequestId });
  const trade = call.ctx.engine.find(call.client.clientId, { tradeNo: paymentId });
  if (call.ctx.engine.shouldFailWithSystemError(trade, "refund"))
    return signedReply(
      call,
      Object.assign({}, result("U", "UNKNOWN_EXCEPTION", "system error, refund again"), { refundRequestId }),
    );
  if (trade === undefined)
    return signedReply(
      call,
      Object.assign({}, result("F", "ORDER_NOT_EXIST", "the payment does not exist"), { refundRequestId }),
    );
  const outcome = call.ctx.engine.refund({
    merchantId: call.client.clientId,
    tradeNo: trade.tradeNo,
    outRefundNo: refundRequestId,
    amountMinor: amount.minor,
    currency: amount.currency.code,
    reason: str(call.body, "refundReason"),
    notifyUrl: trade.notifyUrl,
  });
  const echo = { refundRequestId, paymentId: trade.tradeNo };
  switch (outcome.kind) {
    case "not_found":
      return signedReply(call, Object.assign({}, result("F", "ORDER_NOT_EXIST", "the payment does not exist"), echo));
    case "refused": {
      const code =
        outcome.code === "REFUND_AMT_NOT_EQUAL_TOTAL"
          ? "REFUND_AMOUNT_EXCEED"
          : outcome.code === "DISCORDANT_REPEAT_REQUEST"
            ? "REPEAT_REQ_INCONSISTENT"
            : outcome.code === "CURRENCY_MISMATCH"
              ? "CURRENCY_NOT_SUPPORT"
              : "ORDER_STATUS_INVALID";
      return signedReply(call, Object.assign({}, result("F", code, outcome.detail), echo));
    }
    case "refunded":
      return signedReply(
        call,
        Object.assign({}, result("S", "SUCCESS", "success"), echo, {
          refundId: outcome.refund.refundNo,
          refundAmount: { currency: trade.currency, value: String(outcome.refund.amountMinor) },
          refundTime: isoTime(outcome.refund.createdAt),
        }),
      );
    case "accepted":
      return signedReply(
        call,
        Object.assign({}, result("U", "REFUND_IN_PROCESS", "the refund is being processed"), echo),
      );
  }
}

function inquiryRefund(call: Call): GatewayReply {
  const refundRequestId = str(call.body, "refundRequestId");
  if (refundRequestId === undefined) return illegal(call, "refundRequestId is required");
  const engine = call.ctx.engine;
  engine.advance();
  const store = call.ctx.store;
  const clientId = call.client.clientId;
  const executed = store.refunds.find((r) => r.merchantId === clientId && r.outRefundNo === refundRequestId);
  const pending = store.pendingRefunds.find((r) => r.merchantId === clientId && r.outRefundNo === refundRequestId);
  const tradeNo = executed?.tradeNo ?? pending?.tradeNo;
  const trade = tradeNo === undefined ? undefined : store.trades.get(tradeNo);
  if (engine.shouldFailWithSystemError(trade, "refund_query"))
    return signedReply(
      call,
      Object.assign({}, result("U", "UNKNOWN_EXCEPTION", "system error, inquire again"), { refundRequestId }),
    );
  if (trade === undefined || (executed === undefined && pending === undefined))
    return signedReply(
      call,
      Object.assign({}, result("F", "REFUND_NOT_EXIST", "the refund does not exist"), { refundRequestId }),
    );
  const amountMinor = executed?.amountMinor ?? (pending?.amountMinor as number);
  return signedReply(
    call,
    Object.assign({}, result("S", "SUCCESS", "success"), {
      refundRequestId,
      paymentId: trade.tradeNo,
      refundId: executed?.refundNo,
      refundAmount: { currency: trade.currency, value: String(amountMinor) },
      refundStatus: executed !== undefined ? "SUCCESS" : "PROCESSING",
      refundTime: isoTime(executed?.createdAt),
    }),
  );
}

/** The body of Antom's `notifyPayment` for a trade's final state; undefined while it is not final. */
export function antomNotificationBody(trade: Trade): Body | undefined {
  if (trade.status === "TRADE_SUCCESS")
    return { notifyType: "PAYMENT_RESULT", ...result("S", "SUCCESS", "success"), ...paymentBody(trade) };
  // A payment that failed or expired unpaid; a cancel is the merchant's own act and is not notified.
  if (trade.status === "TRADE_CLOSED" && trade.paidAt === undefined && trade.cancelAction === undefined) {
    const code = trade.failureCode ?? "ORDER_IS_CLOSED";
    return {
      notifyType: "PAYMENT_RESULT",
      ...result("F", code, "the payment failed"),
      paymentRequestId: trade.outTradeNo,
      paymentId: trade.tradeNo,
      paymentAmount: tradeAmount(trade),
      paymentCreateTime: isoTime(trade.createdAt),
    };
  }
  return undefined;
}

/**
 * A signed notification as Antom POSTs it to `url`: the signature (the gateway's key) over
 * `POST <url path>\n<client-id>.<request-time>.<body>`, returned as the pieces the merchant
 * verifies (`path`, `body`, `signature`, `request-time`, `client-id`). Undefined when the trade's
 * client is not configured here.
 */
export function signAntomNotification(
  ctx: GatewayContext,
  input: { clientId: string; url: string | undefined; body: Body },
): Record<string, string> | undefined {
  if (!ctx.antomClients.has(input.clientId)) return undefined;
  let path = "/api/alipay/notify";
  try {
    if (input.url !== undefined) path = new URL(input.url).pathname;
  } catch {
    // A relative or odd notify URL: the default path.
  }
  const text = JSON.stringify(input.body);
  const requestTime = new Date(ctx.clock.now()).toISOString();
  const signature = signAntomContent(
    buildAntomSignContent({ method: "POST", path, clientId: input.clientId, time: requestTime, body: text }),
    ctx.gatewayPrivateKey,
  );
  return {
    path,
    body: text,
    signature: formatAntomSignatureHeader("1", signature),
    "request-time": requestTime,
    "client-id": input.clientId,
  };
}
