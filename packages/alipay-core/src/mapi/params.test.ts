import { describe, expect, it } from "vitest";
import { AlipayValidationError } from "../errors.ts";
import {
  buildExtendInfo,
  buildMapiCancelParams,
  buildMapiPayParams,
  buildMapiQueryParams,
  buildMapiRefundParams,
} from "./params.ts";
import { buildMapiSettlementParams } from "./settlement.ts";
import { buildSignContent, signParams } from "../signing.ts";
import { KAL_MD5_KEY, VECTORS_B } from "../testing/index.ts";

const T0 = Date.UTC(2024, 0, 1, 4, 0, 0); // 2024-01-01 12:00:00 GMT+8
const req = { partnerTransId: "TEST20240101120000001", currency: "USD" };
describe("extend_info", () => {
  it("matches the reference vector's key order and compact JSON", () => {
    const info = buildExtendInfo({
      secondaryMerchantId: "S001",
      secondaryMerchantName: "Mika Coffee",
      secondaryMerchantIndustry: "5812",
      storeId: "ST01",
      storeName: "Mika Coffee Central",
      terminalId: "T01",
    });
    expect(info).toBe(VECTORS_B.spotPayRequest.params.extend_info);
  });

  it("omits absent keys and returns undefined when empty", () => {
    expect(buildExtendInfo({ storeId: "S1", sysServiceProviderId: "P" })).toBe(
      '{"store_id":"S1","sys_service_provider_id":"P"}',
    );
    expect(buildExtendInfo({})).toBeUndefined();
  });

  it.each([
    [{ storeId: "bad id" }],
    [{ terminalId: "x".repeat(33) }],
    [{ secondaryMerchantId: "é" }],
    [{ secondaryMerchantIndustry: "58" }],
  ])("rejects %j", (info) => {
    expect(() => buildExtendInfo(info)).toThrow(AlipayValidationError);
  });
});

describe("MAPI request builders", () => {
  const common = { partnerId: "2088101122136241" };
  const merchant = {
    secondaryMerchantId: "S001",
    secondaryMerchantName: "Mika Coffee",
    secondaryMerchantIndustry: "5812",
    storeId: "ST01",
    storeName: "Mika Coffee Central",
    terminalId: "T01",
  };

  it("builds the spot.pay request of the reference vector (except the optional quantity)", () => {
    const params = buildMapiPayParams(common, {
      partnerTransId: "TEST20240101120000001",
      amountMinor: 1,
      currency: "USD",
      paymentCode: "281234567890123456",
      subject: "Coffee",
      createdAtMs: T0,
      merchant,
    });
    expect(signParams({ ...params, quantity: "1" }, { signType: "MD5", md5Key: KAL_MD5_KEY })).toBe(
      VECTORS_B.spotPayRequest.md5,
    );
  });

  it("adds notify_url and memo and lets a payment override store and terminal", () => {
    const params = buildMapiPayParams(
      { ...common, notifyUrl: "https://k.example/notify" },
      {
        ...req,
        amountMinor: 1234,
        currency: "JPY",
        paymentCode: "281234567890123456",
        subject: "Tickets",
        memo: "m",
        storeId: "S9",
        terminalId: "K9",
        createdAtMs: T0,
        merchant,
      },
    );
    expect(params["notify_url"]).toBe("https://k.example/notify");
    expect(params["memo"]).toBe("m");
    expect(params["trans_amount"]).toBe("1234");
    expect(JSON.parse(params["extend_info"] as string)).toMatchObject({
      store_id: "S9",
      terminal_id: "K9",
    });
    const bare = buildMapiPayParams(common, {
      ...req,
      amountMinor: 1,
      paymentCode: "281234567890123456",
      subject: "T",
      createdAtMs: T0,
      merchant: {},
    });
    expect(bare["extend_info"]).toBeUndefined();
  });

  it("lets a payment set its own secondary merchant and store (per attraction), over the configured ones", () => {
    const input = {
      ...req,
      amountMinor: 100,
      paymentCode: "281234567890123456",
      subject: "Tickets",
      createdAtMs: T0,
    };
    const params = buildMapiPayParams(common, {
      ...input,
      secondaryMerchantId: "ATTR_SKY",
      storeId: "SKY-01",
      merchant,
    });
    expect(JSON.parse(params["extend_info"] as string)).toMatchObject({
      secondary_merchant_id: "ATTR_SKY",
      store_id: "SKY-01",
    });
    const only = buildMapiPayParams(common, {
      ...input,
      secondaryMerchantId: "ATTR_SKY",
      merchant: {},
    });
    expect(JSON.parse(only["extend_info"] as string)).toEqual({
      secondary_merchant_id: "ATTR_SKY",
    });
    expect(() =>
      buildMapiPayParams(common, {
        ...input,
        secondaryMerchantId: "bad id!",
        merchant: {},
      }),
    ).toThrow(AlipayValidationError);
  });

  it("rejects a subject with a double quote or over 256 chars", () => {
    const base = {
      ...req,
      amountMinor: 1,
      paymentCode: "281234567890123456",
      createdAtMs: T0,
      merchant: {},
    };
    expect(() => buildMapiPayParams(common, { ...base, subject: 'a"b' })).toThrow(/subject/);
    expect(() => buildMapiPayParams(common, { ...base, subject: "x".repeat(257) })).toThrow(/subject/);
  });

  it("builds query, cancel and refund requests of the reference vectors", () => {
    expect(buildSignContent(buildMapiQueryParams(common, "TEST20240101120000001"))).toBe(
      VECTORS_B.queryRequest.preSign,
    );
    expect(buildSignContent(buildMapiCancelParams(common, "TEST20240101120000001", 1704081630123))).toBe(
      VECTORS_B.cancelRequest.preSign,
    );
    const refund = buildMapiRefundParams(common, {
      partnerTransId: "TEST20240101120000001",
      partnerRefundId: "TEST20240101120000001R1",
      amountMinor: 1,
      currency: "USD",
      reason: "customer request",
    });
    expect(buildSignContent(refund)).toBe(VECTORS_B.refundRequest.preSign);
  });

  it("rejects a refund id equal to the payment id", () => {
    expect(() =>
      buildMapiRefundParams(common, {
        partnerTransId: "A1",
        partnerRefundId: "A1",
        amountMinor: 1,
        currency: "USD",
      }),
    ).toThrow(/differ/);
    expect(
      buildMapiRefundParams(common, {
        partnerTransId: "A1",
        partnerRefundId: "A2",
        amountMinor: 1,
        currency: "USD",
        reason: "",
      })["refund_reason"],
    ).toBeUndefined();
  });

  it("builds settlement requests and bounds the range to 10 days", () => {
    expect(
      buildMapiSettlementParams(common, {
        kind: "settlement",
        startDate: "2024-01-01",
        endDate: "2024-01-10",
      }),
    ).toMatchObject({
      service: "forex_liquidation_file",
      start_date: "20240101",
      end_date: "20240110",
    });
    expect(
      buildMapiSettlementParams(common, {
        kind: "transactions",
        startDate: "2024-01-01",
        endDate: "2024-01-01",
      })["service"],
    ).toBe("forex_compare_file");
    expect(() =>
      buildMapiSettlementParams(common, {
        kind: "settlement",
        startDate: "2024-01-01",
        endDate: "2024-01-11",
      }),
    ).toThrow(/10 days/);
    expect(() =>
      buildMapiSettlementParams(common, {
        kind: "settlement",
        startDate: "2024-01-02",
        endDate: "2024-01-01",
      }),
    ).toThrow(/10 days/);
  });
});
