/** MAPI service names and fixed values (reference §1). */

/** MAPI service names (reference §1.0). */
export const MAPI_SERVICE = {
  pay: "alipay.acquire.overseas.spot.pay",
  query: "alipay.acquire.overseas.query",
  cancel: "alipay.acquire.cancel",
  refund: "alipay.acquire.overseas.spot.refund",
  /** @see https://docs.antom.com/ac/global/refundquery */
  refundQuery: "alipay.acquire.refund.query",
  settlementFile: "forex_liquidation_file",
  transactionFile: "forex_compare_file",
} as const;

/** `biz_product` value for overseas barcode pay (demo: "static value which is mandatory"). */
export const MAPI_BIZ_PRODUCT = "OVERSEAS_MBARCODE_PAY";
/** Charset we always declare and sign with. */
export const MAPI_INPUT_CHARSET = "UTF-8";

/** MAPI's SYSTEM_ERROR spelling: the outcome is unknown. */
export const SYSTEM_ERROR = "SYSTEM_ERROR";
