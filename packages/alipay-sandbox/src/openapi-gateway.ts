/**
 * Alipay Open Platform gateway (`/gateway.do` with `method=`): RSA2/RSA request verification
 * (every parameter except `sign`), JSON responses signed over the exact `<method>_response`
 * text, codes 10000 / 10003 / 20000 / 40001 / 40002 / 40004 (reference §3a).
 */
import { randomBytes } from "node:crypto";
import {
  buildOpenApiSignContent,
  openApiResponseKey,
  signContent,
  signParams,
  verifyContent,
  type SigningKey,
} from "@kiosk/alipay-core";
import type { CurrentAlipayCert } from "./cert-mode.ts";
import type { GatewayContext, GatewayReply, ResolvedApp } from "./gateway-context.ts";
import { currencyInfo, formatAmount, formatCny, parseAmount, type CurrencyInfo } from "./money.ts";
import { openApiBillZip, settlementRows } from "./settlement.ts";
import type { Refund, Trade } from "./store.ts";
import { beijingDay, DAY_MS, formatDateTime, parseBeijingDay, parseOpenApiTimestamp } from "./time-format.ts";
import type { PayOutcome, ResponseEffects } from "./trade-engine.ts";

export const OPENAPI_METHODS = [
  "alipay.trade.pay",
  "alipay.trade.query",
  "alipay.trade.cancel",
  "alipay.trade.refund",
  "alipay.trade.fastpay.refund.query",
  "alipay.data.dataservice.bill.downloadurl.query",
] as const;

type OpenApiMethod = (typeof OPENAPI_METHODS)[number];

type Params = Readonly<Record<string, string>>;

type Body = Record<string, unknown>;

type Call = {
  ctx: GatewayContext;
  method: OpenApiMethod;
  app: ResolvedApp;
  signType: "RSA" | "RSA2";
  biz: Body;
  /** Certificate mode: the Alipay certificate that signs the answer. */
  alipayCert: CurrentAlipayCert | undefined;
};

const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

/** How long a bill download link works (Alipay: 30 s). */
export const BILL_URL_TTL_MS = 30_000;

const MESSAGES: Record<string, string> = {
  "10000": "Success",
  "10003": "order success pay inprocess",
  "20000": "Service Currently Unavailable",
  "40001": "Missing Required Arguments",
  "40002": "Invalid Arguments",
  "40004": "Business Failed",
};

function isMethod(method: string): method is OpenApiMethod {
  return (OPENAPI_METHODS as readonly string[]).includes(method);
}

function compact(body: Record<string, unknown>): Body {
  const out: Body = {};
  for (const [k, v] of Object.entries(body)) if (v !== undefined && v !== "") out[k] = v;
  return out;
}

function reply(
  ctx: GatewayContext,
  spec: {
    responseKey: string;
    code: keyof typeof MESSAGES;
    body?: Record<string, unknown>;
    subCode?: string;
    subMsg?: string;
    signType?: "RSA" | "RSA2";
    effects?: ResponseEffects;
    /** Certificate mode: sign with this certificate's key and answer its SN as `alipay_cert_sn`. */
    alipayCert?: CurrentAlipayCert | undefined;
  },
): GatewayReply {
  const response = compact({
    code: spec.code,
    msg: MESSAGES[spec.code],
    sub_code: spec.subCode,
    sub_msg: spec.subMsg,
    ...spec.body,
  });
  const key: SigningKey = {
    signType: spec.signType ?? "RSA2",
    privateKey: spec.alipayCert?.privateKey ?? ctx.gatewayPrivateKey,
  };
  const json = JSON.stringify(response);
  const tamper = ctx.takeBadSignature(spec.effects?.badSignature);
  const sign = signContent(tamper ? `${json} ` : json, key);
  const { badSignature: _ignored, ...transport } = spec.effects ?? {};
  const result: GatewayReply = {
    status: 200,
    contentType: JSON_CONTENT_TYPE,
    body: `{"${spec.responseKey}":${ctx.escapeSlashesInJson ? json.replaceAll("/", "\\/") : json}${
      spec.alipayCert === undefined ? "" : `,"alipay_cert_sn":${JSON.stringify(spec.alipayCert.sn)}`
    },"sign":${JSON.stringify(sign)}}`,
    effects: transport,
  };
  if (spec.subMsg !== undefined) result.detail = spec.subMsg;
  return result;
}

