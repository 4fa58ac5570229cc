/**
 * The client's address for rate limits and the audit log. X-Forwarded-For is believed only
 * as far as it was written by proxies named in TRUSTED_PROXIES (a CIDR list):
 *
 *   - every server entry point appends the TCP peer to X-Forwarded-For before the handlers
 *     see the request (node-http.ts for the headless server and tests; instrumentation.ts
 *     for `next start`), so the rightmost entry is always the real peer;
 *   - walking from the right, entries inside a trusted range are proxies; the first one
 *     that is not is the client. Anything further left was written by the client and is ignored.
 *
 * With no trusted proxies (the default, `npm start` on loopback) the client is the peer, and
 * an invented X-Forwarded-For changes nothing. The shipped nginx sets `X-Forwarded-For
 * $remote_addr` (it does not pass on what the client sent).
 */
import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";

export type TrustedProxies = BlockList;

/** Parses "10.0.0.0/8, 172.16.0.0/12 ::1/128"; a bare address is a /32 (/128). Throws on a bad entry. */
export function parseTrustedProxies(text: string | undefined): TrustedProxies {
  const list = new BlockList();
  for (const entry of (text ?? "").split(/[\s,]+/).filter(Boolean)) {
    const [address = "", prefixText] = entry.split("/");
    const family = isIP(address);
    if (family === 0) throw new Error(`"${entry}" is not an IP address or CIDR range`);
    const type = family === 4 ? "ipv4" : "ipv6";
    const prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : Number(prefixText);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128))
      throw new Error(`"${entry}" has a bad prefix length`);
    list.addSubnet(address, prefix, type);
  }
  return list;
}

/** "::ffff:127.0.0.1" → "127.0.0.1"; brackets and IPv4 ports removed. */
export function normalizeAddress(raw: string): string {
  let a = raw.trim();
  if (a.startsWith("[")) a = a.slice(1, a.indexOf("]") > 0 ? a.indexOf("]") : undefined);
  if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(a)) a = a.slice(0, a.lastIndexOf(":"));
  if (a.toLowerCase().startsWith("::ffff:") && isIP(a.slice(7)) === 4) a = a.slice(7);
  return a;
}

function isTrusted(list: TrustedProxies, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? "ipv4" : "ipv6");
}

/**
 * The client address from an X-Forwarded-For whose last entry is the TCP peer (see above).
 * "unknown" when there is no header at all (a request that did not come through a server entry point).
 */
export function clientAddress(forwardedFor: string | null, trusted: TrustedProxies): string {
  const hops = (forwardedFor ?? "").split(",").map(normalizeAddress).filter(Boolean);
  if (hops.length === 0) return "unknown";
  for (let i = hops.length - 1; i > 0; i--) {
    const hop = hops[i]!;
    if (!isTrusted(trusted, hop)) return hop;
  }
  return hops[0]!;
}

/** X-Forwarded-For with the TCP peer appended: what every entry point hands the handlers. */
export function appendPeer(forwardedFor: string | string[] | undefined, peer: string | undefined): string {
  const existing = (Array.isArray(forwardedFor) ? forwardedFor.join(", ") : (forwardedFor ?? "")).trim();
  const p = peer ? normalizeAddress(peer) : "unknown";
  return existing ? `${existing}, ${p}` : p;
}

const parsed = new Map<string, TrustedProxies>();

/** The parsed list for env's `trustedProxies` entries (parsed once per distinct list). */
export function trustedProxiesOf(entries: readonly string[]): TrustedProxies {
  const key = entries.join(",");
  let list = parsed.get(key);
  if (!list) {
    list = parseTrustedProxies(key);
    parsed.set(key, list);
  }
  return list;
}

const stamped = new WeakSet<IncomingMessage>();

/** Appends the TCP peer to the request's X-Forwarded-For, once per request; returns the new value. */
export function stampPeer(req: IncomingMessage): string {
  if (!stamped.has(req)) {
    stamped.add(req);
    req.headers["x-forwarded-for"] = appendPeer(req.headers["x-forwarded-for"], req.socket.remoteAddress);
  }
  return req.headers["x-forwarded-for"] as string;
}
