/**
 * The payment path's objects keep V8's cached hidden classes. On Node 20 (V8 11.3) a literal
 * that starts with a spread and then adds a key (`{ ...base, state: "PAID" }`) gets a new
 * hidden class at every call: ≈ 1–3 µs each and garbage only a full collection frees (issue
 * 16; the lint rule kiosk/no-leading-spread keeps such literals out of server code). Checked
 * with V8's own intrinsic in a child process (`--allow-natives-syntax`).
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const FIXTURE = fileURLToPath(new URL("./__tests__/hidden-classes.fixture.ts", import.meta.url));

describe("hot builders reuse their hidden classes", () => {
  it("two fresh results of each builder share one hidden class", () => {
    const out = execFileSync(process.execPath, ["--allow-natives-syntax", "--import", "tsx", FIXTURE], {
      encoding: "utf8",
      timeout: 60_000,
    });
    const answer = JSON.parse(out) as Record<string, boolean>;
    expect(Object.keys(answer)).toHaveLength(3);
    for (const [name, isShared] of Object.entries(answer)) expect({ name, isShared }).toEqual({ name, isShared: true });
  });
});
