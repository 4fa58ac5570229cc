/**
 * The OpenAPI gateway's operations, one handler per method: `alipay.trade.pay` / `query` /
 * `cancel` / `refund`, `alipay.trade.fastpay.refund.query` and the bill download URL. Each takes a
 * verified {@link Call} and answers through the trade engine.
 */
import { randomBytes } from "node:crypto";
import type { GatewayReply } from "./gateway-context.ts";
import { currencyInfo, formatCny, parseAmount, type CurrencyInfo } from "./money.ts";
import { openApiBillZip, settlementRows } from "./settlement.ts";
import type { Trade } from "./store.ts";
import { beijingDay, DAY_MS, formatDateTime, parseBeijingDay } from "./time-format.ts";
import type { PayOutcome, ResponseEffects } from "./trade-engine.ts";
import { amountText, callReply, compact, invalidParameter, str, type Call } from "./openapi-reply.ts";

/** How long a bill download link works (Alipay: 30 s). */
export const BILL_URL_TTL_MS = 30_000;

const OUT_TRADE_NO = /^[A-Za-z0-9_]{1,64}$/;
function paidBody(trade: Trade): Record<string, unknown> {
  const total = amountText(trade, trade.amountMinor);
  const crossBorder = trade.currency !== "CNY";
  return compact({
    trade_no: trade.tradeNo,
    out_trade_no: trade.outTradeNo,
    buyer_logon_id: trade.buyerLoginId,
    buyer_user_id: trade.buyerUserId,
    total_amount: total,
    receipt_amount: total,
    buyer_pay_amount: formatCny(trade.cnyAmountMinor),
    invoice_amount: total,
    point_amount: "0.00",
    gmt_payment: trade.paidAt === undefined ? undefined : formatDateTime(trade.paidAt),
    fund_bill_list:
      trade.paidAt === undefined
        ? undefined
        : [
            {
              fund_channel: "ALIPAYACCOUNT",
              amount: formatCny(trade.cnyAmountMinor),
            },
          ],
    store_id: trade.storeId,
    terminal_id: trade.terminalId,
    trans_currency: crossBorder ? trade.currency : undefined,
    settle_currency: crossBorder ? trade.currency : undefined,
    settle_amount: crossBorder ? total : undefined,
    pay_currency: crossBorder ? "CNY" : undefined,
    pay_amount: crossBorder ? formatCny(trade.cnyAmountMinor) : undefined,
    trans_pay_rate: crossBorder ? trade.exchangeRate : undefined,
  });
}

export function pay(call: Call, notifyUrl: string | undefined): GatewayReply {
  const b = call.biz;
  for (const name of ["out_trade_no", "scene", "auth_code", "subject", "total_amount"]) {
    if (str(b, name) === undefined) return invalidParameter(call, `${name} is required`);
  }
  const outTradeNo = str(b, "out_trade_no") as string;
  if (!OUT_TRADE_NO.test(outTradeNo)) {
    return invalidParameter(call, "out_trade_no: up to 64 letters, digits or underscores", {
      out_trade_no: outTradeNo,
    });
  }
  if (str(b, "scene") !== "bar_code") {
    return invalidParameter(call, "only scene=bar_code is simulated", {
      out_trade_no: outTradeNo,
    });
  }
  const productCode = str(b, "product_code");
  if (productCode !== undefined && productCode !== "FACE_TO_FACE_PAYMENT") {
    return invalidParameter(call, "product_code must be FACE_TO_FACE_PAYMENT", {
      out_trade_no: outTradeNo,
    });
  }
  const currency = currencyInfo(str(b, "trans_currency") ?? "CNY");
  if (currency === undefined)
    return invalidParameter(call, "trans_currency is not supported", {
      out_trade_no: outTradeNo,
    });
  const amount = parseAmount(str(b, "total_amount") as string, currency);
  if (!amount.ok) return invalidParameter(call, amount.reason, { out_trade_no: outTradeNo });
  const subject = str(b, "subject") as string;
  if (subject.length > 256)
    return invalidParameter(call, "subject is longer than 256", {
      out_trade_no: outTradeNo,
    });
  const { outcome, effects } = call.ctx.engine.pay({
    protocol: "openapi",
    merchantId: call.app.appId,
    outTradeNo,
    buyerCode: str(b, "auth_code") as string,
    amountMinor: amount.minor,
    currency,
    subject,
    notifyUrl: call.ctx.resolveNotifyUrl(notifyUrl),
    signType: call.signType,
    storeId: str(b, "store_id"),
    terminalId: str(b, "terminal_id"),
  });
  return payReply(call, outTradeNo, outcome, effects);
}