function callReply(
  call: Call,
  code: keyof typeof MESSAGES,
  extra: {
    body?: Record<string, unknown>;
    subCode?: string;
    subMsg?: string;
    effects?: ResponseEffects;
  } = {},
): GatewayReply {
  return reply(call.ctx, {
    responseKey: openApiResponseKey(call.method),
    code,
    signType: call.signType,
    alipayCert: call.alipayCert,
    ...extra,
  });
}

function invalidParameter(call: Call, subMsg: string, body: Record<string, unknown> = {}): GatewayReply {
  return callReply(call, "40004", {
    subCode: "ACQ.INVALID_PARAMETER",
    subMsg,
    body,
  });
}

function str(biz: Body, name: string): string | undefined {
  const v = biz[name];
  if (typeof v === "string") return v === "" ? undefined : v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return undefined;
}

/** Entry point for an OpenAPI request (URL query and form body merged). */
export function handleOpenApi(ctx: GatewayContext, params: Params): GatewayReply {
  const method = params["method"] ?? "";
  const responseKey = isMethod(method) ? openApiResponseKey(method) : "error_response";
  let alipayCert: CurrentAlipayCert | undefined;
  const fail = (code: "40001" | "40002", subCode: string, subMsg: string): GatewayReply =>
    reply(ctx, { responseKey, code, subCode, subMsg, alipayCert });

  if (method === "") return fail("40001", "isv.missing-method", "method is missing");
  const appId = params["app_id"] ?? "";
  if (appId === "") return fail("40001", "isv.missing-app-id", "app_id is missing");
  const app = ctx.apps.get(appId);
  if (app === undefined) return fail("40002", "isv.invalid-app-id", `app_id ${appId} is not configured`);
  if (app.appCertSn !== undefined && ctx.certMode !== undefined) {
    // Certificate mode (sub codes are the sandbox's own names).
    alipayCert = ctx.certMode.current();
    const appCertSn = params["app_cert_sn"] ?? "";
    if (appCertSn === "")
      return fail(
        "40001",
        "isv.missing-app-cert-sn",
        "app_cert_sn is missing: the app is in public-key certificate mode",
      );
    if (appCertSn !== app.appCertSn)
      return fail(
        "40002",
        "isv.invalid-app-cert-sn",
        `app_cert_sn ${appCertSn} is not the SN of the app's certificate (${app.appCertSn})`,
      );
    const rootCertSn = params["alipay_root_cert_sn"] ?? "";
    if (rootCertSn === "")
      return fail(
        "40001",
        "isv.missing-alipay-root-cert-sn",
        "alipay_root_cert_sn is missing: the app is in public-key certificate mode",
      );
    if (rootCertSn !== ctx.certMode.rootCertSn)
      return fail(
        "40002",
        "isv.invalid-alipay-root-cert-sn",
        `alipay_root_cert_sn ${rootCertSn} is not the SN of Alipay's root certificate (${ctx.certMode.rootCertSn})`,
      );
  }
  const signTypeText = params["sign_type"] ?? "";
  if (signTypeText === "") return fail("40001", "isv.missing-signature-type", "sign_type is missing");
  if (signTypeText !== "RSA2" && signTypeText !== "RSA") {
    return fail("40002", "isv.invalid-signature-type", `sign_type ${signTypeText} is not RSA2 or RSA`);
  }
  const sign = params["sign"] ?? "";
  if (sign === "") return fail("40001", "isv.missing-signature", "sign is missing");
  const content = buildOpenApiSignContent(params);
  if (
    !verifyContent(content, sign, {
      signType: signTypeText,
      publicKey: app.rsaPublicKey,
    })
  ) {
    ctx.logger.warn("OpenAPI signature rejected", {
      appId,
      method,
      signType: signTypeText,
      signContent: content,
    });
    return fail(
      "40002",
      "isv.invalid-signature",
      `invalid signature; check the private key matches the configured app public key. The gateway's sign string was: ${content}`,
    );
  }
  const timestamp = params["timestamp"] ?? "";
  if (timestamp === "") return fail("40001", "isv.missing-timestamp", "timestamp is missing");
  if (parseOpenApiTimestamp(timestamp) === undefined) {
    return fail("40002", "isv.invalid-timestamp", "timestamp must be yyyy-MM-dd HH:mm:ss");
  }
  const version = params["version"] ?? "";
  if (version === "") return fail("40001", "isv.missing-version", "version is missing");
  if (version !== "1.0") return fail("40002", "isv.invalid-version", "version must be 1.0");
  const charset = params["charset"];
  if (charset !== undefined && charset.toLowerCase() !== "utf-8") {
    return fail("40002", "isv.invalid-charset", `charset ${charset} is not simulated; send utf-8`);
  }
  const format = params["format"];
  if (format !== undefined && format.toUpperCase() !== "JSON")
    return fail("40002", "isv.invalid-format", "format must be JSON");
  if (!isMethod(method)) return fail("40002", "isv.invalid-method", `method ${method} is not supported`);

  let biz: Body;
  try {
    const parsed: unknown = JSON.parse(params["biz_content"] ?? "");
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new TypeError("not an object");
    biz = parsed as Body;
  } catch {
    return reply(ctx, {
      responseKey,
      code: "40004",
      subCode: "ACQ.INVALID_PARAMETER",
      subMsg: "biz_content must be a JSON object",
      signType: signTypeText,
      alipayCert,
    });
  }
  if (ctx.store.faults.systemErrorNext > 0) {
    ctx.store.faults.systemErrorNext -= 1;
    return reply(ctx, {
      responseKey,
      code: "20000",
      subCode: "isp.unknow-error",
      subMsg: "operator fault: systemErrorNext",
      signType: signTypeText,
      alipayCert,
    });
  }
  const call: Call = {
    ctx,
    method,
    app,
    signType: signTypeText,
    biz,
    alipayCert,
  };
  switch (method) {
    case "alipay.trade.pay":
      return pay(call, params["notify_url"]);
    case "alipay.trade.query":
      return query(call);
    case "alipay.trade.cancel":
      return cancel(call);
    case "alipay.trade.refund":
      return refund(call);
    case "alipay.trade.fastpay.refund.query":
      return refundQuery(call);
    case "alipay.data.dataservice.bill.downloadurl.query":
      return billDownloadUrl(call);
  }
}

