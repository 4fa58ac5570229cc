import { describe, expect, it } from "vitest";
import { newId } from "./ids.ts";

describe("newId", () => {
  it("gives 24 hex characters after the prefix, never the same twice across pool refills", () => {
    const seen = new Set<string>();
    // 12 bytes each from a 4 KiB pool: 2,000 ids refill it six times.
    for (let i = 0; i < 2000; i++) {
      const id = newId("ord");
      expect(id).toMatch(/^ord_[0-9a-f]{24}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(2000);
  });

  it("does not hand out the bytes of a refill twice (no all-zero or repeated ids at the boundary)", () => {
    const ids = Array.from({ length: 700 }, () => newId("x").slice(2));
    expect(ids).not.toContain("0".repeat(24));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
