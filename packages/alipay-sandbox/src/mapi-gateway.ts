/**
 * Global MAPI gateway (`/gateway.do` with `service=`): verifies the partner's signature,
 * checks parameters, runs the trade engine and answers signed XML (reference §1, §2, §6).
 *
 * Error layering (documented in the README):
 * - gateway rejections, unsigned `is_success=F`: ILLEGAL_PARTNER, ILLEGAL_SIGN_TYPE, ILLEGAL_SIGN,
 *   ILLEGAL_CHARSET, ILLEGAL_SERVICE, ILLEGAL_ARGUMENT (a required parameter is missing), SYSTEM_ERROR;
 * - business answers, signed `is_success=T`: `result_code` FAILED/UNKNOW (pay, refund), FAIL (query),
 *   FAIL/UNKNOWN (cancel) with `error` / `detail_error_code` (e.g. INVALID_PARAMETER for a malformed value).
 */
import {
  signParams,
  verifyContent,
  buildSignContent,
  type SignType,
  type SigningKey,
  type VerifyingKey,
} from "@kiosk/alipay-core";
import type { GatewayContext, GatewayReply, ResolvedPartner } from "./gateway-context.ts";
import { textReply } from "./gateway-context.ts";
import { currencyInfo, formatAmount, formatCny, parseAmount, type CurrencyInfo } from "./money.ts";
import { liquidationRange, mapiSettlementText, settlementRows } from "./settlement.ts";
import type { Refund, Trade } from "./store.ts";
import { beijingDay, DAY_MS, formatCompactTime, formatDateTime, parseBeijingDay } from "./time-format.ts";
import type { PayOutcome, ResponseEffects } from "./trade-engine.ts";
import { mapiGatewayErrorXml, mapiResponseXml } from "./xml.ts";

export const MAPI_SERVICES = [
  "alipay.acquire.overseas.spot.pay",
  "alipay.acquire.overseas.query",
  "alipay.acquire.cancel",
  "alipay.acquire.overseas.spot.refund",
  "alipay.acquire.refund.query",
  "forex_compare_file",
  "forex_liquidation_file",
  "notify_verify",
] as const;

type MapiService = (typeof MAPI_SERVICES)[number];

type Params = Readonly<Record<string, string>>;

type Call = {
  ctx: GatewayContext;
  params: Params;
  /** Received parameters in arrival order, echoed in `<request>`. */
  echo: ReadonlyArray<readonly [string, string]>;
  partner: ResolvedPartner;
  signType: SignType;
};

const XML_CONTENT_TYPE = "text/xml; charset=utf-8";

function gatewayError(error: string, detail: string, effects?: ResponseEffects): GatewayReply {
  const reply: GatewayReply = {
    status: 200,
    contentType: XML_CONTENT_TYPE,
    body: mapiGatewayErrorXml(error),
    detail,
  };
  if (effects !== undefined) reply.effects = effects;
  return reply;
}

function isMapiService(service: string): service is MapiService {
  return (MAPI_SERVICES as readonly string[]).includes(service);
}

function signingKey(call: Call): SigningKey {
  if (call.signType === "MD5") return { signType: "MD5", md5Key: call.partner.md5Key as string };
  return { signType: call.signType, privateKey: call.ctx.gatewayPrivateKey };
}

function signedReply(
  call: Call,
  response: Record<string, string | undefined>,
  effects: ResponseEffects = {},
): GatewayReply {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(response)) if (v !== undefined && v !== "") fields[k] = v;
  const key = signingKey(call);
  const tamper = call.ctx.takeBadSignature(effects.badSignature);
  // A tampered signature is a real signature over different content, so it has the right shape.
  const sign = tamper ? signParams(Object.assign({}, fields, { sandbox_tampered: "1" }), key) : signParams(fields, key);
  const { badSignature: _ignored, ...transport } = effects;
  return {
    status: 200,
    contentType: XML_CONTENT_TYPE,
    body: mapiResponseXml({
      request: call.echo,
      response: fields,
      sign,
      signType: call.signType,
    }),
    effects: transport,
  };
}

function missing(params: Params, names: readonly string[]): string | undefined {
  return names.find((n) => (params[n] ?? "") === "");
}

