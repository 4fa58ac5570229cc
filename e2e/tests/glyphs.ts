/**
 * Tofu detection: are the CJK characters on a screen drawn with real glyphs, or as the
 * empty ".notdef" boxes a browser draws when no installed font covers them?
 *
 * Each distinct CJK character in the page's visible text is drawn on a canvas in the font
 * its element is rendered with; so is a code point that no font has (U+10FFFD, plane 16
 * private use). A character whose bitmap equals that missing-glyph bitmap is tofu. With no
 * CJK font installed every CJK character draws the same box, so the check also fails when
 * fewer than half of the characters draw distinct bitmaps.
 */
import type { Page } from "@playwright/test";

export type GlyphReport = { checked: number; distinct: number; tofu: string[] };

/** Runs in the page. `sample` overrides the text to check (used to prove the check can fail). */
export async function glyphReport(page: Page, sample?: string): Promise<GlyphReport> {
  return page.evaluate((sampleText) => {
    const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\u{10000}-\u{10ffff}]/u;
    const chars = new Map<string, string>(); // char → CSS font of an element showing it
    if (sampleText !== null) {
      const font = getComputedStyle(document.body);
      for (const c of sampleText) if (CJK.test(c)) chars.set(c, `32px ${font.fontFamily}`);
    } else {
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const el = n.parentElement;
        if (!el || el.closest("[aria-hidden=true]") || !el.checkVisibility()) continue;
        const family = getComputedStyle(el).fontFamily;
        for (const c of n.textContent ?? "") if (CJK.test(c) && !chars.has(c)) chars.set(c, `32px ${family}`);
      }
    }
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = 48;
    const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
    const draw = (c: string, font: string): string => {
      ctx.clearRect(0, 0, 48, 48);
      ctx.font = font;
      ctx.fillStyle = "#000";
      ctx.textBaseline = "top";
      ctx.fillText(c, 4, 4);
      const px = ctx.getImageData(0, 0, 48, 48).data;
      let h = 2166136261;
      for (let i = 3; i < px.length; i += 4) h = Math.imul(h ^ px[i]!, 16777619);
      return (h >>> 0).toString(16);
    };
    const tofu: string[] = [];
    const seen = new Set<string>();
    for (const [c, font] of chars) {
      const missing = draw("\u{10FFFD}", font);
      const bitmap = draw(c, font);
      seen.add(bitmap);
      if (bitmap === missing) tofu.push(c);
    }
    return { checked: chars.size, distinct: seen.size, tofu };
  }, sample ?? null);
}

/** True when the screen's CJK text is legible (some CJK text, no tofu, distinct glyphs). */
export function legible(r: GlyphReport): boolean {
  return r.checked > 0 && r.tofu.length === 0 && r.distinct * 2 >= r.checked;
}
