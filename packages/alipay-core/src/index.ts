/** Public API of `@kiosk/alipay-core`. */
export * from "./signing.ts";
export { encodeText, decodeText, normaliseCharset } from "./charset.ts";
export * from "./errors.ts";
export * from "./types.ts";
export * from "./clock.ts";
export * from "./transport.ts";
export * from "./money.ts";
export { NOTIFICATION_ACK_BODY } from "./shared/mapping.ts";
export {
  DEFAULT_ALIPAY_UTC_OFFSET_MINUTES,
  formatCompactTime,
  formatDashedTime,
  parseAlipayTime,
} from "./shared/time.ts";
export {
  createPartnerTransId,
  PARTNER_TRANS_ID_PATTERN,
  validatePartnerTransId,
  validatePaymentCode,
} from "./shared/ids.ts";
export { isAcceptableDownloadUrl, isLoopbackHost } from "./shared/urls.ts";
export * from "./client.ts";
export { MAPI_SERVICE } from "./mapi/names.ts";
export { buildExtendInfo, buildMapiRefundQueryParams, type MerchantInfo } from "./mapi/params.ts";
export { parseMapiEnvelope, type MapiEnvelope } from "./mapi/envelope.ts";
export { mapMapiRefundQuery } from "./mapi/responses.ts";
export { parseSettlementFile } from "./mapi/settlement.ts";
export { OPENAPI_METHOD } from "./openapi/names.ts";
export { buildOpenApiRefundQueryBiz } from "./openapi/params.ts";
export { mapOpenApiRefundQuery } from "./openapi/responses.ts";
export { DEFAULT_BILL_DOWNLOAD_TIMEOUT_MS, fetchBill, type BillFile, type FetchBillOptions } from "./openapi/bill.ts";
export * from "./openapi/bill-archive.ts";
export * from "./antom/signing.ts";
export * from "./antom/wallets.ts";
export * from "./antom/report.ts";
export { sshFingerprint, type AntomSftpSettings } from "./antom/sftp.ts";
export * from "./antom/wire.ts";
export { type AntomNotificationMessage } from "./antom/client.ts";
export * from "./payment-machine.ts";
export * from "./refund-window.ts";
export * from "./run-payment.ts";
export * from "./payment-driver.ts";
export * from "./certs.ts";
export * from "./openapi/cert-mode.ts";
