import { describe, expect, it } from "vitest";
import { encodeKeyboardReports, HidKeyboardDecoder } from "./hid-keyboard-decoder.ts";
import { encodeHidPosReports, HidPosDecoder } from "./hid-pos-decoder.ts";
import { KEYMAPS } from "./keymap.ts";

/** Hex dump of 64-byte HID POS reports in the Honeywell layout (id 0x02, len, AIM "]Q1", data, flag). */
function hidPosReport(hex: string): Buffer {
  const report = Buffer.alloc(64);
  Buffer.from(hex.replace(/\s+/g, ""), "hex").copy(report);
  return report;
}

describe("HidPosDecoder", () => {
  it("decodes a single scanned-data report", () => {
    // 02 | 0a | 5d 51 31 (]Q1) | "T1.ABC-123" | … | 00
    const report = hidPosReport("02 0a 5d5131 54312e4142432d313233");
    expect(new HidPosDecoder().push(report)).toEqual({ data: "T1.ABC-123", symbology: "]Q1" });
  });

  it("joins a barcode spread over continued reports", () => {
    const data = `T1.${"x".repeat(70)}.sig`;
    const reports = encodeHidPosReports(data);
    expect(reports).toHaveLength(2);
    expect(reports[0]?.[63]).toBe(0x01);
    const decoder = new HidPosDecoder();
    expect(decoder.push(reports[0] ?? Buffer.alloc(0))).toBeNull();
    expect(decoder.push(reports[1] ?? Buffer.alloc(0))?.data).toBe(data);
  });

  it("ignores reports with another report id", () => {
    expect(new HidPosDecoder().push(hidPosReport("04 03 000000 414243"))).toBeNull();
  });

  it("strips a trailing CR the scanner was configured to add", () => {
    expect(new HidPosDecoder().push(hidPosReport("02 04 5d4530 4142430d"))?.data).toBe("ABC");
  });
});

describe("HidKeyboardDecoder", () => {
  it("decodes recorded boot keyboard reports with shift and Enter", () => {
    // "Ab1" + Enter as a wedge scanner sends it: press, release, …
    const reports = [
      "0200040000000000", // shift + a → "A"
      "0000000000000000",
      "0000050000000000", // b
      "0000000000000000",
      "00001e0000000000", // 1
      "0000000000000000",
      "0000280000000000", // Enter
      "0000000000000000",
    ].map((hex) => Buffer.from(hex, "hex"));
    const decoder = new HidKeyboardDecoder({ keymap: KEYMAPS.us });
    const scans = reports.flatMap((report) => decoder.push(report));
    expect(scans).toEqual(["Ab1"]);
  });

  it("counts a key held across reports once", () => {
    const decoder = new HidKeyboardDecoder({ keymap: KEYMAPS.us });
    decoder.push(Buffer.from("0000040000000000", "hex"));
    decoder.push(Buffer.from("0000040000000000", "hex"));
    decoder.push(Buffer.from("0000040500000000", "hex"));
    expect(decoder.push(Buffer.from("0000280000000000", "hex"))).toEqual(["ab"]);
  });

  it("decodes with the German layout (Y/Z swapped)", () => {
    const decoder = new HidKeyboardDecoder({ keymap: KEYMAPS.de });
    const scans = encodeKeyboardReports("zy-", KEYMAPS.de).flatMap((report) => decoder.push(report));
    expect(scans).toEqual(["zy-"]);
    // The same bytes read with the US map come out wrong, which is why the keymap is a setting.
    const us = new HidKeyboardDecoder({ keymap: KEYMAPS.us });
    expect(encodeKeyboardReports("zy", KEYMAPS.de).flatMap((report) => us.push(report))).toEqual(["yz"]);
  });

  it("skips a leading report id byte when configured", () => {
    const decoder = new HidKeyboardDecoder({ keymap: KEYMAPS.us, hasReportId: true });
    decoder.push(Buffer.from("010000070000000000", "hex"));
    expect(decoder.push(Buffer.from("010000280000000000", "hex"))).toEqual(["d"]);
  });

  it("round-trips a signed ticket code through encode/decode", () => {
    const code = "T1.eyJvIjoiMTIzIn0.Zm9vYmFy-_~";
    const decoder = new HidKeyboardDecoder({ keymap: KEYMAPS.us });
    expect(encodeKeyboardReports(code, KEYMAPS.us).flatMap((report) => decoder.push(report))).toEqual([code]);
  });
});
