/**
 * The CLI end to end: generate → register with the sandbox → install → check, then the
 * broken variants, rotation — and nothing it prints ever contains private key material.
 */
import { execFile } from "node:child_process";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { generateRsaKeyPair } from "@kiosk/alipay-core";
import { startSandbox, type RunningSandbox } from "@kiosk/alipay-sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./cli.ts";
import { readEnvFile } from "./env-file.ts";
import { generateKeyPair } from "./keys.ts";

const PARTNER_ID = "2088000000007777";
const MD5_KEY = "clit3stmd5k3y0000000000000000001";
const CLI = join(dirname(fileURLToPath(import.meta.url)), "cli.ts");
const TSX = join(dirname(fileURLToPath(import.meta.url)), "..", "node_modules", ".bin", "tsx");
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

let dir: string;
let sandbox: RunningSandbox;
let gateway: ReturnType<typeof generateRsaKeyPair>;
let portalKey = "";
let privateFile = "";
/** Every line the CLI wrote in this file's tests. */
const transcript: string[] = [];

async function cli(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env,
    cwd: dir,
    uid: 1000,
  });
  transcript.push(stdout, stderr);
  return { code, stdout, stderr };
}

/**
 * 32-character windows of the private key's base64 (PKCS#8 and PKCS#1), as they would appear if
 * leaked. Windows that also occur in the public key's base64 (the modulus is in both) are skipped:
 * printing the public key is the point of the tool.
 */
function privateFragments(pem: string): string[] {
  const key = createPrivateKey(pem);
  const body = key.export({ type: "pkcs8", format: "der" }).toString("base64");
  const pkcs1 = key.export({ type: "pkcs1", format: "der" }).toString("base64");
  const pub = createPublicKey(key).export({ type: "spki", format: "der" }).toString("base64");
  const out: string[] = [];
  for (const b of [body, pkcs1]) for (let i = 0; i + 32 <= b.length; i += 16) out.push(b.slice(i, i + 32));
  return out.filter((f) => !pub.includes(f));
}

function baseEnv(envFile: string): Record<string, string> {
  return {
    ALIPAY_GATEWAY_URL: sandbox.gatewayUrl,
    ALIPAY_PARTNER_ID: PARTNER_ID,
    ALIPAY_SIGN_TYPE: "RSA2",
    ENV_FILE_FOR_TEST: envFile,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "alipay-keys-cli-"));
  gateway = generateRsaKeyPair();
  const gen = await cli(["generate", "--out", "keys"]);
  expect(gen.code).toBe(0);
  portalKey = gen.stdout.trim();
  privateFile = join(
    dir,
    "keys",
    readdirSync(join(dir, "keys")).find((f) => f.startsWith("alipay-private-"))!,
  );
  sandbox = await startSandbox({
    port: 0,
    tickIntervalMs: 0,
    logger: quiet,
    // The operator pastes exactly what `generate` printed into the merchant portal.
    partners: [{ partnerId: PARTNER_ID, md5Key: MD5_KEY, rsaPublicKey: portalKey }],
    gatewayPrivateKey: gateway.privateKeyPem,
  });
  writeFileSync(join(dir, "alipay-public.txt"), `${gateway.publicKeyBase64}\n`);
});

