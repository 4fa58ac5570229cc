/** URL rules both protocols share: loopback hosts, acceptable bill links, form and query encoding. */

/**
 * True for a loopback host name as `URL#hostname` spells it: `localhost`, any IPv4 address in
 * 127.0.0.0/8, and `::1` (bracketed or not).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === "localhost" || host === "::1" || host === "[::1]") return true;
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return octets !== null && octets.slice(1).every((o) => Number(o) <= 255);
}

/**
 * Hosts whose bill links may be plain http: Alipay serves `bill_download_url` as
 * `http://dwbillcenter.alipay.com/downloadBillFile.resource?…` (documentation and real
 * captures; `alipaydev.com` in Alipay's own sandbox). The link is short-lived and its
 * content is checked against the ledger, never believed as a payment fact.
 */
export const ALIPAY_BILL_HTTP_HOST_SUFFIXES = ["alipay.com", "alipaydev.com"];

function isAlipayHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return ALIPAY_BILL_HTTP_HOST_SUFFIXES.some((suffix) => host === suffix || host.endsWith(`.${suffix}`));
}

/**
 * https anywhere; plain http only to an Alipay host ({@link ALIPAY_BILL_HTTP_HOST_SUFFIXES})
 * or a loopback host (a local sandbox); anything else is refused. Redirects are refused by
 * the transport, so the host checked here is the host that answers.
 */
export function isAcceptableDownloadUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && (isLoopbackHost(url.hostname) || isAlipayHost(url.hostname));
}

/** `application/x-www-form-urlencoded` body of `params`. */
export function formEncode(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

/** `url` with `query` set (replacing parameters of the same name). */
export function withQuery(url: string, query: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return u.toString();
}