const PAY_FAILURES: Record<string, { subCode: string; subMsg: string }> = {
  BUYER_BALANCE_NOT_ENOUGH: {
    subCode: "ACQ.BUYER_BALANCE_NOT_ENOUGH",
    subMsg: "buyer balance is not enough",
  },
  CODE_INVALID: {
    subCode: "ACQ.PAYMENT_AUTH_CODE_INVALID",
    subMsg: "payment code is invalid [SOUNDWAVE_PARSER_FAIL]",
  },
  TRADE_HAS_SUCCESS: {
    subCode: "ACQ.TRADE_HAS_SUCCESS",
    subMsg: "the trade is already paid",
  },
  TRADE_HAS_CLOSE: {
    subCode: "ACQ.TRADE_HAS_CLOSE",
    subMsg: "the trade is closed",
  },
};

function payReply(call: Call, outTradeNo: string, outcome: PayOutcome, effects: ResponseEffects): GatewayReply {
  switch (outcome.kind) {
    case "paid":
      return callReply(call, "10000", {
        body: paidBody(outcome.trade),
        effects,
      });
    case "waiting":
      return callReply(call, "10003", {
        body: paidBody(outcome.trade),
        effects,
      });
    case "unknown":
    case "drop_before_processing":
      return callReply(call, "20000", {
        subCode: "isp.unknow-error",
        subMsg: "system busy, query the trade",
        body: { out_trade_no: outTradeNo },
        effects,
      });
    case "system_error":
      return callReply(call, "40004", {
        subCode: "ACQ.SYSTEM_ERROR",
        subMsg: "system error, query the trade",
        body: { out_trade_no: outTradeNo },
        effects,
      });
    case "failed": {
      const failure = PAY_FAILURES[outcome.failure] as {
        subCode: string;
        subMsg: string;
      };
      const body: Record<string, unknown> =
        outcome.trade === undefined
          ? { out_trade_no: outTradeNo }
          : {
              out_trade_no: outTradeNo,
              trade_no: outcome.trade.tradeNo,
              buyer_logon_id: outcome.trade.buyerLoginId,
            };
      return callReply(call, "40004", Object.assign({}, failure, { body, effects }));
    }
  }
}

function lookupIds(call: Call): { tradeNo: string | undefined; outTradeNo: string | undefined } | undefined {
  const ids = {
    tradeNo: str(call.biz, "trade_no"),
    outTradeNo: str(call.biz, "out_trade_no"),
  };
  return ids.tradeNo === undefined && ids.outTradeNo === undefined ? undefined : ids;
}

function systemError(call: Call, body: Record<string, unknown>): GatewayReply {
  return callReply(call, "40004", {
    subCode: "ACQ.SYSTEM_ERROR",
    subMsg: "system error, retry",
    body,
  });
}

export function query(call: Call): GatewayReply {
  const ids = lookupIds(call);
  if (ids === undefined) return invalidParameter(call, "out_trade_no or trade_no is required");
  const trade = call.ctx.engine.query(call.app.appId, ids);
  const echo = compact({ out_trade_no: ids.outTradeNo, trade_no: ids.tradeNo });
  if (call.ctx.engine.shouldFailWithSystemError(trade, "query")) return systemError(call, echo);
  if (trade === undefined) {
    return callReply(call, "40004", {
      subCode: "ACQ.TRADE_NOT_EXIST",
      subMsg: "trade does not exist",
      body: echo,
    });
  }
  return callReply(call, "10000", {
    body: Object.assign({}, paidBody(trade), {
      trade_status: trade.status,
      send_pay_date: trade.paidAt === undefined ? undefined : formatDateTime(trade.paidAt),
      gmt_payment: undefined,
    }),
  });
}

