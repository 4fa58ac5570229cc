/**
 * FNV-1a 32-bit of `text`, scaled to [0, 1): deterministic "jitter" (back-off, the refund
 * window's release time), so the state machine stays pure and a replay gives the same times.
 */
export function unitHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 0x1_0000_0000;
}
