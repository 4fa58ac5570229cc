/** Public API of `@kiosk/alipay-core`. */
export * from "./signing.ts";
export { encodeText, decodeText, normaliseCharset } from "./charset.ts";
export * from "./errors.ts";
export * from "./types.ts";
export * from "./clock.ts";
export * from "./transport.ts";
export * from "./money.ts";
export {
  buildExtendInfo,
  createPartnerTransId,
  DEFAULT_ALIPAY_UTC_OFFSET_MINUTES,
  formatCompactTime,
  formatDashedTime,
  isAcceptableDownloadUrl,
  isLoopbackHost,
  MAPI_SERVICE,
  NOTIFICATION_ACK_BODY,
  OPENAPI_METHOD,
  parseAlipayTime,
  parseMapiEnvelope,
  parseSettlementFile,
  PARTNER_TRANS_ID_PATTERN,
  validatePartnerTransId,
  validatePaymentCode,
  type MapiEnvelope,
  type MerchantInfo,
  type PayInput,
  type RefundInput,
} from "./wire.ts";
export * from "./client.ts";
export {
  buildMapiRefundQueryParams,
  buildOpenApiRefundQueryBiz,
  mapMapiRefundQuery,
  mapOpenApiRefundQuery,
  type RefundQueryInput,
} from "./refund-query.ts";
export * from "./payment-machine.ts";
export * from "./run-payment.ts";
export * from "./payment-driver.ts";
export * from "./bill.ts";
export * from "./bill-archive.ts";
export * from "./certs.ts";
export * from "./cert-mode.ts";
