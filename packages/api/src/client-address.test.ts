import { describe, expect, it } from "vitest";
import { appendPeer, clientAddress, parseTrustedProxies } from "./client-address.ts";

describe("client address from X-Forwarded-For and the TCP peer", () => {
  const none = parseTrustedProxies("");
  const proxies = parseTrustedProxies("10.0.0.0/8, 192.0.2.1 ::1/128");

  it("is the peer when no proxy is trusted, whatever the client wrote", () => {
    expect(clientAddress(appendPeer("203.0.113.9", "::ffff:198.51.100.4"), none)).toBe("198.51.100.4");
    expect(clientAddress(appendPeer(undefined, "198.51.100.4"), none)).toBe("198.51.100.4");
  });

  it("walks left over trusted hops only", () => {
    expect(clientAddress(appendPeer("203.0.113.9", "10.1.2.3"), proxies)).toBe("203.0.113.9");
    expect(clientAddress(appendPeer("6.6.6.6, 203.0.113.9, 192.0.2.1", "10.1.2.3"), proxies)).toBe("203.0.113.9");
    expect(clientAddress(appendPeer("2001:db8::7", "::1"), proxies)).toBe("2001:db8::7");
    // Only trusted hops: the leftmost is the client.
    expect(clientAddress(appendPeer("10.9.9.9", "10.1.2.3"), proxies)).toBe("10.9.9.9");
  });

  it("is unknown without the header (a request that bypassed the entry points)", () => {
    expect(clientAddress(null, proxies)).toBe("unknown");
  });

  it("refuses a bad trusted-proxy entry", () => {
    expect(() => parseTrustedProxies("10.0.0.0/8 proxy.local")).toThrow(/not an IP address/);
    expect(() => parseTrustedProxies("::1/129")).toThrow(/prefix/);
  });
});
