/**
 * A notification for a trade, signed by the gateway on an operator's request and returned
 * instead of delivered: as the sandbox would send it for the trade's status, or altered
 * before signing (another status, fields left out, fields set). Real Alipay signs, with the
 * same key, notifications that do not prove a payment of ours (another merchant's trade,
 * another amount); this lets a merchant test that such a notification settles nothing.
 */
import { signParams, type SigningKey } from "@kiosk/alipay-core";
import { z } from "zod";
import { antomNotificationBody, signAntomNotification } from "./antom-gateway.ts";
import type { GatewayContext } from "./gateway-context.ts";
import { mapiNotificationParams } from "./mapi-gateway.ts";
import { openApiNotificationParams } from "./openapi-gateway.ts";
import type { Trade } from "./store.ts";

/** Body of `POST /sandbox/trades/:id/notification`; unknown keys are rejected. */
export const NotificationRequestSchema = z.strictObject({
  /** The status to notify instead of the trade's own (a success adds `gmt_payment`). */
  tradeStatus: z.enum(["WAIT_BUYER_PAY", "TRADE_SUCCESS", "TRADE_CLOSED"]).optional(),
  /** Fields to leave out (never `sign` / `sign_type`); Antom: JSON paths such as `paymentAmount.value`. */
  omit: z.array(z.string().min(1).max(64)).max(50).optional(),
  /** Fields to set or replace before signing (Antom: JSON paths, string values). */
  set: z.record(z.string().min(1).max(64), z.string().max(1000)).optional(),
});

export type NotificationRequest = z.infer<typeof NotificationRequestSchema>;

/** The signed form fields, or undefined when the trade's merchant is not configured here. */
export function craftNotification(
  ctx: GatewayContext,
  trade: Trade,
  request: NotificationRequest,
  notifyId: string,
): Record<string, string> | undefined {
  const status = request.tradeStatus ?? trade.status;
  const shown: Trade = Object.assign({}, trade, {
    status,
    paidAt: status === "TRADE_SUCCESS" ? (trade.paidAt ?? ctx.clock.now()) : trade.paidAt,
  });
  if (trade.protocol === "antom") return craftAntom(ctx, shown, request);
  const sent =
    trade.protocol === "mapi"
      ? mapiNotificationParams(ctx, { trade: shown, notifyId })
      : openApiNotificationParams(ctx, { trade: shown, notifyId });
  if (sent === undefined) return undefined;
  const { sign: _sign, sign_type: signType = "RSA2", ...fields } = sent;
  for (const name of request.omit ?? []) delete fields[name];
  Object.assign(fields, request.set ?? {});
  const md5Key = ctx.partners.get(trade.merchantId)?.md5Key;
  const key: SigningKey =
    signType === "MD5" && md5Key !== undefined
      ? { signType: "MD5", md5Key }
      : {
          signType: signType === "RSA" ? "RSA" : "RSA2",
          privateKey: ctx.gatewayPrivateKey,
        };
  const params: Record<string, string> = Object.assign({}, fields, { sign_type: key.signType });
  params["sign"] = signParams(params, key);
  return params;
}

type Json = Record<string, unknown>;

/** The object holding the last segment of a dotted path (created on `create`), and that segment. */
function holder(root: Json, path: string, create: boolean): { parent: Json; key: string } | undefined {
  const parts = path.split(".");
  if (parts.some((p) => p === "" || p === "__proto__" || p === "constructor" || p === "prototype")) return undefined;
  let parent = root;
  for (const part of parts.slice(0, -1)) {
    const next = Object.hasOwn(parent, part) ? parent[part] : undefined;
    if (typeof next === "object" && next !== null && !Array.isArray(next)) parent = next as Json;
    else if (create) parent = parent[part] = {};
    else return undefined;
  }
  return { parent, key: parts[parts.length - 1] as string };
}

/** Antom's notifyPayment for the trade as shown, altered by JSON path, then signed (header pieces). */
function craftAntom(
  ctx: GatewayContext,
  shown: Trade,
  request: NotificationRequest,
): Record<string, string> | undefined {
  const body: Json = antomNotificationBody(shown) ?? {
    notifyType: "PAYMENT_PENDING",
    result: { resultCode: "PAYMENT_IN_PROCESS", resultStatus: "U", resultMessage: "processing" },
    paymentRequestId: shown.outTradeNo,
    paymentId: shown.tradeNo,
  };
  for (const path of request.omit ?? []) {
    const at = holder(body, path, false);
    if (at !== undefined) delete at.parent[at.key];
  }
  for (const [path, value] of Object.entries(request.set ?? {})) {
    const at = holder(body, path, true);
    if (at !== undefined) at.parent[at.key] = value;
  }
  return signAntomNotification(ctx, { clientId: shown.merchantId, url: shown.notifyUrl, body });
}
