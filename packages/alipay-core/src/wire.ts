/**
 * Compatibility barrel: everything `wire.ts` exported before alipay-core was split by protocol.
 * The code lives in `shared/` (time, ids, urls, mapping), `mapi/` and `openapi/`; new code
 * imports from there. Kept so existing imports (the state machine's, `run-payment.ts`) resolve.
 */
export {
  CURRENCY_EXPONENT,
  currencyExponent,
  formatAmount,
  formatChargeAmount,
  maskPaymentCode,
  MAX_AMOUNT_MAJOR,
  parseAmount,
  PAYMENT_CODE_PATTERN,
} from "./money.ts";
export type { PayInput, RefundInput } from "./shared/contract.ts";
export * from "./shared/time.ts";
export * from "./shared/ids.ts";
export { ALIPAY_BILL_HTTP_HOST_SUFFIXES, isAcceptableDownloadUrl, isLoopbackHost } from "./shared/urls.ts";
export { checkEcho, NOTIFICATION_ACK_BODY, optional, parseRequiredAmount } from "./shared/mapping.ts";
export * from "./mapi/names.ts";
export * from "./mapi/params.ts";
export * from "./mapi/envelope.ts";
export * from "./mapi/responses.ts";
export * from "./mapi/settlement.ts";
export * from "./openapi/names.ts";
export * from "./openapi/params.ts";
export * from "./openapi/responses.ts";
export { buildOpenApiBillBiz, mapOpenApiBill } from "./openapi/bill.ts";