/** Entry point for a MAPI request (URL query and form body already merged). */
export function handleMapi(
  ctx: GatewayContext,
  params: Params,
  echo: ReadonlyArray<readonly [string, string]>,
): GatewayReply {
  const service = params["service"] ?? "";
  if (service === "notify_verify") return notifyVerify(ctx, params);

  const partnerId = params["partner"] ?? "";
  const partner = ctx.partners.get(partnerId);
  if (partner === undefined) {
    return gatewayError(
      "ILLEGAL_PARTNER",
      partnerId === "" ? "partner is missing" : `partner ${partnerId} is not configured`,
    );
  }
  const signTypeText = params["sign_type"] ?? "";
  if (signTypeText !== "MD5" && signTypeText !== "RSA" && signTypeText !== "RSA2") {
    return gatewayError("ILLEGAL_SIGN_TYPE", `sign_type "${signTypeText}" is not MD5, RSA or RSA2`);
  }
  const signType: SignType = signTypeText;
  let verifyingKeys: { key: VerifyingKey; fingerprint?: string }[];
  if (signType === "MD5") {
    if (partner.md5Key === undefined) return gatewayError("ILLEGAL_SIGN_TYPE", `partner ${partnerId} has no MD5 key`);
    verifyingKeys = [{ key: { signType, md5Key: partner.md5Key } }];
  } else {
    if (partner.rsaPublicKeys.length === 0)
      return gatewayError("ILLEGAL_SIGN_TYPE", `partner ${partnerId} has no RSA public key`);
    verifyingKeys = partner.rsaPublicKeys.map((k) => ({
      key: { signType, publicKey: k.key },
      fingerprint: k.fingerprint,
    }));
  }
  const sign = params["sign"] ?? "";
  const content = buildSignContent(params);
  const verified = sign === "" ? undefined : verifyingKeys.find((k) => verifyContent(content, sign, k.key));
  if (verified?.fingerprint !== undefined) {
    const now = ctx.clock.now();
    const use = ctx.store.keyUse.get(verified.fingerprint);
    if (use) {
      use.requests += 1;
      use.lastAt = now;
    } else ctx.store.keyUse.set(verified.fingerprint, { partnerId, requests: 1, firstAt: now, lastAt: now });
  }
  if (verified === undefined) {
    ctx.logger.warn("MAPI signature rejected", {
      partner: partnerId,
      service,
      signType,
      signContent: content,
    });
    return gatewayError("ILLEGAL_SIGN", `signature does not verify; the sandbox signed: ${content}`);
  }
  const charset = params["_input_charset"];
  if (charset !== undefined && charset.toUpperCase() !== "UTF-8" && charset.toUpperCase() !== "UTF8") {
    return gatewayError("ILLEGAL_CHARSET", `_input_charset ${charset} is not simulated; send UTF-8`);
  }
  if (!isMapiService(service)) {
    return gatewayError(
      "ILLEGAL_SERVICE",
      service === "" ? "service is missing" : `service ${service} is not supported`,
    );
  }
  if (ctx.store.faults.systemErrorNext > 0) {
    ctx.store.faults.systemErrorNext -= 1;
    return gatewayError("SYSTEM_ERROR", "operator fault: systemErrorNext");
  }
  const call: Call = { ctx, params, echo, partner, signType };
  switch (service) {
    case "alipay.acquire.overseas.spot.pay":
      return spotPay(call);
    case "alipay.acquire.overseas.query":
      return query(call);
    case "alipay.acquire.cancel":
      return cancel(call);
    case "alipay.acquire.overseas.spot.refund":
      return refund(call);
    case "alipay.acquire.refund.query":
      return refundQuery(call);
    case "forex_compare_file":
    case "forex_liquidation_file":
      return settlementFile(call, service);
    case "notify_verify":
      return notifyVerify(ctx, params);
  }
}

function notifyVerify(ctx: GatewayContext, params: Params): GatewayReply {
  const notifyId = params["notify_id"] ?? "";
  const partner = params["partner"] ?? "";
  const known = ctx.store.notifications.some(
    (n) => n.notifyId === notifyId && notifyId !== "" && ctx.store.trades.get(n.tradeNo)?.merchantId === partner,
  );
  return textReply(200, known ? "true" : "false");
}

