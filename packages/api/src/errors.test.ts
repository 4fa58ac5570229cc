import { describe, expect, it } from "vitest";
import { KioskError, isKioskError } from "./errors.ts";

describe("KioskError", () => {
  it("is recognised across module copies (Next bundles the services and route handlers separately)", () => {
    // A second copy of the class, as a separate bundle would have, brands its instances the same way.
    const brand = Symbol.for("kiosk.KioskError");
    const foreign = Object.assign(new Error("Order o1 already paid"), {
      [brand]: true,
      code: "CONFLICT",
      name: "KioskError",
    });
    expect(foreign instanceof KioskError).toBe(true);
    expect(isKioskError(new KioskError("NOT_FOUND", "no such order"))).toBe(true);
    expect(new Error("plain") instanceof KioskError).toBe(false);
    expect(isKioskError(null)).toBe(false);
  });
});