const OUT_TRADE_NO = /^[A-Za-z0-9_]{1,64}$/;

function amountText(trade: Trade, minor: number): string {
  return formatAmount(minor, currencyInfo(trade.currency) as CurrencyInfo);
}

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

function pay(call: Call, notifyUrl: string | undefined): GatewayReply {
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
      return callReply(call, "40004", { ...failure, body, effects });
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

function query(call: Call): GatewayReply {
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
    body: {
      ...paidBody(trade),
      trade_status: trade.status,
      send_pay_date: trade.paidAt === undefined ? undefined : formatDateTime(trade.paidAt),
      gmt_payment: undefined,
    },
  });
}

function cancel(call: Call): GatewayReply {
  const ids = lookupIds(call);
  if (ids === undefined) return invalidParameter(call, "out_trade_no or trade_no is required");
  const echo = compact({ out_trade_no: ids.outTradeNo, trade_no: ids.tradeNo });
  const trade = call.ctx.engine.find(call.app.appId, ids);
  if (call.ctx.engine.shouldFailWithSystemError(trade, "cancel")) {
    return callReply(call, "40004", {
      subCode: "ACQ.SYSTEM_ERROR",
      subMsg: "system error, retry the cancel",
      body: { ...echo, retry_flag: "Y" },
    });
  }
  if (trade === undefined) {
    if (ids.outTradeNo === undefined) {
      return callReply(call, "40004", {
        subCode: "ACQ.TRADE_NOT_EXIST",
        subMsg: "trade does not exist",
        body: { ...echo, retry_flag: "N" },
      });
    }
    // Closing an order that never arrived: a late pay with this out_trade_no is refused.
    call.ctx.engine.block(call.app.appId, ids.outTradeNo);
    return callReply(call, "10000", { body: { ...echo, retry_flag: "N" } });
  }
  const outcome = call.ctx.engine.cancel(trade, "24_hours");
  const tradeIds = { trade_no: trade.tradeNo, out_trade_no: trade.outTradeNo };
  if (outcome.kind === "refused") {
    return callReply(call, "40004", {
      subCode: `ACQ.${outcome.code}`,
      subMsg: outcome.detail,
      body: { ...tradeIds, retry_flag: "N" },
    });
  }
  if (outcome.kind === "not_found") {
    return callReply(call, "40004", {
      subCode: "ACQ.TRADE_NOT_EXIST",
      subMsg: "trade does not exist",
      body: { ...echo, retry_flag: "N" },
    });
  }
  return callReply(call, "10000", {
    body: {
      ...tradeIds,
      retry_flag: "N",
      action: outcome.action,
      gmt_refund_pay:
        outcome.action === "refund" && trade.closedAt !== undefined ? formatDateTime(trade.closedAt) : undefined,
    },
  });
}

