/**
 * The partner payment API's part of the OpenAPI document (issue 18). The REST face of the
 * booking API is generated from tRPC procedures; this API is a plain handler (headers such as
 * Idempotency-Key, long-poll and server-sent events), so its paths are written here, with the
 * request schemas taken from the handler's own zod schemas.
 */
import { z } from "zod";
import { createPaymentBody, PARTNER_ENDPOINT, refundBody } from "./http.ts";

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const errorResponse = (description: string): Json => ({
  description,
  content: { "application/json": { schema: ref("PartnerError") } },
});

const paymentView: Json = {
  type: "object",
  required: ["id", "reference", "status", "paymentState", "isFinal", "amount", "currency", "version"],
  properties: {
    id: { type: "string" },
    reference: { type: "string" },
    status: {
      type: "string",
      enum: [
        "processing",
        "cancelling",
        "succeeded",
        "failed",
        "cancelled",
        "refunding",
        "partially_refunded",
        "refunded",
        "needs_attention",
      ],
    },
    paymentState: { type: "string", description: "The payment state machine's state (SENDING, POLLING, PAID, …)" },
    isFinal: { type: "boolean", description: "False while processing or cancelling" },
    amount: { type: "integer", description: "Minor units of currency" },
    currency: { type: "string" },
    refundedAmount: { type: "integer" },
    subject: { type: "string" },
    storeId: { type: "string" },
    terminalId: { type: "string" },
    paymentCodeMasked: { type: ["string", "null"] },
    failureReason: { type: ["string", "null"] },
    alipayTransId: { type: ["string", "null"] },
    createdAt: { type: "string", format: "date-time" },
    paidAt: { type: ["string", "null"], format: "date-time" },
    version: { type: "integer" },
    paymentId: { type: ["string", "null"] },
    orderId: { type: "string" },
    receipt: { oneOf: [ref("PartnerReceipt"), { type: "null" }] },
  },
};

const receipt: Json = {
  type: "object",
  properties: {
    merchant: { type: "string" },
    storeId: { type: "string" },
    terminalId: { type: "string" },
    terminalName: { type: "string" },
    reference: { type: "string" },
    subject: { type: "string" },
    amount: { type: "integer" },
    amountText: { type: "string" },
    currency: { type: "string" },
    refundedAmount: { type: "integer" },
    alipayTransId: { type: ["string", "null"] },
    partnerTransId: { type: "string" },
    buyerLoginId: { type: ["string", "null"], description: "Masked by Alipay" },
    paidAt: { type: ["string", "null"], format: "date-time" },
    exchangeRate: { type: ["string", "null"], description: "currency → CNY, where Alipay returned one" },
    walletName: { type: ["string", "null"], description: "Alipay+ through Antom: the wallet the buyer paid with" },
    lines: { type: "array", items: { type: "string" } },
    document: {
      type: "object",
      description:
        'The bridge\'s receipt document (@kiosk/bridge-protocol ReceiptDocument): send {"type":"print","kind":"receipt","document":…} to the terminal\'s bridge to print it as ESC/POS',
    },
  },
};

const idParam: Json = { name: "id", in: "path", required: true, schema: { type: "string" } };
const idemHeader: Json = {
  name: "Idempotency-Key",
  in: "header",
  required: true,
  schema: { type: "string", minLength: 1, maxLength: 128 },
  description: "Same key and body: the same payment/refund; same key, other body: 409 idempotency_conflict",
};
const waitParam: Json = {
  name: "wait",
  in: "query",
  required: false,
  schema: { type: "integer", minimum: 0, maximum: 25 },
  description: "Long-poll: answer once the payment is final or after this many seconds",
};
const commonOf = (publicUrl: string): Json => ({
  tags: ["partner"],
  security: [{ TerminalKey: [] }],
  servers: [{ url: publicUrl.replace(/\/+$/, "") }],
});
const errors: Json = {
  "400": errorResponse("invalid_request: fix the request; do not retry unchanged"),
  "401": errorResponse("unauthorized: missing, wrong or disabled terminal key"),
  "403": errorResponse("forbidden: storeId/terminalId not this key's"),
  "404": errorResponse("not_found"),
  "409": errorResponse("idempotency_conflict or conflict (state does not allow it)"),
  "500": errorResponse("internal_error: retry with the same Idempotency-Key"),
};
const okPayment = (description: string): Json => ({
  description,
  content: { "application/json": { schema: ref("PartnerPayment") } },
});

