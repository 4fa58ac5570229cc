/**
 * Decoding of USB HID POS "Scanned Data" input reports (usage page 0x8C).
 *
 * The byte layout follows Honeywell's HID POS interface, which most HID POS
 * scanners copy: report id, data length, three symbology-identifier bytes,
 * a fixed data area, and a "more data follows" flag in the last byte. A
 * barcode longer than the data area spans several reports.
 */
export interface HidPosReportLayout {
  reportId: number;
  reportLength: number;
  lengthOffset: number;
  symbologyOffset: number;
  dataOffset: number;
  dataCapacity: number;
}

export const HID_POS_LAYOUT: HidPosReportLayout = {
  reportId: 0x02,
  reportLength: 64,
  lengthOffset: 1,
  symbologyOffset: 2,
  dataOffset: 5,
  dataCapacity: 56,
};

export interface DecodedScan {
  data: string;
  /** The AIM symbology identifier, e.g. "]Q1" for QR code, when the scanner sends one. */
  symbology: string;
}

export class HidPosDecoder {
  readonly #layout: HidPosReportLayout;
  #chunks: Buffer[] = [];
  #symbology = "";

  constructor(layout: HidPosReportLayout = HID_POS_LAYOUT) {
    this.#layout = layout;
  }

  /** Feeds one input report; returns a scan once its last report arrived. */
  push(report: Buffer): DecodedScan | null {
    const layout = this.#layout;
    if (report.length <= layout.dataOffset || report[0] !== layout.reportId) return null;
    const length = Math.min(report[layout.lengthOffset] ?? 0, layout.dataCapacity, report.length - layout.dataOffset);
    if (this.#chunks.length === 0) {
      this.#symbology = report
        .subarray(layout.symbologyOffset, layout.symbologyOffset + 3)
        .toString("latin1")
        .replace(/\0/g, "");
    }
    this.#chunks.push(Buffer.from(report.subarray(layout.dataOffset, layout.dataOffset + length)));
    const isContinued = ((report[report.length - 1] ?? 0) & 0x01) === 0x01;
    if (isContinued) return null;
    const data = new TextDecoder("utf-8").decode(Buffer.concat(this.#chunks)).replace(/[\r\n]+$/, "");
    const scan = { data, symbology: this.#symbology };
    this.reset();
    return data.length > 0 ? scan : null;
  }

  reset(): void {
    this.#chunks = [];
    this.#symbology = "";
  }
}

/** Builds the reports a HID POS scanner sends for `data`; used by the virtual scanner and tests. */
export function encodeHidPosReports(
  data: string,
  options: { symbology?: string; layout?: HidPosReportLayout } = {},
): Buffer[] {
  const layout = options.layout ?? HID_POS_LAYOUT;
  const bytes = Buffer.from(data, "utf-8");
  const reports: Buffer[] = [];
  for (let offset = 0; offset < bytes.length || offset === 0; offset += layout.dataCapacity) {
    const chunk = bytes.subarray(offset, offset + layout.dataCapacity);
    const report = Buffer.alloc(layout.reportLength);
    report[0] = layout.reportId;
    report[layout.lengthOffset] = chunk.length;
    report.write((options.symbology ?? "]Q1").padEnd(3, "\0").slice(0, 3), layout.symbologyOffset, "latin1");
    chunk.copy(report, layout.dataOffset);
    report[layout.reportLength - 1] = offset + layout.dataCapacity < bytes.length ? 0x01 : 0x00;
    reports.push(report);
    if (bytes.length === 0) break;
  }
  return reports;
}