function refund(call: Call): GatewayReply {
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
        body: compact({
          ...tradeIds,
          buyer_logon_id: trade.buyerLoginId,
          buyer_user_id: trade.buyerUserId,
          fund_change: outcome.fundChange ? "Y" : "N",
          refund_fee: amountText(trade, trade.refundedMinor),
          send_back_fee: amountText(trade, outcome.refund.amountMinor),
          gmt_refund_pay: formatDateTime(outcome.refund.createdAt),
          out_request_no: outcome.refund.outRefundNo,
          refund_currency: trade.currency !== "CNY" ? trade.currency : undefined,
        }),
      });
    case "accepted":
      // Accepted, but no money moved in this call: the merchant must confirm by refund query.
      return callReply(call, "10000", {
        body: compact({
          ...tradeIds,
          buyer_logon_id: trade.buyerLoginId,
          buyer_user_id: trade.buyerUserId,
          fund_change: "N",
          refund_fee: amountText(trade, trade.refundedMinor),
          out_request_no: outcome.pending.outRefundNo,
          refund_currency: trade.currency !== "CNY" ? trade.currency : undefined,
        }),
      });
  }
}

/**
 * `alipay.trade.fastpay.refund.query`: `10000` only says the query worked. An executed refund
 * carries `refund_status=REFUND_SUCCESS`; an accepted one not yet executed has its data but no
 * `refund_status`; an unknown `out_request_no` answers `10000` without refund data.
 */
function refundQuery(call: Call): GatewayReply {
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

function billDownloadUrl(call: Call): GatewayReply {
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

/** OpenAPI `trade_status_sync` notification (form fields, signed with the "V1" rule). */
export function openApiNotificationParams(
  ctx: GatewayContext,
  spec: { trade: Trade; refund?: Refund | undefined; notifyId: string },
): Record<string, string> | undefined {
  const app = ctx.apps.get(spec.trade.merchantId);
  if (app === undefined) return undefined;
  const { trade, refund } = spec;
  const total = amountText(trade, trade.amountMinor);
  const params: Record<string, string> = {
    notify_time: formatDateTime(ctx.clock.now()),
    notify_type: "trade_status_sync",
    notify_id: spec.notifyId,
    app_id: app.appId,
    charset: "utf-8",
    version: "1.0",
    trade_no: trade.tradeNo,
    out_trade_no: trade.outTradeNo,
    buyer_id: trade.buyerUserId,
    buyer_logon_id: trade.buyerLoginId,
    seller_id: app.sellerId,
    trade_status: trade.status,
    total_amount: total,
    subject: trade.subject,
    gmt_create: formatDateTime(trade.createdAt),
  };
  if (trade.paidAt !== undefined) {
    params["receipt_amount"] = total;
    params["invoice_amount"] = total;
    params["buyer_pay_amount"] = formatCny(trade.cnyAmountMinor);
    params["point_amount"] = "0.00";
    params["gmt_payment"] = formatDateTime(trade.paidAt);
    params["fund_bill_list"] = JSON.stringify([
      { amount: formatCny(trade.cnyAmountMinor), fundChannel: "ALIPAYACCOUNT" },
    ]);
  }
  if (trade.closedAt !== undefined) params["gmt_close"] = formatDateTime(trade.closedAt);
  if (trade.currency !== "CNY") params["trans_currency"] = trade.currency;
  if (refund !== undefined) {
    params["out_biz_no"] = refund.outRefundNo;
    params["refund_fee"] = amountText(trade, trade.refundedMinor);
    params["gmt_refund"] = formatDateTime(refund.createdAt);
  }
  const signType = trade.signType === "RSA" ? "RSA" : "RSA2";
  params["sign_type"] = signType;
  params["sign"] = signParams(params, {
    signType,
    privateKey:
      app.appCertSn !== undefined && ctx.certMode !== undefined
        ? ctx.certMode.current().privateKey
        : ctx.gatewayPrivateKey,
  });
  return params;
}