function tradeFields(trade: Trade): Record<string, string | undefined> {
  const currency = currencyInfo(trade.currency) as CurrencyInfo;
  return {
    alipay_buyer_login_id: trade.buyerLoginId,
    alipay_buyer_user_id: trade.buyerUserId,
    alipay_pay_time: trade.paidAt === undefined ? undefined : formatCompactTime(trade.paidAt),
    alipay_trans_id: trade.tradeNo,
    currency: trade.currency,
    exchange_rate: trade.exchangeRate,
    partner_trans_id: trade.outTradeNo,
    payment_inst: "ALIPAYCN",
    trans_amount: formatAmount(trade.amountMinor, currency),
    trans_amount_cny: formatCny(trade.cnyAmountMinor),
  };
}

function businessFailure(call: Call, error: string, extra: Record<string, string | undefined> = {}): GatewayReply {
  return signedReply(call, { result_code: "FAILED", error, ...extra });
}

function spotPay(call: Call): GatewayReply {
  const p = call.params;
  const absent = missing(p, [
    "alipay_seller_id",
    "trans_name",
    "partner_trans_id",
    "currency",
    "trans_amount",
    "buyer_identity_code",
  ]);
  if (absent !== undefined) return gatewayError("ILLEGAL_ARGUMENT", `${absent} is required`);
  const outTradeNo = p["partner_trans_id"] as string;
  const echoId = { partner_trans_id: outTradeNo };
  if (p["alipay_seller_id"] !== call.partner.partnerId) {
    return businessFailure(call, "INVALID_PARAMETER", echoId);
  }
  if (outTradeNo.length > 64 || (p["trans_name"] as string).length > 256) {
    return businessFailure(call, "INVALID_PARAMETER", echoId);
  }
  const codeType = p["identity_code_type"];
  if (codeType !== undefined && codeType !== "barcode" && codeType !== "QRcode") {
    return businessFailure(call, "INVALID_PARAMETER", echoId);
  }
  const currency = currencyInfo(p["currency"] as string);
  if (currency === undefined) return businessFailure(call, "CURRENCY_NOT_SUPPORT", echoId);
  const amount = parseAmount(p["trans_amount"] as string, currency);
  if (!amount.ok) return businessFailure(call, "INVALID_PARAMETER", echoId);
  let extendInfo: Record<string, unknown> = {};
  if (p["extend_info"] !== undefined && p["extend_info"] !== "") {
    try {
      const parsed: unknown = JSON.parse(p["extend_info"]);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new TypeError("not an object");
      extendInfo = parsed as Record<string, unknown>;
    } catch {
      return businessFailure(call, "INVALID_PARAMETER", echoId);
    }
  }
  const asString = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
  const { outcome, effects } = call.ctx.engine.pay({
    protocol: "mapi",
    merchantId: call.partner.partnerId,
    outTradeNo,
    buyerCode: p["buyer_identity_code"] as string,
    amountMinor: amount.minor,
    currency,
    subject: p["trans_name"] as string,
    notifyUrl: call.ctx.resolveNotifyUrl(p["notify_url"]),
    signType: call.signType,
    storeId: asString(extendInfo["store_id"]),
    terminalId: asString(extendInfo["terminal_id"]),
  });
  return payReply(call, outcome, effects);
}

function payReply(call: Call, outcome: PayOutcome, effects: ResponseEffects): GatewayReply {
  switch (outcome.kind) {
    case "paid":
      return signedReply(call, Object.assign({}, tradeFields(outcome.trade), { result_code: "SUCCESS" }), effects);
    case "waiting":
      return signedReply(
        call,
        Object.assign({}, tradeFields(outcome.trade), { result_code: "UNKNOW", error: "ORDER_SUCCESS_PAY_INPROCESS" }),
        effects,
      );
    case "unknown":
      return signedReply(
        call,
        {
          partner_trans_id: call.params["partner_trans_id"],
          result_code: "UNKNOW",
          error: "SYSTEM_ERROR",
        },
        effects,
      );
    case "system_error":
      return gatewayError("SYSTEM_ERROR", "scenario: SYSTEM_ERROR on the first K calls", effects);
    case "drop_before_processing":
      return gatewayError("SYSTEM_ERROR", "connection dropped", effects);
    case "failed": {
      const error = outcome.failure === "CODE_INVALID" ? "SOUNDWAVE_PARSER_FAIL" : outcome.failure;
      const extra =
        outcome.trade === undefined
          ? { partner_trans_id: call.params["partner_trans_id"] }
          : tradeFields(outcome.trade);
      const reply = signedReply(
        call,
        Object.assign({}, extra, { alipay_pay_time: undefined, result_code: "FAILED", error }),
        effects,
      );
      reply.detail = outcome.detail;
      return reply;
    }
  }
}

