import { PrintMessageSchema } from "@kiosk/bridge-protocol";
import { describe, expect, it } from "vitest";
import { LOCALES } from "../../../lib/i18n/locales.ts";
import { receiptJob, ticketJob, type PrintContext } from "./print-documents.ts";

const ctx = (locale: PrintContext["locale"]): PrintContext => ({
  locale,
  attraction: {
    name: "Skyline Observation Deck",
    nameI18n: { en: "Skyline Observation Deck", ja: "スカイライン展望台" },
    timezone: "Asia/Singapore",
  },
  ticketTypes: [
    {
      id: "tt_adult",
      name: "Adult",
      nameI18n: { en: "Adult", ja: "大人", ko: "성인" },
      priceMinor: 3200,
      validityKind: "slot",
    },
    { id: "tt_flexi", name: "Flexi", nameI18n: { en: "Flexi day pass" }, priceMinor: 4500, validityKind: "date" },
  ],
  order: {
    id: "ord_1",
    currency: "SGD",
    totalMinor: 7700,
    lines: [
      { ticketTypeId: "tt_adult", ticketTypeName: "Adult", quantity: 1, unitPriceMinor: 3200, lineTotalMinor: 3200 },
      { ticketTypeId: "tt_flexi", ticketTypeName: "Flexi", quantity: 1, unitPriceMinor: 4500, lineTotalMinor: 4500 },
    ],
  },
  alipayTradeNo: "2026112722001",
  issuedAt: new Date("2026-11-27T04:00:00Z"),
});

const ticket = {
  id: "tkt_1",
  ticketTypeId: "tt_adult",
  ticketTypeName: "Adult",
  validFrom: new Date("2026-11-27T06:00:00Z"),
  validUntil: new Date("2026-11-27T07:00:00Z"),
  code: "K1.abc-DEF_123",
};

describe("print documents", () => {
  it.each(LOCALES)("builds valid bridge messages in %s", (locale) => {
    expect(PrintMessageSchema.safeParse(ticketJob(ctx(locale), ticket)).success).toBe(true);
    expect(PrintMessageSchema.safeParse(receiptJob(ctx(locale))).success).toBe(true);
  });

  it("localises the ticket and keeps a stable job id", () => {
    const job = ticketJob(ctx("ja"), ticket);
    expect(job.id).toBe("ticket-tkt_1");
    expect(job.document.ticketTypeLabel).toBe("大人");
    expect(job.document.attractionName).toBe("スカイライン展望台");
    expect(job.document.validityText).toContain("14時00分");
    expect(job.document.qrPayload).toBe(ticket.code);
  });

  it("says all-day validity for date tickets", () => {
    const job = ticketJob(ctx("en"), { ...ticket, ticketTypeId: "tt_flexi" });
    expect(job.document.validityText).toContain("Valid all day");
  });

  it("totals the receipt in the order currency", () => {
    const r = receiptJob(ctx("en"));
    expect(r.id).toBe("receipt-ord_1");
    expect(r.document.totalText.replace(/\u00a0/g, " ")).toBe("SGD 77.00");
    expect(r.document.lines).toHaveLength(2);
  });

  it.each(LOCALES)("names the wallet the buyer paid with on the receipt in %s", (locale) => {
    const r = receiptJob({ ...ctx(locale), walletName: "GCash" });
    expect(PrintMessageSchema.safeParse(r).success).toBe(true);
    expect(r.document.walletName).toBe("GCash");
    expect(r.document.labels.wallet).toBeTruthy();
    expect(receiptJob(ctx(locale)).document.walletName).toBeUndefined();
  });
});
