import { describe, expect, it } from "vitest";
import {
  AlipayAbortError,
  AlipayConfigError,
  AlipayGatewayError,
  AlipayNetworkError,
  AlipayResponseError,
  AlipaySignatureError,
  AlipayTimeoutError,
  AlipayValidationError,
  isRetryable,
  mayHaveReachedGateway,
} from "./errors.ts";
import { FetchTransport, type FetchLike } from "./transport.ts";

const request = (signal = new AbortController().signal, timeoutMs = 1000) => ({
  method: "POST" as const,
  url: "https://gateway.invalid/gateway.do",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: "a=1",
  timeoutMs,
  signal,
});

describe("FetchTransport", () => {
  it("returns status, lower-cased headers and raw bytes; refuses redirects", async () => {
    let init: RequestInit | undefined;
    const fetchLike: FetchLike = async (_url, i) => {
      init = i;
      return new Response("<alipay/>", {
        status: 200,
        headers: { "Content-Type": "text/xml; charset=GBK" },
      });
    };
    const response = await new FetchTransport({ fetch: fetchLike }).request(request());
    expect(response.status).toBe(200);
    expect(response.headers["content-type"]).toBe("text/xml; charset=GBK");
    expect(new TextDecoder().decode(response.body)).toBe("<alipay/>");
    expect(init).toMatchObject({
      method: "POST",
      body: "a=1",
      redirect: "error",
    });
  });

  it("sends no body for GET", async () => {
    let init: RequestInit | undefined;
    await new FetchTransport({
      fetch: async (_u, i) => ((init = i), new Response("")),
    }).request({ ...request(), method: "GET", body: undefined });
    expect(init?.body).toBeUndefined();
  });

  const hang: FetchLike = (_url, init) =>
    new Promise((_, reject) =>
      init.signal?.addEventListener("abort", () => reject(init.signal?.reason), { once: true }),
    );

  it("maps its own time-out to AlipayTimeoutError", async () => {
    await expect(new FetchTransport({ fetch: hang }).request(request(undefined, 10))).rejects.toBeInstanceOf(
      AlipayTimeoutError,
    );
  });

  it("maps a caller abort to AlipayAbortError", async () => {
    const controller = new AbortController();
    const pending = new FetchTransport({ fetch: hang }).request(request(controller.signal));
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AlipayAbortError);
  });

  it.each([
    ["ECONNREFUSED", false],
    ["ENOTFOUND", false],
    ["ECONNRESET", true],
    [undefined, true],
  ])("maps a %s failure to AlipayNetworkError (sent: %s)", async (code, isSent) => {
    const fetchLike: FetchLike = () =>
      Promise.reject(
        new TypeError("fetch failed", {
          cause: code === undefined ? "x" : Object.assign(new Error("inner"), { code }),
        }),
      );
    const error = await new FetchTransport({ fetch: fetchLike }).request(request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AlipayNetworkError);
    expect((error as AlipayNetworkError).isRequestSent).toBe(isSent);
    expect((error as Error).message).not.toContain("gateway.invalid");
  });

  it("refuses oversized bodies, declared or actual", async () => {
    const small = new FetchTransport({
      fetch: async () => new Response("x".repeat(20)),
      maxResponseBytes: 10,
    });
    await expect(small.request(request())).rejects.toBeInstanceOf(AlipayResponseError);
    const declared = new FetchTransport({
      fetch: async () => new Response("x", { headers: { "content-length": "999" } }),
      maxResponseBytes: 10,
    });
    await expect(declared.request(request())).rejects.toThrow(/999 bytes/);
  });

  it("uses the global fetch by default", () => {
    expect(new FetchTransport()).toBeInstanceOf(FetchTransport);
  });
});

describe("errors", () => {
  it.each([
    [new AlipayNetworkError("n"), true, true],
    [new AlipayNetworkError("n", { isRequestSent: false }), true, false],
    [new AlipayTimeoutError("t", { timeoutMs: 5 }), true, true],
    [new AlipayAbortError("a"), false, true],
    [new AlipaySignatureError("s", { reason: "bad_sign" }), true, true],
    [new AlipayResponseError("r"), true, true],
    [
      new AlipayGatewayError("g", {
        gatewayCode: "ILLEGAL_SIGN",
        isRetryable: false,
      }),
      false,
      true,
    ],
    [new AlipayValidationError("v", { field: "f" }), false, false],
    [new AlipayConfigError("c"), false, false],
    [new Error("plain"), false, true],
    [undefined, false, true],
  ])("%s → retryable %s, may have reached gateway %s", (error, retryable, reached) => {
    expect(isRetryable(error)).toBe(retryable);
    expect(mayHaveReachedGateway(error)).toBe(reached);
  });

  it("carries code, name, cause, traceId and requestId", () => {
    const cause = new Error("root");
    const e = new AlipayGatewayError("msg", {
      gatewayCode: "40004",
      subCode: "ACQ.SYSTEM_ERROR",
      isRetryable: true,
      cause,
      traceId: "tr",
      requestId: "P1",
    });
    expect(e).toMatchObject({
      name: "AlipayGatewayError",
      code: "gateway",
      cause,
      traceId: "tr",
      requestId: "P1",
      subCode: "ACQ.SYSTEM_ERROR",
    });
    expect(new AlipayResponseError("r", { httpStatus: 404 }).httpStatus).toBe(404);
    expect(new AlipayConfigError("c").cause).toBeUndefined();
  });
});
