/**
 * The kiosk page ships English and the multilingual greetings only; every other catalogue is
 * fetched when needed (issue 20: the cold /kiosk load carried all five).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LOCALES } from "./locales.ts";
import { GREETINGS } from "./messages/greetings.ts";
import { isMessagesLoaded, loadMessages, translate } from "./translate.ts";

/** `import … from "…"` statements (static imports; `import("…")` is on demand). */
function staticImports(file: string): string[] {
  const source = readFileSync(join(import.meta.dirname, file), "utf8");
  return [...source.matchAll(/^import\s[^;]*?from\s+"([^"]+)";/gms)].map((m) => m[1] ?? "");
}

describe("message catalogues on demand", () => {
  it("translate.ts statically imports only the English catalogue and the greetings", () => {
    expect(
      staticImports("translate.ts")
        .filter((p) => p.startsWith("./messages/"))
        .sort(),
    ).toEqual(["./messages/en.ts", "./messages/greetings.ts"]);
  });

  it("before a catalogue loads: its greetings, English otherwise; afterwards its own text", async () => {
    expect(isMessagesLoaded("ko")).toBe(false);
    expect(translate("ko", "attract.headline")).toBe(GREETINGS.ko["attract.headline"]);
    expect(translate("ko", "oos.title")).toBe(GREETINGS.ko["oos.title"]);
    expect(translate("ko", "common.back")).toBe("Back");
    await loadMessages("ko");
    expect(isMessagesLoaded("ko")).toBe(true);
    expect(translate("ko", "common.back")).toBe("뒤로");
  });

  it("concurrent loads share one fetch and every locale loads", async () => {
    expect(loadMessages("ja")).toBe(loadMessages("ja"));
    const all = await Promise.all(LOCALES.map((l) => loadMessages(l)));
    expect(all.map((m) => Object.keys(m).length)).toEqual(LOCALES.map(() => Object.keys(all[0] ?? {}).length));
    expect(LOCALES.every(isMessagesLoaded)).toBe(true);
  });
});
