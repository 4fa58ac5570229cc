/**
 * What a person reads is what Alipay charged: orders in IDR (2 decimals for Alipay, 0 in
 * Intl's data), JPY (0) and SGD (2) are bought through the money services on SQLite against
 * the real HTTP sandbox, and the kiosk's and the staff console's formatting of the order is
 * compared with the amount on the sandbox's trade (read over HTTP from its operator API).
 * Alipay has no 3-decimal currency (README "Money rules"), so none is tried.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatMoney as staffMoney } from "../features/staff/format.ts";
import { formatMoney as kioskMoney } from "./i18n/format.ts";
import { LOCALES } from "./i18n/locales.ts";
import { ADULT, code, createHarness, type Harness } from "@kiosk/api/services/__tests__/harness.ts";

/** The number on screen as wire text: currency symbol, spaces and grouping dropped. */
const shown = (text: string): string => text.replace(/[^\d.]/g, "").replace(/^\.+|\.+$/g, "");

describe("displayed amount equals the charged amount (SQLite, real sandbox)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness("sqlite");
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each([
    ["IDR", 1_500_000, "30000.00"],
    ["JPY", 1800, "3600"],
    ["SGD", 3205, "64.10"],
  ])("an order of 2 adults in %s at %i minor units each", async (currency, priceMinor, charged) => {
    await h.db.db.attraction.update({ where: { id: "attr_skyline" }, data: { currency } });
    await h.db.db.ticketType.update({ where: { id: ADULT }, data: { priceMinor } });
    const { orderId, paymentId } = await h.buy({ quantity: 2, code: code("success") });
    expect(await h.settle(paymentId)).toBe("PAID");
    const order = await h.db.db.order.findUniqueOrThrow({ where: { id: orderId } });
    const payment = await h.db.db.payment.findUniqueOrThrow({ where: { id: paymentId } });
    const answer = await fetch(`${h.sandbox.url}/sandbox/trades/${encodeURIComponent(payment.partnerTransId)}`);
    const { trade } = (await answer.json()) as { trade: { amount: string; currency: string; status: string } };
    expect({ currency: trade.currency, amount: trade.amount, status: trade.status }).toEqual({
      currency,
      amount: charged,
      status: "TRADE_SUCCESS",
    });
    for (const locale of LOCALES)
      expect({ locale, shown: shown(kioskMoney(order.totalMinor, order.currency, locale)) }).toEqual({
        locale,
        shown: trade.amount,
      });
    expect(shown(staffMoney(payment.amountMinor, payment.currency))).toBe(trade.amount);
  });
});