export function partnerOpenApiParts(publicUrl: string): { paths: Record<string, Json>; schemas: Record<string, Json> } {
  const base = PARTNER_ENDPOINT;
  const common = commonOf(publicUrl);
  return {
    schemas: {
      PartnerPayment: paymentView,
      PartnerReceipt: receipt,
      PartnerCreatePayment: z.toJSONSchema(createPaymentBody) as Json,
      PartnerRefund: z.toJSONSchema(refundBody) as Json,
      PartnerError: {
        type: "object",
        properties: {
          error: {
            type: "object",
            properties: { code: { type: "string" }, message: { type: "string" }, details: { type: "object" } },
          },
        },
      },
    },
    paths: {
      [`${base}/payments`]: {
        post: Object.assign({}, common, {
          operationId: "partnerCreatePayment",
          summary: "Create an Alipay payment for a scanned payment code; answers at once with its state",
          parameters: [idemHeader, waitParam],
          requestBody: { required: true, content: { "application/json": { schema: ref("PartnerCreatePayment") } } },
          responses: { "201": okPayment("Created"), "200": okPayment("Idempotent replay"), ...errors },
        }),
        get: Object.assign({}, common, {
          operationId: "partnerListPayments",
          summary: "This terminal's payments of a day (the attraction's time zone)",
          parameters: [{ name: "date", in: "query", required: true, schema: { type: "string", format: "date" } }],
          responses: {
            "200": {
              description: "The day's payments, newest first",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: { date: { type: "string" }, payments: { type: "array", items: ref("PartnerPayment") } },
                  },
                },
              },
            },
            ...errors,
          },
        }),
      },
      [`${base}/payments/{id}`]: {
        get: Object.assign({}, common, {
          operationId: "partnerGetPayment",
          summary: "A payment; with wait, a long-poll until it is final",
          parameters: [idParam, waitParam],
          responses: { "200": okPayment("The payment"), ...errors },
        }),
      },
      [`${base}/payments/{id}/events`]: {
        get: Object.assign({}, common, {
          operationId: "partnerPaymentEvents",
          summary: "Server-sent events: `event: payment`, `id: <version>`, data the payment; closes once final",
          parameters: [idParam],
          responses: {
            "200": {
              description: "text/event-stream",
              content: { "text/event-stream": { schema: { type: "string" } } },
            },
            ...errors,
          },
        }),
      },
      [`${base}/payments/{id}/cancel`]: {
        post: Object.assign({}, common, {
          operationId: "partnerCancelPayment",
          summary: "The buyer walked away: cancel (idempotent); a paid payment answers 409 (refund it)",
          parameters: [idParam],
          responses: { "200": okPayment("The payment, cancelling or cancelled"), ...errors },
        }),
      },
      [`${base}/payments/{id}/refunds`]: {
        post: Object.assign({}, common, {
          operationId: "partnerRefundPayment",
          summary: "Refund fully (no amount) or partly; idempotent by Idempotency-Key",
          parameters: [idParam, idemHeader],
          requestBody: { required: false, content: { "application/json": { schema: ref("PartnerRefund") } } },
          responses: {
            "200": {
              description: "The refund and the payment",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    properties: { refund: { type: "object" }, payment: ref("PartnerPayment") },
                  },
                },
              },
            },
            ...errors,
          },
        }),
      },
      [`${base}/payments/{id}/receipt`]: {
        get: Object.assign({}, common, {
          operationId: "partnerPaymentReceipt",
          summary: "Receipt data of a paid payment, ready to print",
          parameters: [idParam],
          responses: {
            "200": { description: "The receipt", content: { "application/json": { schema: ref("PartnerReceipt") } } },
            ...errors,
          },
        }),
      },
    },
  };
}
