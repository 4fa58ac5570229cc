/**
 * Alipay Open Platform gateway (`/gateway.do` with `method=`): RSA2/RSA request verification
 * (every parameter except `sign`), JSON responses signed over the exact `<method>_response`
 * text, codes 10000 / 10003 / 20000 / 40001 / 40002 / 40004 (reference §3a).
 */
import { buildOpenApiSignContent, openApiResponseKey, signParams, verifyContent } from "@kiosk/alipay-core";
import type { CurrentAlipayCert } from "./cert-mode.ts";
import type { GatewayContext, GatewayReply } from "./gateway-context.ts";
import { formatCny } from "./money.ts";
import { billDownloadUrl, cancel, pay, query, refund, refundQuery } from "./openapi-operations.ts";
import { amountText, isMethod, reply, type Body, type Call, type Params } from "./openapi-reply.ts";
import type { Refund, Trade } from "./store.ts";
import { formatDateTime, parseOpenApiTimestamp } from "./time-format.ts";

export { OPENAPI_METHODS } from "./openapi-reply.ts";
export { BILL_URL_TTL_MS } from "./openapi-operations.ts";

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
