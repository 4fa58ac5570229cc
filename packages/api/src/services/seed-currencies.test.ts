import { isSupportedCurrency } from "@kiosk/alipay-core/money";
import { DEMO_ATTRACTIONS } from "@kiosk/db";
import { describe, expect, it } from "vitest";

describe("the database's prices and the money rules", () => {
  it("prices every seeded attraction in a currency of the one exponent table", () => {
    for (const a of DEMO_ATTRACTIONS)
      expect({ id: a.id, currency: a.currency, isSupported: isSupportedCurrency(a.currency) }).toEqual({
        id: a.id,
        currency: a.currency,
        isSupported: true,
      });
  });
});
