/**
 * Text ⇄ bytes for the charsets Alipay MAPI may use (`_input_charset` UTF-8 / GBK / GB2312).
 * Node decodes GBK natively (TextDecoder) but cannot encode it; the encoder table is built
 * lazily, once, by decoding every GBK double-byte sequence.
 */

export type AlipayCharset = "utf-8" | "gbk";

/** Normalises a declared charset name; `undefined` if unsupported. */
export function normaliseCharset(name: string | undefined): AlipayCharset | undefined {
  const n = (name ?? "utf-8").trim().toLowerCase().replace(/_/g, "-");
  if (n === "utf-8" || n === "utf8") return "utf-8";
  if (n === "gbk" || n === "gb2312" || n === "cp936") return "gbk";
  return undefined;
}

let gbkTable: Map<string, number> | undefined;

function buildGbkTable(): Map<string, number> {
  const table = new Map<string, number>();
  const decoder = new TextDecoder("gbk", { fatal: true });
  const pair = new Uint8Array(2);
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      pair[0] = lead;
      pair[1] = trail;
      let ch: string;
      try {
        ch = decoder.decode(pair);
      } catch {
        continue;
      }
      if (ch.length >= 1 && !table.has(ch)) table.set(ch, (lead << 8) | trail);
    }
  }
  return table;
}

/** Encodes text in the charset. @throws TypeError for characters GBK cannot represent. */
export function encodeText(text: string, charset: AlipayCharset = "utf-8"): Buffer {
  if (charset === "utf-8") return Buffer.from(text, "utf8");
  gbkTable ??= buildGbkTable();
  const bytes: number[] = [];
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (code < 0x80) {
      bytes.push(code);
      continue;
    }
    const mapped = gbkTable.get(ch);
    if (mapped === undefined)
      throw new TypeError(`Character U+${code.toString(16).toUpperCase()} cannot be encoded in GBK`);
    bytes.push(mapped >> 8, mapped & 0xff);
  }
  return Buffer.from(bytes);
}

/** Decodes bytes in the charset. */
export function decodeText(bytes: Uint8Array, charset: AlipayCharset = "utf-8"): string {
  return new TextDecoder(charset).decode(bytes);
}