afterAll(async () => {
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("alipay-keys CLI", () => {
  it("generate prints only the portal public key on stdout and writes a 0600 PKCS#8 file", () => {
    expect(portalKey).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(statSync(privateFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(privateFile, "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it("public-key prints the same portal line for the PKCS#8 file and a PKCS#1 copy of it", async () => {
    const pkcs1File = join(dir, "pkcs1.pem");
    writeFileSync(
      pkcs1File,
      createPrivateKey(readFileSync(privateFile, "utf8")).export({ type: "pkcs1", format: "pem" }).toString(),
      { mode: 0o600 },
    );
    expect((await cli(["public-key", privateFile])).stdout.trim()).toBe(portalKey);
    const r = await cli(["public-key", pkcs1File]);
    expect(r.stdout.trim()).toBe(portalKey);
    expect(r.stderr).toMatch(/PKCS#1/);
    expect((await cli(["inspect", pkcs1File])).stdout).toMatch(/fixable: The private key is PKCS#1/);
  });

  it("install + check: OK with the generated keys against the sandbox", async () => {
    const envFile = join(dir, "etc", "kiosk.env");
    const inst = await cli(["install", "--private", privateFile, "--env", envFile]);
    expect(inst.code).toBe(0);
    const env = readEnvFile(envFile);
    expect(statSync(env.ALIPAY_PRIVATE_KEY_FILE!).mode & 0o777).toBe(0o600);
    writeFileSync(
      envFile,
      `${readFileSync(envFile, "utf8")}ALIPAY_PUBLIC_KEY_FILE=${join(dir, "alipay-public.txt")}\n`,
    );
    const check = await cli(["check", "--env-file", envFile], baseEnv(envFile));
    expect(check.stdout).toMatch(/^Alipay key check: OK \(ok\)/);
    expect(check.code).toBe(0);
    const json = await cli(["check", "--env-file", envFile, "--json"], baseEnv(envFile));
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, diagnosis: { code: "ok" } });
  });

  it("check: each broken piece gets its diagnosis and exit code 1", async () => {
    const other = generateKeyPair();
    const otherFile = join(dir, "other.pem");
    writeFileSync(otherFile, other.privateKeyPem, { mode: 0o600 });
    const pkcs1 = createPrivateKey(readFileSync(privateFile, "utf8"))
      .export({ type: "pkcs1", format: "pem" })
      .toString()
      .replace(/\n/g, "\\n");
    const good = { ALIPAY_PRIVATE_KEY_FILE: privateFile, ALIPAY_PUBLIC_KEY_FILE: join(dir, "alipay-public.txt") };
    const cases: Array<[string, Record<string, string>, string]> = [
      ["swapped pair", { ...good, ALIPAY_PRIVATE_KEY_FILE: otherFile }, "pair_mismatch"],
      [
        "PKCS#1 inline",
        { ALIPAY_PRIVATE_KEY: pkcs1, ALIPAY_PUBLIC_KEY_FILE: good.ALIPAY_PUBLIC_KEY_FILE },
        "wrong_format",
      ],
      ["wrong MD5 key", { ALIPAY_SIGN_TYPE: "MD5", ALIPAY_MD5_KEY: "0".repeat(32) }, "md5_key_wrong"],
      [
        "wrong gateway key",
        { ...good, ALIPAY_PUBLIC_KEY: generateRsaKeyPair().publicKeyBase64, ALIPAY_PUBLIC_KEY_FILE: "" },
        "gateway_key_mismatch",
      ],
    ];
    for (const [name, vars, code] of cases) {
      const r = await cli(["check"], { ...baseEnv(""), ...vars });
      expect({ name, code: r.code, line: r.stdout.split("\n")[0] }).toEqual({
        name,
        code: 1,
        line: `Alipay key check: FAILED (${code})`,
      });
      expect(r.stdout).toMatch(/What to do: /);
    }
    const md5 = await cli(["check"], { ...baseEnv(""), ALIPAY_SIGN_TYPE: "MD5", ALIPAY_MD5_KEY: MD5_KEY });
    expect(md5.code).toBe(0);
  });

  it("install --next, check --next, rotate", async () => {
    const envFile = join(dir, "rotate.env");
    await cli(["install", "--private", privateFile, "--env", envFile]);
    const next = generateKeyPair();
    const nextFile = join(dir, "next-src.pem");
    writeFileSync(nextFile, next.privateKeyPem, { mode: 0o600 });
    expect((await cli(["install", "--private", nextFile, "--env-file", envFile, "--next"])).code).toBe(0);
    const check = await cli(["check", "--next", "--env-file", envFile], {
      ...baseEnv(envFile),
      ALIPAY_PUBLIC_KEY_FILE: join(dir, "alipay-public.txt"),
    });
    // Not uploaded to the gateway yet: the check says so before the switch.
    expect(check.stdout.split("\n")[0]).toBe("Alipay key check: FAILED (pair_mismatch)");
    const rot = await cli(["rotate", "--env-file", envFile]);
    expect(rot.code).toBe(0);
    expect(rot.stdout).toContain(next.fingerprint);
    expect(Object.keys(readEnvFile(envFile))).toEqual(["ALIPAY_PRIVATE_KEY_FILE"]);
  });

  it("usage and configuration errors exit 2 without a stack", async () => {
    expect((await cli(["install", "--private", privateFile])).code).toBe(2);
    expect((await cli(["frobnicate"])).code).toBe(2);
    const missing = await cli(["public-key", join(dir, "nope.pem")]);
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toMatch(/Cannot read .*nope\.pem \(ENOENT\)/);
    expect(
      (await cli(["install", "--private", privateFile, "--env", join(dir, "x.env"), "--owner", "1:1"])).stderr,
    ).toMatch(/needs root/);
  });

  it("never printed private key material (in-process runs above)", () => {
    const all = transcript.join("\n");
    const keys = [
      readFileSync(privateFile, "utf8"),
      ...readdirSync(dir)
        .filter((f) => f.endsWith(".pem"))
        .map((f) => readFileSync(join(dir, f), "utf8")),
    ];
    expect(all.length).toBeGreaterThan(1000);
    for (const pem of keys) {
      const fragments = privateFragments(pem);
      expect(fragments.length).toBeGreaterThan(100);
      for (const fragment of fragments) expect(all).not.toContain(fragment);
    }
    expect(all).not.toMatch(/PRIVATE KEY-----/);
  });

  it("the real process (tsx) prints no private key material on stdout or stderr", async () => {
    const run = promisify(execFile);
    const out = join(dir, "spawned");
    const gen = await run(TSX, [CLI, "generate", "--out", out], { cwd: dir });
    const file = join(
      out,
      readdirSync(out).find((f) => f.startsWith("alipay-private-"))!,
    );
    const envFile = join(dir, "spawned.env");
    writeFileSync(envFile, "");
    const inst = await run(TSX, [CLI, "install", "--private", file, "--env-file", envFile], { cwd: dir });
    const pub = await run(TSX, [CLI, "public-key", file], { cwd: dir });
    const check = await run(TSX, [CLI, "check", "--env-file", envFile], {
      cwd: dir,
      env: {
        ...baseEnv(envFile),
        PATH: process.env.PATH ?? "",
        ALIPAY_PUBLIC_KEY_FILE: join(dir, "alipay-public.txt"),
      },
    }).catch((e: { stdout: string; stderr: string; code: number }) => e);
    const all = [gen, inst, pub, check].map((r) => `${r.stdout}\n${r.stderr}`).join("\n");
    expect(all).toContain("Alipay key check: FAILED (pair_mismatch)"); // this pair was never uploaded
    for (const fragment of privateFragments(readFileSync(file, "utf8"))) expect(all).not.toContain(fragment);
    expect(all).not.toMatch(/PRIVATE KEY-----/);
  });
});