export function cancel(call: Call): GatewayReply {
  const ids = lookupIds(call);
  if (ids === undefined) return invalidParameter(call, "out_trade_no or trade_no is required");
  const echo = compact({ out_trade_no: ids.outTradeNo, trade_no: ids.tradeNo });
  const trade = call.ctx.engine.find(call.app.appId, ids);
  if (call.ctx.engine.shouldFailWithSystemError(trade, "cancel")) {
    return callReply(call, "40004", {
      subCode: "ACQ.SYSTEM_ERROR",
      subMsg: "system error, retry the cancel",
      body: Object.assign({}, echo, { retry_flag: "Y" }),
    });
  }
  if (trade === undefined) {
    if (ids.outTradeNo === undefined) {
      return callReply(call, "40004", {
        subCode: "ACQ.TRADE_NOT_EXIST",
        subMsg: "trade does not exist",
        body: Object.assign({}, echo, { retry_flag: "N" }),
      });
    }
    // Closing an order that never arrived: a late pay with this out_trade_no is refused.
    call.ctx.engine.block(call.app.appId, ids.outTradeNo);
    return callReply(call, "10000", { body: Object.assign({}, echo, { retry_flag: "N" }) });
  }
  const outcome = call.ctx.engine.cancel(trade, "24_hours");
  const tradeIds = { trade_no: trade.tradeNo, out_trade_no: trade.outTradeNo };
  if (outcome.kind === "refused") {
    return callReply(call, "40004", {
      subCode: `ACQ.${outcome.code}`,
      subMsg: outcome.detail,
      body: Object.assign({}, tradeIds, { retry_flag: "N" }),
    });
  }
  if (outcome.kind === "not_found") {
    return callReply(call, "40004", {
      subCode: "ACQ.TRADE_NOT_EXIST",
      subMsg: "trade does not exist",
      body: Object.assign({}, echo, { retry_flag: "N" }),
    });
  }
  return callReply(call, "10000", {
    body: Object.assign({}, tradeIds, {
      retry_flag: "N",
      action: outcome.action,
      gmt_refund_pay:
        outcome.action === "refund" && trade.closedAt !== undefined ? formatDateTime(trade.closedAt) : undefined,
    }),
  });
}

export function refund(call: Call): GatewayReply {
  const ids = lookupIds(call);
  if (ids === undefined) return invalidParameter(call, "out_trade_no or trade_no is required");
  const refundAmount = str(call.biz, "refund_amount");
  if (refundAmount === undefined) return invalidParameter(call, "refund_amount is required");
  const echo = compact({ out_trade_no: ids.outTradeNo, trade_no: ids.tradeNo });
  const trade = call.ctx.engine.find(call.app.appId, ids);
  if (call.ctx.engine.shouldFailWithSystemError(trade, "refund")) return systemError(call, echo);
  if (trade === undefined) {
    return callReply(call, "40004", {
      subCode: "ACQ.TRADE_NOT_EXIST",
      subMsg: "trade does not exist",
      body: echo,
    });
  }
  const currency = currencyInfo(trade.currency) as CurrencyInfo;
  const amount = parseAmount(refundAmount, currency);
  if (!amount.ok) return invalidParameter(call, amount.reason, echo);
  const outRequestNo = str(call.biz, "out_request_no") ?? trade.outTradeNo;
  const outcome = call.ctx.engine.refund({
    merchantId: call.app.appId,
    tradeNo: trade.tradeNo,
    outRefundNo: outRequestNo,
    amountMinor: amount.minor,
    currency: str(call.biz, "refund_currency"),
    reason: str(call.biz, "refund_reason"),
    notifyUrl: trade.notifyUrl,
  });
  const tradeIds = { trade_no: trade.tradeNo, out_trade_no: trade.outTradeNo };
  switch (outcome.kind) {
    case "not_found":
      return callReply(call, "40004", {
        subCode: "ACQ.TRADE_NOT_EXIST",
        subMsg: "trade does not exist",
        body: echo,
      });
    case "refused":
      return callReply(call, "40004", {
        subCode: outcome.code === "CURRENCY_MISMATCH" ? "ACQ.INVALID_PARAMETER" : `ACQ.${outcome.code}`,
        subMsg: outcome.detail,
        body: tradeIds,
      });
    case "refunded":
      return callReply(call, "10000", {
        body: compact(
          Object.assign({}, tradeIds, {
            buyer_logon_id: trade.buyerLoginId,
            buyer_user_id: trade.buyerUserId,
            fund_change: outcome.fundChange ? "Y" : "N",
            refund_fee: amountText(trade, trade.refundedMinor),
            send_back_fee: amountText(trade, outcome.refund.amountMinor),
            gmt_refund_pay: formatDateTime(outcome.refund.createdAt),
            out_request_no: outcome.refund.outRefundNo,
            refund_currency: trade.currency !== "CNY" ? trade.currency : undefined,
          }),
        ),
      });
    case "accepted":
      // Accepted, but no money moved in this call: the merchant must confirm by refund query.
      return callReply(call, "10000", {
        body: compact(
          Object.assign({}, tradeIds, {
            buyer_logon_id: trade.buyerLoginId,
            buyer_user_id: trade.buyerUserId,
            fund_change: "N",
            refund_fee: amountText(trade, trade.refundedMinor),
            out_request_no: outcome.pending.outRefundNo,
            refund_currency: trade.currency !== "CNY" ? trade.currency : undefined,
          }),
        ),
      });
  }
}

