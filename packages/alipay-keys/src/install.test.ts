import { createPrivateKey } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { editEnvText, parseEnvText, readEnvFile } from "./env-file.ts";
import { installPrivateKey, rotateEnvFile } from "./install.ts";
import { generateKeyPair, KeyFormatError } from "./keys.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "alipay-keys-install-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mode = (p: string) => statSync(p).mode & 0o777;

describe("env files", () => {
  it("parses KEY=value lines with comments, export, quotes and escaped newlines", () => {
    expect(parseEnvText("# c\nexport A=1\nB=\"x\\ny\"\nC='lit\\n'\n\nD=\n A = spaced ")).toEqual({
      A: "spaced",
      B: "x\ny",
      C: "lit\\n",
      D: "",
    });
  });

  it("edits in place, keeps other lines, appends new variables, removes with an optional comment", () => {
    const text =
      "# kiosk\nPORT=3000\nALIPAY_PRIVATE_KEY=secret\nALIPAY_PRIVATE_KEY_FILE=/old.pem\nALIPAY_PRIVATE_KEY_FILE=/dup.pem\n";
    const out = editEnvText(text, [
      { name: "ALIPAY_PRIVATE_KEY_FILE", value: "/new dir/key.pem" },
      { name: "ALIPAY_PRIVATE_KEY", delete: true, comment: "moved" },
      { name: "ALIPAY_NEXT_PRIVATE_KEY_FILE", value: "/next.pem" },
    ]);
    expect(out).toBe(
      '# kiosk\nPORT=3000\n# moved\nALIPAY_PRIVATE_KEY_FILE="/new dir/key.pem"\nALIPAY_NEXT_PRIVATE_KEY_FILE=/next.pem\n',
    );
    expect(parseEnvText(out).ALIPAY_PRIVATE_KEY_FILE).toBe("/new dir/key.pem");
  });
});

describe("installPrivateKey", () => {
  it("writes a PKCS#8 file with mode 0600 and points ALIPAY_PRIVATE_KEY_FILE at it, keeping the env file's mode", () => {
    const pair = generateKeyPair();
    const envFile = join(dir, "kiosk.env");
    writeFileSync(envFile, "PORT=3000\nALIPAY_PRIVATE_KEY=inline-secret\n", { mode: 0o640 });
    const r = installPrivateKey({ privateKeyText: pair.privateKeyPem, envFile, slot: "current" });
    expect(r.fingerprint).toBe(pair.fingerprint);
    expect(mode(r.keyFile)).toBe(0o600);
    expect(readFileSync(r.keyFile, "utf8")).toBe(pair.privateKeyPem);
    expect(mode(envFile)).toBe(0o640);
    const env = readEnvFile(envFile);
    expect(env).toEqual({ PORT: "3000", ALIPAY_PRIVATE_KEY_FILE: r.keyFile });
    expect(readFileSync(envFile, "utf8")).not.toContain("inline-secret");
    expect(r.removedVariables).toEqual(["ALIPAY_PRIVATE_KEY"]);
    // No temp files left behind.
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("converts PKCS#1 to PKCS#8 and says so; creates a missing env file with mode 0600; --next sets the next variable", () => {
    const pair = generateKeyPair();
    const pkcs1 = createPrivateKey(pair.privateKeyPem).export({ type: "pkcs1", format: "pem" }).toString();
    const envFile = join(dir, "sub", "alipay.env");
    const r = installPrivateKey({ privateKeyText: pkcs1, envFile, slot: "next", keyDir: join(dir, "keys") });
    expect(readFileSync(r.keyFile, "utf8")).toBe(pair.privateKeyPem);
    expect(r.repairs.map((x) => x.code)).toEqual(["pkcs1_private"]);
    expect(mode(join(dir, "keys"))).toBe(0o700);
    expect(mode(envFile)).toBe(0o600);
    expect(readEnvFile(envFile)).toEqual({ ALIPAY_NEXT_PRIVATE_KEY_FILE: r.keyFile });
  });

  it("chowns the key file to the given owner", () => {
    const calls: Array<[string, number, number]> = [];
    const r = installPrivateKey({
      privateKeyText: generateKeyPair().privateKeyPem,
      envFile: join(dir, "kiosk.env"),
      slot: "current",
      owner: { uid: 1234, gid: 5678 },
      chown: (p, uid, gid) => calls.push([p, uid, gid]),
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.slice(1)).toEqual([1234, 5678]);
    expect(calls[0]?.[0]).toMatch(/\.tmp$/); // chowned before the rename: never readable by the wrong user
    expect(r.keyFile).not.toMatch(/\.tmp$/);
  });

  it("refuses public keys and broken text without writing anything", () => {
    const envFile = join(dir, "kiosk.env");
    expect(() =>
      installPrivateKey({ privateKeyText: generateKeyPair().publicKeyPem, envFile, slot: "current" }),
    ).toThrow(KeyFormatError);
    expect(() => installPrivateKey({ privateKeyText: "MIIE-not-a-key", envFile, slot: "current" })).toThrow(
      /not valid base64/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("rotateEnvFile", () => {
  it("promotes next to current and leaves a comment with the previous key's fingerprint", () => {
    const current = generateKeyPair();
    const next = generateKeyPair();
    const envFile = join(dir, "kiosk.env");
    const a = installPrivateKey({ privateKeyText: current.privateKeyPem, envFile, slot: "current" });
    const b = installPrivateKey({ privateKeyText: next.privateKeyPem, envFile, slot: "next" });
    const r = rotateEnvFile(envFile, { now: new Date("2026-01-02T03:04:05Z") });
    expect(r).toEqual({
      currentFingerprint: next.fingerprint,
      previousFingerprint: current.fingerprint,
      currentKeyFile: b.keyFile,
    });
    expect(readEnvFile(envFile)).toEqual({ ALIPAY_PRIVATE_KEY_FILE: b.keyFile });
    const text = readFileSync(envFile, "utf8");
    expect(text).toContain(
      `# alipay-keys rotate 2026-01-02T03:04:05.000Z: previous key ${a.keyFile} (${current.fingerprint})`,
    );
    expect(() => rotateEnvFile(envFile)).toThrow(/Nothing to rotate/);
  });

  it("moves an inline next key into its own 0600 file", () => {
    const next = generateKeyPair();
    const envFile = join(dir, "kiosk.env");
    writeFileSync(envFile, `ALIPAY_NEXT_PRIVATE_KEY="${next.privateKeyPem.replace(/\n/g, "\\n")}"\n`);
    const r = rotateEnvFile(envFile);
    expect(r.currentFingerprint).toBe(next.fingerprint);
    const env = readEnvFile(envFile);
    expect(Object.keys(env)).toEqual(["ALIPAY_PRIVATE_KEY_FILE"]);
    expect(mode(env.ALIPAY_PRIVATE_KEY_FILE as string)).toBe(0o600);
    expect(readFileSync(envFile, "utf8")).not.toContain("BEGIN");
  });
});
