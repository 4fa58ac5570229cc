/**
 * OpenAPI bills: `alipay.data.dataservice.bill.downloadurl.query` (biz and answer) and the
 * download of the short-lived `bill_download_url` (a ZIP of CSV files, read by
 * `bill-archive.ts`). The file is for reconciliation only, never a payment fact.
 */
import { AlipayGatewayError, AlipayNetworkError, AlipayResponseError, AlipayValidationError } from "../errors.ts";
import { FetchTransport, type HttpTransport } from "../transport.ts";
import { parseCalendarDate } from "../shared/time.ts";
import { isAcceptableDownloadUrl } from "../shared/urls.ts";
import { OPENAPI_CODE } from "./names.ts";
import { failureReason, str } from "./responses.ts";

/** `alipay.data.dataservice.bill.downloadurl.query` biz_content (the trade bill of one day). */
export function buildOpenApiBillBiz(billDate: string): Record<string, unknown> {
  parseCalendarDate(billDate, "date");
  return { bill_type: "trade", bill_date: billDate };
}

/** Maps `alipay.data.dataservice.bill.downloadurl.query`. */
export function mapOpenApiBill(r: Record<string, unknown>): { downloadUrl: string } | { message: string } {
  const code = str(r, "code");
  if (code === OPENAPI_CODE.success) {
    const url = str(r, "bill_download_url");
    if (url === undefined || !isAcceptableDownloadUrl(url))
      throw new AlipayResponseError(
        "Bill response lacks an https bill_download_url (http only to an Alipay or loopback host)",
      );
    return { downloadUrl: url };
  }
  if (code === OPENAPI_CODE.businessFailed) {
    const sub = failureReason(r);
    if (/BILL_NOT_EXIST/i.test(sub)) return { message: sub };
    throw new AlipayGatewayError(`Alipay refused the bill request: ${sub}`, {
      gatewayCode: code,
      subCode: sub,
      isRetryable: false,
    });
  }
  throw new AlipayGatewayError(`Alipay bill request failed: ${failureReason(r)}`, {
    gatewayCode: code ?? "",
    isRetryable: true,
  });
}

/** Time-out of a bill download. */
export const DEFAULT_BILL_DOWNLOAD_TIMEOUT_MS = 30_000;

export type FetchBillOptions = {
  /** @default FetchTransport (16 MiB cap, redirects refused) */
  transport?: HttpTransport;
  /** @default 30000 */
  timeoutMs?: number;
  signal?: AbortSignal;
};

export type BillFile = {
  /** The raw file (a ZIP for Alipay's trade bill). */
  bytes: Uint8Array;
  /** Lower-cased `content-type`, if sent. */
  contentType: string | undefined;
};

/**
 * GETs a `bill_download_url`. Only https, or http to an Alipay host or a loopback host (a
 * local sandbox); redirects are refused (the default transport).
 * @throws AlipayValidationError for any other URL, AlipayNetworkError (5xx, connection),
 *   AlipayResponseError (other non-200), AlipayTimeoutError, AlipayAbortError.
 */
export async function fetchBill(url: string, options: FetchBillOptions = {}): Promise<BillFile> {
  if (!isAcceptableDownloadUrl(url)) {
    throw new AlipayValidationError("bill download URL must be https (http only to an Alipay or loopback host)", {
      field: "url",
    });
  }
  const transport = options.transport ?? new FetchTransport();
  const response = await transport.request({
    method: "GET",
    url,
    headers: {},
    timeoutMs: options.timeoutMs ?? DEFAULT_BILL_DOWNLOAD_TIMEOUT_MS,
    signal: options.signal ?? new AbortController().signal,
  });
  if (response.status >= 500) {
    throw new AlipayNetworkError(`Bill download failed with HTTP ${response.status}`, { httpStatus: response.status });
  }
  if (response.status !== 200) {
    throw new AlipayResponseError(`Bill download answered HTTP ${response.status} (the link may have expired)`, {
      httpStatus: response.status,
    });
  }
  return {
    bytes: response.body,
    contentType: response.headers["content-type"],
  };
}