function query(call: Call): GatewayReply {
  const p = call.params;
  if ((p["partner_trans_id"] ?? "") === "" && (p["alipay_trans_id"] ?? "") === "") {
    return gatewayError("ILLEGAL_ARGUMENT", "partner_trans_id or alipay_trans_id is required");
  }
  const trade = call.ctx.engine.query(call.partner.partnerId, {
    tradeNo: p["alipay_trans_id"],
    outTradeNo: p["partner_trans_id"],
  });
  if (call.ctx.engine.shouldFailWithSystemError(trade, "query")) {
    return gatewayError("SYSTEM_ERROR", "scenario: SYSTEM_ERROR on the first K calls");
  }
  if (trade === undefined) {
    return signedReply(call, {
      partner_trans_id: p["partner_trans_id"],
      alipay_trans_id: p["alipay_trans_id"],
      result_code: "FAIL",
      error: "TRANS_NOT_FOUND",
    });
  }
  return signedReply(
    call,
    Object.assign({}, tradeFields(trade), {
      alipay_trans_status: trade.status,
      out_trade_no: trade.outTradeNo,
      result_code: "SUCCESS",
    }),
  );
}

const CANCEL_TIMESTAMP = /^(\d{13}|\d{14}|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})$/;

function cancel(call: Call): GatewayReply {
  const p = call.params;
  if ((p["timestamp"] ?? "") === "") return gatewayError("ILLEGAL_ARGUMENT", "timestamp is required");
  if ((p["out_trade_no"] ?? "") === "" && (p["trade_no"] ?? "") === "") {
    return gatewayError("ILLEGAL_ARGUMENT", "out_trade_no or trade_no is required");
  }
  const ids = { out_trade_no: p["out_trade_no"], trade_no: p["trade_no"] };
  if (!CANCEL_TIMESTAMP.test(p["timestamp"] as string)) {
    return cancelRefused(call, ids, "INVALID_PARAMETER", "timestamp must be epoch milliseconds");
  }
  const trade = call.ctx.engine.find(call.partner.partnerId, {
    tradeNo: p["trade_no"],
    outTradeNo: p["out_trade_no"],
  });
  if (call.ctx.engine.shouldFailWithSystemError(trade, "cancel")) {
    return gatewayError("SYSTEM_ERROR", "scenario: SYSTEM_ERROR on the first K calls");
  }
  if (trade === undefined && call.ctx.engine.hasLatePay(call.partner.partnerId, p["out_trade_no"])) {
    // As a strict gateway does for a trade it does not have yet: SUCCESS, naming no trade.
    return signedReply(call, Object.assign({}, ids, { result_code: "SUCCESS", retry_flag: "N" }));
  }
  if (trade === undefined) {
    return cancelRefused(call, ids, "TRADE_NOT_EXIST", "trade does not exist");
  }
  const outcome = call.ctx.engine.cancel(trade, "same_beijing_day");
  const tradeIds = { out_trade_no: trade.outTradeNo, trade_no: trade.tradeNo };
  if (outcome.kind === "refused") {
    return cancelRefused(call, tradeIds, outcome.code, outcome.detail);
  }
  return signedReply(call, Object.assign({}, tradeIds, { result_code: "SUCCESS", retry_flag: "N" }));
}

/** A cancel the gateway refuses: FAIL, not to be retried, with its code and description. */
function cancelRefused(
  call: Call,
  ids: Record<string, string | undefined>,
  code: string,
  description: string,
): GatewayReply {
  return signedReply(
    call,
    Object.assign({}, ids, {
      result_code: "FAIL",
      retry_flag: "N",
      detail_error_code: code,
      detail_error_des: description,
    }),
  );
}

