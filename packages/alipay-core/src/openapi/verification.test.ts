/**
 * Issue 14 item 5: real OpenAPI responses must pass verification.
 * - Alipay's JSON escapes `/` as `\/` while the signature covers the unescaped text; the Java
 *   and PHP SDKs retry with `\/` → `/` when the raw substring fails.
 * - `bill_download_url` is plain `http://dwbillcenter.alipay.com/…` in documentation and real
 *   captures: http is accepted for Alipay hosts only; redirects stay refused.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalGateway, type LocalGateway } from "../__tests__/local-gateway.ts";
import { fetchBill } from "./bill.ts";
import { OpenApiClient } from "./client.ts";
import { AlipayNetworkError, AlipayResponseError, AlipaySignatureError, AlipayValidationError } from "../errors.ts";
import { signContent, verifyOpenApiResponse, type SigningKey } from "../signing.ts";
import {
  FakeClock,
  TEST_APP_ID,
  TEST_GATEWAY_PRIVATE_KEY_PEM,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
} from "../testing/index.ts";
import type { HttpRequest, HttpResponse, HttpTransport } from "../transport.ts";
import { isAcceptableDownloadUrl } from "../shared/urls.ts";
import { mapOpenApiBill } from "./bill.ts";

const GATEWAY: SigningKey = {
  signType: "RSA2",
  privateKey: TEST_GATEWAY_PRIVATE_KEY_PEM,
};
const BILL_METHOD = "alipay.data.dataservice.bill.downloadurl.query";
const REAL_BILL_URL =
  "http://dwbillcenter.alipay.com/downloadBillFile.resource?bizType=trade&userId=20881234567890120156&fileType=csv.zip&bizDates=20240101&downloadFileName=20881234567890120156_20240101.csv.zip&fileId=%2Ftrade%2F20881234567890120156%2F20240101.csv.zip&timestamp=1704164400&token=abc";

/** What Alipay sends: the signed text has `/`, the body escapes it as `\/`. */
function escapedSlashBody(method: string, response: Record<string, unknown>): string {
  const signedText = JSON.stringify(response);
  const sign = signContent(signedText, GATEWAY);
  const wireText = signedText.replace(/\//g, "\\/");
  return `{"${method.replace(/\./g, "_")}_response":${wireText},"sign":${JSON.stringify(sign)}}`;
}

describe("OpenAPI responses with \\/ escapes", () => {
  const response = {
    code: "10000",
    msg: "Success",
    bill_download_url: REAL_BILL_URL,
  };

  it("verifies a body whose signed JSON only matches after unescaping \\/", () => {
    const body = escapedSlashBody(BILL_METHOD, response);
    expect(body).toContain("http:\\/\\/dwbillcenter");
    expect(
      verifyOpenApiResponse(body, BILL_METHOD, {
        signType: "RSA2",
        publicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
      }),
    ).toMatchObject({ ok: true });
  });

  it("still refuses an escaped body that was tampered with", () => {
    const body = escapedSlashBody(BILL_METHOD, response).replace("bizDates=20240101", "bizDates=20240102");
    expect(
      verifyOpenApiResponse(body, BILL_METHOD, {
        signType: "RSA2",
        publicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
      }),
    ).toMatchObject({ ok: false, reason: "bad_sign" });
  });

  describe("through the client over HTTP", () => {
    let gw: LocalGateway;
    let body = "";
    beforeAll(async () => {
      gw = await startLocalGateway(() => ({
        body,
        contentType: "application/json;charset=utf-8",
      }));
    });
    afterAll(() => gw.close());
    const client = (): OpenApiClient =>
      new OpenApiClient(
        {
          protocol: "openapi",
          gatewayUrl: gw.url,
          appId: TEST_APP_ID,
          privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
          alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
        },
        { clock: new FakeClock({ startMs: Date.UTC(2024, 0, 2, 4) }) },
      );

    it("answers the real http bill URL of an escaped, signed response", async () => {
      body = escapedSlashBody(BILL_METHOD, response);
      await expect(client().downloadSettlement({ startDate: "2024-01-01" })).resolves.toEqual({
        format: "download_url",
        downloadUrl: REAL_BILL_URL,
        isSigned: true,
      });
    });

    it("refuses an escaped query response whose unescaped text does not verify either", async () => {
      body = escapedSlashBody("alipay.trade.query", {
        code: "10000",
        msg: "Success",
        out_trade_no: "T/1",
        trade_status: "TRADE_SUCCESS",
      }).replace("T\\/1", "T\\/2");
      await expect(client().query({ partnerTransId: "T1", currency: "CNY" })).rejects.toBeInstanceOf(
        AlipaySignatureError,
      );
    });
  });
});

describe("bill_download_url over http", () => {
  it("accepts http for Alipay hosts and https anywhere", () => {
    expect(isAcceptableDownloadUrl(REAL_BILL_URL)).toBe(true);
    expect(isAcceptableDownloadUrl("http://dwbillcenter.alipaydev.com/downloadBillFile.resource?x=1")).toBe(true);
    expect(isAcceptableDownloadUrl("https://bills.example/x.zip")).toBe(true);
    expect(mapOpenApiBill({ code: "10000", bill_download_url: REAL_BILL_URL })).toEqual({
      downloadUrl: REAL_BILL_URL,
    });
  });

  it.each([
    "http://evil.example/downloadBillFile.resource?x=1",
    "http://dwbillcenter.alipay.com.evil.example/x.zip",
    "http://dwbillcenter.alipay.com@evil.example/x.zip",
    "http://notalipay.com/x.zip",
    "ftp://dwbillcenter.alipay.com/x.zip",
  ])("refuses %s", (url) => {
    expect(isAcceptableDownloadUrl(url)).toBe(false);
    expect(() => mapOpenApiBill({ code: "10000", bill_download_url: url })).toThrow(AlipayResponseError);
  });

  it("sends the download of an http Alipay URL, and nothing for another host", async () => {
    const sent: HttpRequest[] = [];
    const transport: HttpTransport = {
      request(request): Promise<HttpResponse> {
        sent.push(request);
        return Promise.resolve({
          status: 200,
          headers: {},
          body: new Uint8Array([0x50, 0x4b]),
        });
      },
    };
    await expect(fetchBill(REAL_BILL_URL, { transport })).resolves.toMatchObject({
      bytes: new Uint8Array([0x50, 0x4b]),
    });
    await expect(fetchBill("http://evil.example/downloadBillFile.resource", { transport })).rejects.toBeInstanceOf(
      AlipayValidationError,
    );
    expect(sent.map((r) => r.url)).toEqual([REAL_BILL_URL]);
  });

  describe("redirects", () => {
    let server: Server;
    let base = "";
    beforeAll(async () => {
      server = createServer((_req, res) => {
        res.writeHead(302, { location: "http://evil.example/x.zip" });
        res.end();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it("refuses a redirect from the bill host", async () => {
      await expect(fetchBill(`${base}/bill.zip`)).rejects.toBeInstanceOf(AlipayNetworkError);
    });
  });
});
