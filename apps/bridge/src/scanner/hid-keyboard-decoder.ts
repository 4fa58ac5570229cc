/**
 * Decoding of 8-byte boot-protocol keyboard reports from a keyboard-mode
 * (wedge) scanner: [modifiers, reserved, key1 … key6].
 *
 * A key counts once, when it first appears in a report; the scan ends at
 * Enter (or Tab, when configured) or when the caller flushes on idle.
 */
import { KEY_ENTER, KEY_KEYPAD_ENTER, KEY_TAB, type Keymap } from "./keymap.ts";

const SHIFT_MASK = 0x02 | 0x20;
const ERROR_ROLLOVER = 0x01;

export interface KeyboardDecoderOptions {
  keymap: Keymap;
  /** Some hidraw devices prefix each report with a report id byte. */
  hasReportId?: boolean;
  isTabTerminator?: boolean;
}

export class HidKeyboardDecoder {
  readonly #options: KeyboardDecoderOptions;
  #pressed = new Set<number>();
  #buffer = "";

  constructor(options: KeyboardDecoderOptions) {
    this.#options = options;
  }

  /** Feeds one report; returns the completed scans it finished (usually zero or one). */
  push(rawReport: Buffer): string[] {
    const report = this.#options.hasReportId ? rawReport.subarray(1) : rawReport;
    if (report.length < 3) return [];
    const modifiers = report[0] ?? 0;
    const keys = new Set<number>();
    for (const key of report.subarray(2, 8)) if (key !== 0) keys.add(key);
    // Phantom state (too many keys): the report carries no usable keys.
    if (keys.has(ERROR_ROLLOVER)) return [];
    const isShift = (modifiers & SHIFT_MASK) !== 0;
    const scans: string[] = [];
    for (const key of keys) {
      if (this.#pressed.has(key)) continue;
      if (key === KEY_ENTER || key === KEY_KEYPAD_ENTER || (key === KEY_TAB && this.#options.isTabTerminator)) {
        const scan = this.flush();
        if (scan !== null) scans.push(scan);
        continue;
      }
      const map = isShift ? this.#options.keymap.shifted : this.#options.keymap.normal;
      this.#buffer += map.get(key) ?? "";
    }
    this.#pressed = keys;
    return scans;
  }

  /** Ends the current scan (for scanners configured without an Enter suffix). */
  flush(): string | null {
    const scan = this.#buffer;
    this.#buffer = "";
    return scan.length > 0 ? scan : null;
  }

  get hasPending(): boolean {
    return this.#buffer.length > 0;
  }
}

/** Builds press/release reports that "type" `text` followed by Enter; for tests and the bench. */
export function encodeKeyboardReports(text: string, keymap: Keymap): Buffer[] {
  const reverse = new Map<string, { key: number; isShift: boolean }>();
  for (const [key, char] of keymap.shifted) if (!reverse.has(char)) reverse.set(char, { key, isShift: true });
  for (const [key, char] of keymap.normal) reverse.set(char, { key, isShift: false });
  const reports: Buffer[] = [];
  const release = Buffer.alloc(8);
  for (const char of text) {
    const entry = reverse.get(char);
    if (!entry) throw new Error(`Character '${char}' has no key in keymap '${keymap.name}'`);
    reports.push(Buffer.from([entry.isShift ? 0x02 : 0x00, 0, entry.key, 0, 0, 0, 0, 0]), release);
  }
  reports.push(Buffer.from([0, 0, KEY_ENTER, 0, 0, 0, 0, 0]), release);
  return reports;
}