function refund(call: Call): GatewayReply {
  const p = call.params;
  const absent = missing(p, ["partner_trans_id", "partner_refund_id", "refund_amount", "currency"]);
  if (absent !== undefined) return gatewayError("ILLEGAL_ARGUMENT", `${absent} is required`);
  const ids = {
    partner_trans_id: p["partner_trans_id"],
    partner_refund_id: p["partner_refund_id"],
  };
  const refundId = p["partner_refund_id"] as string;
  const isSync = p["is_sync"] ?? "N";
  if (refundId.length > 64 || refundId === p["partner_trans_id"] || (isSync !== "Y" && isSync !== "N")) {
    return businessFailure(call, "INVALID_PARAMETER", ids);
  }
  const trade = call.ctx.engine.find(call.partner.partnerId, {
    tradeNo: p["alipay_trans_id"],
    outTradeNo: p["partner_trans_id"],
  });
  if (call.ctx.engine.shouldFailWithSystemError(trade, "refund")) {
    return gatewayError("SYSTEM_ERROR", "scenario: SYSTEM_ERROR on the first K calls");
  }
  if (trade === undefined) return businessFailure(call, "TRADE_NOT_EXIST", ids);
  const currency = currencyInfo(trade.currency) as CurrencyInfo;
  if (p["currency"] !== trade.currency) return businessFailure(call, "INVALID_PARAMETER", ids);
  const amount = parseAmount(p["refund_amount"] as string, currency);
  if (!amount.ok) return businessFailure(call, "INVALID_PARAMETER", ids);
  const outcome = call.ctx.engine.refund({
    merchantId: call.partner.partnerId,
    tradeNo: trade.tradeNo,
    outRefundNo: refundId,
    amountMinor: amount.minor,
    currency: p["currency"],
    reason: p["refund_reason"],
    notifyUrl: isSync === "N" ? call.ctx.resolveNotifyUrl(p["notify_url"]) : undefined,
  });
  switch (outcome.kind) {
    case "not_found":
      return businessFailure(call, "TRADE_NOT_EXIST", ids);
    case "refused": {
      const reply = businessFailure(
        call,
        outcome.code === "CURRENCY_MISMATCH" ? "INVALID_PARAMETER" : outcome.code,
        Object.assign({}, ids, { alipay_trans_id: trade.tradeNo }),
      );
      reply.detail = outcome.detail;
      return reply;
    }
    case "refunded":
      return signedReply(call, refundFields(outcome.trade, outcome.refund));
    case "accepted":
      // A synchronous refund Alipay could not execute now: the result is not final.
      return signedReply(call, {
        result_code: "UNKNOW",
        error: "REFUND_IN_PROCESS",
        ...ids,
        alipay_trans_id: trade.tradeNo,
      });
  }
}

/**
 * `alipay.acquire.refund.query` (docs.antom.com/ac/global/refundquery): `response_code`
 * SUCCESS / NOT_FOUND / TRADE_NOT_EXIST; `refund_result_code` SUCCESS or PROCESSING (accepted,
 * not executed yet). `out_return_no` is the spot.refund `partner_refund_id`.
 */
function refundQuery(call: Call): GatewayReply {
  const p = call.params;
  const absent = missing(p, ["out_trade_no", "out_return_no"]);
  if (absent !== undefined) return gatewayError("ILLEGAL_ARGUMENT", `${absent} is required`);
  const ids = {
    out_trade_no: p["out_trade_no"],
    out_return_no: p["out_return_no"],
  };
  const found = call.ctx.engine.findRefund(
    call.partner.partnerId,
    { outTradeNo: p["out_trade_no"] },
    p["out_return_no"] as string,
  );
  switch (found.kind) {
    case "no_trade":
      return signedReply(call, { response_code: "TRADE_NOT_EXIST", ...ids });
    case "no_refund":
      return signedReply(call, {
        response_code: "NOT_FOUND",
        ...ids,
        trade_no: found.trade.tradeNo,
      });
    case "pending":
    case "executed": {
      const trade = found.trade;
      const currency = currencyInfo(trade.currency) as CurrencyInfo;
      const amountMinor = found.kind === "pending" ? found.pending.amountMinor : found.refund.amountMinor;
      return signedReply(call, {
        response_code: "SUCCESS",
        refund_result_code: found.kind === "executed" ? "SUCCESS" : "PROCESSING",
        ...ids,
        trade_no: trade.tradeNo,
        refund_amount: formatAmount(amountMinor, currency),
        currency: trade.currency,
        gmt_create: formatDateTime(found.kind === "pending" ? found.pending.acceptedAt : found.refund.createdAt),
      });
    }
  }
}

