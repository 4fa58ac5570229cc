import { describe, expect, it } from "vitest";
import { decodeText, encodeText, normaliseCharset } from "./charset.ts";

describe("charset", () => {
  it("normalises charset names", () => {
    expect(normaliseCharset(undefined)).toBe("utf-8");
    expect(normaliseCharset("UTF8")).toBe("utf-8");
    expect(normaliseCharset("GB2312")).toBe("gbk");
    expect(normaliseCharset("cp936")).toBe("gbk");
    expect(normaliseCharset("latin1")).toBeUndefined();
  });

  it("round-trips GBK text", () => {
    const bytes = encodeText("咖啡-1 ok", "gbk");
    expect([...bytes.subarray(0, 4)]).toEqual([0xbf, 0xa7, 0xb7, 0xc8]);
    expect(decodeText(bytes, "gbk")).toBe("咖啡-1 ok");
    expect(decodeText(encodeText("é", "utf-8"))).toBe("é");
  });

  it("refuses characters GBK cannot encode", () => {
    expect(() => encodeText("😀", "gbk")).toThrow(/cannot be encoded in GBK/);
  });
});