/**
 * `alipay.trade.fastpay.refund.query`: `10000` only says the query worked. An executed refund
 * carries `refund_status=REFUND_SUCCESS`; an accepted one not yet executed has its data but no
 * `refund_status`; an unknown `out_request_no` answers `10000` without refund data.
 */
export function refundQuery(call: Call): GatewayReply {
  const ids = lookupIds(call);
  if (ids === undefined) return invalidParameter(call, "out_trade_no or trade_no is required");
  const outRequestNo = str(call.biz, "out_request_no");
  if (outRequestNo === undefined) return invalidParameter(call, "out_request_no is required");
  const echo = compact({ out_trade_no: ids.outTradeNo, trade_no: ids.tradeNo });
  const found = call.ctx.engine.findRefund(call.app.appId, ids, outRequestNo);
  if (found.kind !== "no_trade" && call.ctx.engine.shouldFailWithSystemError(found.trade, "refund_query"))
    return systemError(call, echo);
  switch (found.kind) {
    case "no_trade":
      return callReply(call, "40004", {
        subCode: "ACQ.TRADE_NOT_EXIST",
        subMsg: "trade does not exist",
        body: echo,
      });
    case "no_refund":
      return callReply(call, "10000", {
        body: {
          trade_no: found.trade.tradeNo,
          out_trade_no: found.trade.outTradeNo,
        },
      });
    case "pending":
    case "executed": {
      const trade = found.trade;
      const amountMinor = found.kind === "pending" ? found.pending.amountMinor : found.refund.amountMinor;
      return callReply(call, "10000", {
        body: compact({
          trade_no: trade.tradeNo,
          out_trade_no: trade.outTradeNo,
          out_request_no: outRequestNo,
          total_amount: amountText(trade, trade.amountMinor),
          refund_amount: amountText(trade, amountMinor),
          refund_status: found.kind === "executed" ? "REFUND_SUCCESS" : undefined,
          gmt_refund_pay: found.kind === "executed" ? formatDateTime(found.refund.createdAt) : undefined,
        }),
      });
    }
  }
}

export function billDownloadUrl(call: Call): GatewayReply {
  const billType = str(call.biz, "bill_type");
  const billDate = str(call.biz, "bill_date");
  if (billType === undefined || billDate === undefined)
    return invalidParameter(call, "bill_type and bill_date are required");
  if (billType !== "trade" && billType !== "signcustomer")
    return invalidParameter(call, "bill_type must be trade or signcustomer");
  let fromMs: number | undefined;
  let toMs: number | undefined;
  if (/^\d{4}-\d{2}$/.test(billDate)) {
    fromMs = parseBeijingDay(`${billDate}-01`);
    if (fromMs !== undefined) {
      const [y, m] = billDate.split("-").map(Number) as [number, number];
      toMs = parseBeijingDay(m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, "0")}-01`);
    }
  } else if (/^\d{4}-\d{2}-\d{2}$/.test(billDate)) {
    fromMs = parseBeijingDay(billDate);
    toMs = fromMs === undefined ? undefined : fromMs + DAY_MS;
  }
  if (fromMs === undefined || toMs === undefined)
    return invalidParameter(call, "bill_date must be yyyy-MM-dd or yyyy-MM");
  const now = call.ctx.clock.now();
  const today = parseBeijingDay(beijingDay(now)) as number;
  if (toMs > today) {
    return callReply(call, "40004", {
      subCode: "isp.bill_not_exist",
      subMsg: "the bill is available from the next day",
    });
  }
  const rows = settlementRows(call.ctx.store, {
    merchantId: call.app.appId,
    fromMs,
    toMs,
    feeRateBasisPoints: call.app.feeRateBasisPoints,
  });
  const file = openApiBillZip({
    rows,
    accountId: call.app.sellerId,
    billDate,
    fromMs,
    toMs,
    generatedAt: now,
  });
  const token = randomBytes(12).toString("hex");
  call.ctx.store.bills.set(token, {
    fileName: file.fileName,
    body: file.body,
    contentType: "application/zip",
    expiresAt: now + BILL_URL_TTL_MS,
  });
  const url = `${call.ctx.baseUrl()}/sandbox/bills/${token}?downloadFileName=${encodeURIComponent(file.fileName)}`;
  return callReply(call, "10000", { body: { bill_download_url: url } });
}
