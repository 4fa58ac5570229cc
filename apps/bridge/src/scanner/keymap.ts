/**
 * USB HID keyboard usage ids (usage page 0x07) to characters, per layout.
 *
 * A keyboard-mode scanner "types" with the layout it was configured for;
 * decoding with another layout mangles codes (odoo/odoo#214407), so the
 * layout is a setting per scanner.
 */
export interface Keymap {
  name: string;
  normal: ReadonlyMap<number, string>;
  shifted: ReadonlyMap<number, string>;
}

export const KEY_ENTER = 0x28;
export const KEY_KEYPAD_ENTER = 0x58;
export const KEY_TAB = 0x2b;

function buildUs(): Keymap {
  const normal = new Map<number, string>();
  const shifted = new Map<number, string>();
  for (let i = 0; i < 26; i += 1) {
    normal.set(0x04 + i, String.fromCharCode(0x61 + i));
    shifted.set(0x04 + i, String.fromCharCode(0x41 + i));
  }
  const digits = "1234567890";
  const digitShift = "!@#$%^&*()";
  for (let i = 0; i < 10; i += 1) {
    normal.set(0x1e + i, digits[i] ?? "");
    shifted.set(0x1e + i, digitShift[i] ?? "");
  }
  const punct: [number, string, string][] = [
    [0x2c, " ", " "],
    [0x2d, "-", "_"],
    [0x2e, "=", "+"],
    [0x2f, "[", "{"],
    [0x30, "]", "}"],
    [0x31, "\\", "|"],
    [0x32, "#", "~"],
    [0x33, ";", ":"],
    [0x34, "'", '"'],
    [0x35, "`", "~"],
    [0x36, ",", "<"],
    [0x37, ".", ">"],
    [0x38, "/", "?"],
    [0x54, "/", "/"],
    [0x55, "*", "*"],
    [0x56, "-", "-"],
    [0x57, "+", "+"],
    [0x63, ".", "."],
  ];
  for (const [code, plain, shift] of punct) {
    normal.set(code, plain);
    shifted.set(code, shift);
  }
  // Keypad digits: 0x59 = "1" … 0x61 = "9", 0x62 = "0".
  for (let i = 0; i < 9; i += 1) {
    normal.set(0x59 + i, String(i + 1));
    shifted.set(0x59 + i, String(i + 1));
  }
  normal.set(0x62, "0");
  shifted.set(0x62, "0");
  return { name: "us", normal, shifted };
}

function buildDe(): Keymap {
  const us = buildUs();
  const normal = new Map(us.normal);
  const shifted = new Map(us.shifted);
  // QWERTZ: Y and Z swap places.
  normal.set(0x1c, "z");
  shifted.set(0x1c, "Z");
  normal.set(0x1d, "y");
  shifted.set(0x1d, "Y");
  const digitShift = '!"§$%&/()=';
  for (let i = 0; i < 10; i += 1) shifted.set(0x1e + i, digitShift[i] ?? "");
  const punct: [number, string, string][] = [
    [0x2d, "ß", "?"],
    [0x30, "+", "*"],
    [0x32, "#", "'"],
    [0x36, ",", ";"],
    [0x37, ".", ":"],
    [0x38, "-", "_"],
  ];
  for (const [code, plain, shift] of punct) {
    normal.set(code, plain);
    shifted.set(code, shift);
  }
  return { name: "de", normal, shifted };
}

export const KEYMAPS = { us: buildUs(), de: buildDe() } as const;
export type KeymapName = keyof typeof KEYMAPS;
