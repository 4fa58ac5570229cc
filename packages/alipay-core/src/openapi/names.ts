/** OpenAPI method names, codes and fixed values (reference §3a). */

/** OpenAPI method names (reference §3a). */
export const OPENAPI_METHOD = {
  pay: "alipay.trade.pay",
  query: "alipay.trade.query",
  cancel: "alipay.trade.cancel",
  refund: "alipay.trade.refund",
  /** @see https://opendocs.alipay.com/open/02ekfl (alipay.trade.fastpay.refund.query) */
  refundQuery: "alipay.trade.fastpay.refund.query",
  billDownloadUrl: "alipay.data.dataservice.bill.downloadurl.query",
} as const;

/** OpenAPI product code for in-store barcode. */
export const OPENAPI_PRODUCT_CODE = "FACE_TO_FACE_PAYMENT";

/** Gateway codes (reference §3a). */
export const OPENAPI_CODE = {
  success: "10000",
  waitingBuyer: "10003",
  unknown: "20000",
  businessFailed: "40004",
} as const;

/** `40004` sub-codes both the mappers and the refund query read. */
export const OPENAPI_SYSTEM_ERROR = "ACQ.SYSTEM_ERROR";
/** `40004` sub-codes both the mappers and the refund query read. */
export const OPENAPI_NOT_EXIST = "ACQ.TRADE_NOT_EXIST";
