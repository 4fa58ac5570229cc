/**
 * Issue 21: the wallets the scan screen shows as accepted. Per attraction (`acceptedWallets`),
 * else the protocol's default: Alipay only over MAPI / OpenAPI, the configured Alipay+ wallets
 * (ALIPAY_ANTOM_WALLETS, all known ones when unset) over Antom.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANTOM_WALLETS } from "@kiosk/alipay-core";
import { createHarness, type Harness } from "./__tests__/harness.ts";
import { createCatalogService } from "./catalog-service.ts";

const ATTRACTION = "attr_skyline";

describe("accepted wallets on the catalog", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness("sqlite", { protocol: "mapi" });
  });
  afterAll(async () => {
    await h?.close();
  });

  const catalogFor = (protocol: "mapi" | "openapi" | "antom", acceptedWallets?: readonly string[]) =>
    createCatalogService({
      db: h.db.db,
      clock: h.clock,
      alipay: { protocol },
      ...(acceptedWallets ? { acceptedWallets } : {}),
    });

  it("is Alipay only over MAPI and OpenAPI", async () => {
    expect((await h.services.catalog.attraction(ATTRACTION)).acceptedWallets).toEqual(["ALIPAY_CN"]);
    expect((await catalogFor("openapi").attraction(ATTRACTION)).acceptedWallets).toEqual(["ALIPAY_CN"]);
  });

  it("is every known Alipay+ wallet over Antom, or the configured ones", async () => {
    expect((await catalogFor("antom").attraction(ATTRACTION)).acceptedWallets).toEqual(
      ANTOM_WALLETS.map((w) => w.code),
    );
    expect((await catalogFor("antom", ["GCASH", "DANA"]).attraction(ATTRACTION)).acceptedWallets).toEqual([
      "GCASH",
      "DANA",
    ]);
  });

  it("is the attraction's own list when set, whatever the protocol's default", async () => {
    await h.db.db.attraction.update({
      where: { id: ATTRACTION },
      data: { acceptedWallets: JSON.stringify(["ALIPAY_HK", "KAKAOPAY"]) },
    });
    try {
      expect((await catalogFor("antom").attraction(ATTRACTION)).acceptedWallets).toEqual(["ALIPAY_HK", "KAKAOPAY"]);
      expect((await h.services.catalog.attraction(ATTRACTION)).acceptedWallets).toEqual(["ALIPAY_HK", "KAKAOPAY"]);
    } finally {
      await h.db.db.attraction.update({ where: { id: ATTRACTION }, data: { acceptedWallets: null } });
    }
  });
});
