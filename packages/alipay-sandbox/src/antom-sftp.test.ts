import { afterEach, describe, expect, it } from "vitest";
import { createAlipayClient, parseAntomReport, type AlipayClient } from "@kiosk/alipay-core";
import {
  TEST_ANTOM_CLIENT_ID,
  TEST_GATEWAY_PUBLIC_KEY_PEM,
  TEST_MERCHANT_PRIVATE_KEY_PEM,
} from "@kiosk/alipay-core/testing";
import ssh2 from "ssh2";
import { antomReport, generateSshKeyPair, startAntomSftp, type RunningAntomSftp } from "./antom-sftp.ts";
import { createManualClock } from "./clock.ts";
import { startSandbox, type RunningSandbox } from "./sandbox.ts";
import { scenarioCode } from "./scenarios.ts";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

// ssh2's own Ed25519 generator writes about 1 key in 500 that ssh2 then cannot read (a key
// whose public half starts with a zero byte loses that byte: "Malformed OpenSSH public key");
// a test SFTP server started with such a key failed ("the authorized SFTP key cannot be read").
describe("generateSshKeyPair", () => {
  it("gives keys ssh2 reads, both halves, every time (3,000 pairs)", () => {
    let unreadable = 0;
    for (let i = 0; i < 3000; i++) {
      const pair = generateSshKeyPair();
      for (const half of [pair.public, pair.private]) {
        const parsed = ssh2.utils.parseKey(half);
        if (parsed instanceof Error || Array.isArray(parsed)) unreadable += 1;
      }
    }
    expect(unreadable).toBe(0);
  });
});

// 2024-01-01T04:00Z = 12:00 in Beijing on 2024-01-01 (the manual clock's start).
const DAY = "2024-01-01";

async function setUp(hostKeySha256?: (real: string) => string) {
  const sandbox: RunningSandbox = await startSandbox({ clock: createManualClock(), tickIntervalMs: 0 });
  closers.push(() => sandbox.close());
  const clientKey = generateSshKeyPair();
  const sftp: RunningAntomSftp = await startAntomSftp({
    store: sandbox.store,
    clientId: TEST_ANTOM_CLIENT_ID,
    username: "kiosk",
    authorizedKey: clientKey.public,
  });
  closers.push(() => sftp.close());
  const client: AlipayClient = createAlipayClient({
    protocol: "antom",
    gatewayUrl: sandbox.url,
    clientId: TEST_ANTOM_CLIENT_ID,
    privateKey: TEST_MERCHANT_PRIVATE_KEY_PEM,
    alipayPublicKey: TEST_GATEWAY_PUBLIC_KEY_PEM,
    sftp: {
      host: sftp.host,
      port: sftp.port,
      username: "kiosk",
      privateKey: clientKey.private,
      hostKeySha256: hostKeySha256 ? hostKeySha256(sftp.hostKeySha256) : sftp.hostKeySha256,
    },
  });
  return { sandbox, sftp, client };
}

describe("Antom settlement over SFTP", () => {
  it("the day's transaction details report lists payments and refunds, read by the client as records", async () => {
    const { client } = await setUp();
    const paid = await client.pay({
      partnerTransId: "S1",
      paymentCode: scenarioCode("success", { serial: 20_000_001 }),
      amountMinor: 1234,
      currency: "SGD",
      subject: "2 x Adult",
    });
    expect(paid.status).toBe("paid");
    await client.pay({
      partnerTransId: "S2",
      paymentCode: scenarioCode("success", { serial: 1 }),
      amountMinor: 500,
      currency: "SGD",
      subject: "1 x Child",
    });
    const refund = await client.refund({
      partnerTransId: "S1",
      partnerRefundId: "S1R1",
      amountMinor: 234,
      currency: "SGD",
      reason: "test",
    });
    expect(refund.status).toBe("refunded");
    const file = await client.downloadSettlement({ startDate: DAY });
    expect(file.format).toBe("records");
    const records = file.format === "records" ? file.records : [];
    const rows = records.map((r) => [r.partnerTransId, r.transactionType, r.amountMinor, r.currency] as const);
    expect([...rows].sort((a, b) => a[0].localeCompare(b[0]))).toEqual([
      ["S1", "PAYMENT", 1234, "SGD"],
      ["S1R1", "REFUND", -234, "SGD"],
      ["S2", "PAYMENT", 500, "SGD"],
    ]);
    expect(records.find((r) => r.partnerTransId === "S1")?.raw).toContain("GCASH");
    expect(await client.downloadSettlement({ startDate: "2024-01-02" })).toEqual({
      format: "records",
      records: [],
      isSigned: false,
    });
  });

  it("refuses a server whose host key is not the configured one, and reads no file", async () => {
    const { client } = await setUp(() => `SHA256:${"A".repeat(43)}`);
    await expect(client.downloadSettlement({ startDate: DAY })).rejects.toThrow(/SFTP/);
  });

  it("a report without its <END> line is refused as incomplete", () => {
    const text = antomReport({ store: { trades: new Map(), refundsOf: () => [] } as never, clientId: "X" }, DAY);
    expect(parseAntomReport(text ?? "")).toEqual([]);
    expect(() => parseAntomReport((text ?? "").replace("<END>\n", ""))).toThrow(/incomplete/);
  });
});
