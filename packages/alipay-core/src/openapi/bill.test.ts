import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchBill } from "./bill.ts";
import { AlipayNetworkError, AlipayResponseError, AlipayValidationError } from "../errors.ts";

describe("fetchBill", () => {
  let server: Server;
  let base: string;
  const zipBytes = Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4]);

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/bill.zip") {
        res.writeHead(200, { "content-type": "application/zip" });
        res.end(zipBytes);
      } else if (req.url === "/boom") {
        res.writeHead(503);
        res.end("busy");
      } else {
        res.writeHead(404);
        res.end("expired");
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("downloads the bytes over http from a loopback host", async () => {
    const bill = await fetchBill(`${base}/bill.zip`);
    expect(Buffer.from(bill.bytes)).toEqual(zipBytes);
    expect(bill.contentType).toBe("application/zip");
  });

  it("refuses plain http to a host that is neither Alipay's nor loopback, before sending", async () => {
    await expect(fetchBill("http://evil.example/x.zip")).rejects.toBeInstanceOf(AlipayValidationError);
    await expect(fetchBill("file:///etc/passwd")).rejects.toBeInstanceOf(AlipayValidationError);
  });

  it("maps an expired link and a server error", async () => {
    await expect(fetchBill(`${base}/gone`)).rejects.toBeInstanceOf(AlipayResponseError);
    await expect(fetchBill(`${base}/boom`)).rejects.toBeInstanceOf(AlipayNetworkError);
  });
});
