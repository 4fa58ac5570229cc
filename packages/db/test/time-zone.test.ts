import { describe, expect, it } from "vitest";
import { dayInZone, zoneOffsetMs, zonedTimeToUtc } from "../src/time-zone.ts";

// The formatters are cached per zone; these answers must not depend on which zone or instant came first.
describe("time-zone", () => {
  const instant = Date.UTC(2026, 11, 5, 20, 30); // 2026-12-05 20:30 UTC

  it("gives each zone its own calendar day for the same instant, in any order", () => {
    for (let round = 0; round < 2; round++) {
      expect(dayInZone(instant, "Asia/Singapore")).toBe("2026-12-06");
      expect(dayInZone(instant, "UTC")).toBe("2026-12-05");
      expect(dayInZone(instant, "America/Los_Angeles")).toBe("2026-12-05");
      expect(dayInZone(Date.UTC(2026, 11, 6, 8, 30), "America/Los_Angeles")).toBe("2026-12-06");
    }
  });

  it("follows daylight saving time within one zone", () => {
    expect(zoneOffsetMs(Date.UTC(2026, 0, 15, 12), "Europe/Berlin")).toBe(3_600_000);
    expect(zoneOffsetMs(Date.UTC(2026, 6, 15, 12), "Europe/Berlin")).toBe(7_200_000);
    expect(zoneOffsetMs(Date.UTC(2026, 6, 15, 12), "Asia/Shanghai")).toBe(8 * 3_600_000);
    expect(zonedTimeToUtc("2026-07-15", "09:00", "Europe/Berlin").toISOString()).toBe("2026-07-15T07:00:00.000Z");
    expect(zonedTimeToUtc("2026-01-15", "09:00", "Europe/Berlin").toISOString()).toBe("2026-01-15T08:00:00.000Z");
  });

  it("refuses a zone Intl does not know, every time", () => {
    expect(() => dayInZone(instant, "Mars/Olympus_Mons")).toThrow(RangeError);
    expect(() => dayInZone(instant, "Mars/Olympus_Mons")).toThrow(RangeError);
    expect(() => zoneOffsetMs(instant, "Mars/Olympus_Mons")).toThrow(RangeError);
  });
});