function refundFields(trade: Trade, refund: Refund): Record<string, string> {
  const currency = currencyInfo(trade.currency) as CurrencyInfo;
  return {
    alipay_trans_id: trade.tradeNo,
    currency: trade.currency,
    exchange_rate: trade.exchangeRate,
    partner_refund_id: refund.outRefundNo,
    partner_trans_id: trade.outTradeNo,
    refund_amount: formatAmount(refund.amountMinor, currency),
    refund_amount_cny: formatCny(refund.cnyAmountMinor),
    result_code: "SUCCESS",
  };
}

function settlementFile(call: Call, service: "forex_compare_file" | "forex_liquidation_file"): GatewayReply {
  const p = call.params;
  const absent = missing(p, ["start_date", "end_date"]);
  if (absent !== undefined) return gatewayError("ILLEGAL_ARGUMENT", `${absent} is required`);
  const start = /^\d{8}$/.test(p["start_date"] as string) ? parseBeijingDay(p["start_date"] as string) : undefined;
  const end = /^\d{8}$/.test(p["end_date"] as string) ? parseBeijingDay(p["end_date"] as string) : undefined;
  if (start === undefined || end === undefined || end < start) return textReply(200, "Date format incorrect YYYYMMDD");
  if ((end - start) / DAY_MS + 1 > 10) return textReply(200, "Over 10 days to Date period");
  const today = parseBeijingDay(beijingDay(call.ctx.clock.now())) as number;
  if (end >= today) return textReply(200, "End date must be before today");
  const range =
    service === "forex_compare_file" ? { fromMs: start, toMs: end + DAY_MS } : liquidationRange(start, end + DAY_MS);
  const rows = settlementRows(call.ctx.store, {
    merchantId: call.partner.partnerId,
    ...range,
    feeRateBasisPoints: call.partner.feeRateBasisPoints,
  });
  if (rows.length === 0) return textReply(200, "No balance account data in the period");
  return textReply(200, mapiSettlementText(rows));
}

/** MAPI asynchronous notification for a trade status change or an asynchronous refund. */
export function mapiNotificationParams(
  ctx: GatewayContext,
  spec: { trade: Trade; refund?: Refund | undefined; notifyId: string },
): Record<string, string> | undefined {
  const partner = ctx.partners.get(spec.trade.merchantId);
  if (partner === undefined) return undefined;
  const { trade, refund } = spec;
  const currency = currencyInfo(trade.currency) as CurrencyInfo;
  const now = ctx.clock.now();
  const params: Record<string, string> = {
    notify_id: spec.notifyId,
    notify_time: formatDateTime(now),
    notify_type: "trade_status_sync",
    out_trade_no: trade.outTradeNo,
    partner_trans_id: trade.outTradeNo,
    trade_no: trade.tradeNo,
    alipay_trans_id: trade.tradeNo,
    trade_status: trade.status,
    total_fee: formatAmount(trade.amountMinor, currency),
    trans_amount: formatAmount(trade.amountMinor, currency),
    currency: trade.currency,
    buyer_id: trade.buyerUserId,
  };
  if (trade.paidAt !== undefined) params["gmt_payment"] = formatDateTime(trade.paidAt);
  if (trade.closedAt !== undefined) params["gmt_close"] = formatDateTime(trade.closedAt);
  if (refund !== undefined) {
    params["partner_refund_id"] = refund.outRefundNo;
    params["refund_amount"] = formatAmount(refund.amountMinor, currency);
    params["refund_status"] = "REFUND_SUCCESS";
    params["gmt_refund"] = formatDateTime(refund.createdAt);
  }
  const key: SigningKey =
    trade.signType === "MD5" && partner.md5Key !== undefined
      ? { signType: "MD5", md5Key: partner.md5Key }
      : {
          signType: trade.signType === "RSA" ? "RSA" : "RSA2",
          privateKey: ctx.gatewayPrivateKey,
        };
  params["sign_type"] = key.signType;
  params["sign"] = signParams(params, key);
  return params;
}
