#!/usr/bin/env -S npx tsx
/**
 * `alipay-keys`: prepare, install, verify and rotate the kiosk's Alipay merchant keys.
 * The private key is written to files only; it never appears on stdout or stderr.
 * Run from the repository root: `pnpm alipay-keys <command>` (or `npx tsx packages/alipay-keys/src/cli.ts`).
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { checkKeys, type KeyCheckDeps, type KeyCheckResult } from "./check.ts";
import { writeFileAtomic } from "./env-file.ts";
import { checkConfigFromEnv, CliConfigError, loadEnvSource, processEnv, type EnvSource } from "./env.ts";
import { installPrivateKey, KEY_DIR_MODE, PRIVATE_KEY_FILE_MODE, rotateEnvFile } from "./install.ts";
import {
  describeEncoding,
  fingerprint,
  generateKeyPair,
  inspectKey,
  KeyFormatError,
  normalisePublicKey,
  publicKeyForPortal,
  shortKeyId,
} from "./keys.ts";

export const USAGE = `alipay-keys: Alipay merchant key tooling for the kiosk

  alipay-keys generate [--out <dir>]
      New 2048-bit RSA2 key pair. Writes alipay-private-<id>.pem (PKCS#8, mode 0600) and
      alipay-public-<id>.pem to <dir> (default: current directory) and prints the public key
      as one line of base64, exactly as Alipay's merchant portal expects it.
  alipay-keys public-key <private.pem> [--pem]
      Prints the public half of a private key (portal format, or SPKI PEM with --pem).
  alipay-keys inspect <key-file>
      Says what a key file is (PKCS#1/PKCS#8/SPKI, PEM/base64) and what is wrong with it.
  alipay-keys install --private <file> --env-file <file> [--next] [--key-dir <dir>] [--owner <uid>:<gid>]
      Installs the private key as a PKCS#8 file (mode 0600; chowned when run as root) and sets
      ALIPAY_PRIVATE_KEY_FILE (or ALIPAY_NEXT_PRIVATE_KEY_FILE with --next) in the env file.
  alipay-keys check [--env-file <file>] [--next] [--uploaded-public-key <file>] [--json]
      Signs a harmless query against the configured gateway and says what is wrong, if anything.
      Reads the server's ALIPAY_* variables (the env file's values win over the environment).
  alipay-keys rotate --env-file <file>
      Promotes the next key to current in the env file (then restart, or switch each
      running instance with the staff console's alipayKeys.switchToNext).

--env <file> is an alias of --env-file <file>. Node 20 itself rejects "--env-file <file>" anywhere
on the command line when <file> does not exist yet (it exits with "node: <file>: not found"):
use --env for an env file that install should create.

Exit codes: 0 ok, 1 the check found a problem, 2 usage or configuration error.
`;

export type CliIo = {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env?: EnvSource;
  cwd?: string;
  checkDeps?: KeyCheckDeps;
  /** Current user id (root check for --owner). */
  uid?: number | undefined;
};

class UsageError extends Error {
  override readonly name = "UsageError";
}

function parse(args: string[], options: NonNullable<ParseArgsConfig["options"]>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new CliConfigError(`Cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"}).`);
  }
}

function formatCheck(result: KeyCheckResult): string {
  const mark = { pass: "ok  ", fail: "FAIL", warn: "warn", skip: "skip" } as const;
  const lines = result.steps.map((s) => `  [${mark[s.status]}] ${s.name}: ${s.detail}`);
  const d = result.diagnosis;
  return [
    `Alipay key check: ${result.ok ? "OK" : "FAILED"} (${d.code})`,
    ...lines,
    "",
    d.title,
    d.explanation,
    "",
    `What to do: ${d.action}`,
    "",
  ].join("\n");
}

/** Runs the CLI; returns the exit code. Never writes key material to `io`. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const cwd = io.cwd ?? resolve(".");
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "generate": {
        const { values } = parse(rest, { out: { type: "string" } });
        const out = resolve(cwd, str(values.out) ?? ".");
        if (!existsSync(out)) mkdirSync(out, { recursive: true, mode: KEY_DIR_MODE });
        const pair = generateKeyPair();
        const id = shortKeyId(pair.publicKeyPem);
        const privateFile = join(out, `alipay-private-${id}.pem`);
        const publicFile = join(out, `alipay-public-${id}.pem`);
        writeFileAtomic(privateFile, pair.privateKeyPem, { mode: PRIVATE_KEY_FILE_MODE });
        writeFileAtomic(publicFile, pair.publicKeyPem, { mode: 0o644 });
        writeFileAtomic(join(out, `alipay-public-${id}.txt`), `${pair.publicKeyForPortal}\n`, { mode: 0o644 });
        io.stderr(`Generated a 2048-bit RSA key pair for RSA2 (fingerprint ${pair.fingerprint}).\n`);
        io.stderr(`  private key (PKCS#8, mode 0600, keep secret): ${privateFile}\n`);
        io.stderr(`  public key (PEM): ${publicFile}\n`);
        io.stderr(`Upload this public key in Alipay's merchant portal (RSA2 key of your partner/app):\n`);
        io.stdout(`${pair.publicKeyForPortal}\n`);
        io.stderr(`Then: alipay-keys install --private ${privateFile} --env-file <env file> [--next]\n`);
        return 0;
      }
      case "public-key": {
        const { values, positionals } = parse(rest, { pem: { type: "boolean" } });
        const file = positionals[0];
        if (file === undefined) throw new UsageError("public-key needs the private key file.");
        const inspection = inspectKey(readText(resolve(cwd, file)));
        if (inspection.key === undefined)
          throw new KeyFormatError(
            `Cannot read ${file}: ${inspection.issues.map((i) => i.message).join(" ")}`,
            inspection.issues,
          );
        io.stdout(values.pem === true ? normalisePublicKey(inspection.key) : `${publicKeyForPortal(inspection.key)}\n`);
        io.stderr(
          `Fingerprint ${fingerprint(inspection.key)}${inspection.encoding ? ` (read from a ${describeEncoding(inspection.encoding)})` : ""}.\n`,
        );
        return 0;
      }
      case "inspect": {
        const { positionals } = parse(rest, {});
        const file = positionals[0];
        if (file === undefined) throw new UsageError("inspect needs a key file.");
        const inspection = inspectKey(readText(resolve(cwd, file)));
        if (inspection.key && inspection.encoding) {
          io.stdout(
            `${file}: ${describeEncoding(inspection.encoding)}, ${inspection.container === "pem" ? "PEM" : "bare base64"}, ${inspection.modulusBits ?? "?"} bits, fingerprint ${fingerprint(inspection.key)}\n`,
          );
        } else {
          io.stdout(`${file}: not a readable RSA key\n`);
        }
        for (const issue of inspection.issues) io.stdout(`  ${issue.severity}: ${issue.message}\n`);
        return inspection.issues.some((i) => i.severity === "fatal") ? 1 : 0;
      }
      case "install": {
        const { values } = parse(rest, {
          private: { type: "string" },
          "env-file": { type: "string" },
          env: { type: "string" },
          next: { type: "boolean" },
          "key-dir": { type: "string" },
          owner: { type: "string" },
        });
        const privateFile = str(values.private);
        const envFile = str(values["env-file"]) ?? str(values.env);
        if (privateFile === undefined || envFile === undefined)
          throw new UsageError("install needs --private <file> and --env-file <file>.");
        let owner: { uid: number; gid: number } | undefined;
        const ownerText = str(values.owner);
        if (ownerText !== undefined) {
          const m = /^(\d+):(\d+)$/.exec(ownerText);
          if (!m) throw new UsageError("--owner takes numeric <uid>:<gid> (e.g. $(id -u kiosk):$(id -g kiosk)).");
          if (io.uid !== 0) throw new UsageError("--owner needs root (only root can give a file to another user).");
          owner = { uid: Number(m[1]), gid: Number(m[2]) };
        }
        const keyDir = str(values["key-dir"]);
        const result = installPrivateKey({
          privateKeyText: readText(resolve(cwd, privateFile)),
          envFile: resolve(cwd, envFile),
          slot: values.next === true ? "next" : "current",
          ...(keyDir !== undefined ? { keyDir: resolve(cwd, keyDir) } : {}),
          ...(owner ? { owner } : {}),
        });
        for (const repair of result.repairs) io.stderr(`Repaired: ${repair.message}\n`);
        for (const name of result.removedVariables)
          io.stderr(`Removed the inline ${name} from the env file (replaced by ${result.envVariable}).\n`);
        io.stdout(
          `Installed ${result.slot} key ${result.fingerprint}\n  ${result.keyFile} (mode 0600${owner ? `, owner ${owner.uid}:${owner.gid}` : ""})\n  ${result.envVariable} set in ${resolve(cwd, envFile)}\n`,
        );
        io.stdout(
          result.slot === "next"
            ? "Check it with: alipay-keys check --next --env-file <file>; switch with alipayKeys.switchToNext or alipay-keys rotate.\n"
            : "Restart the server to use it, and run: alipay-keys check --env-file <file>\n",
        );
        return 0;
      }
      case "check": {
        const { values } = parse(rest, {
          "env-file": { type: "string" },
          env: { type: "string" },
          next: { type: "boolean" },
          "uploaded-public-key": { type: "string" },
          json: { type: "boolean" },
        });
        const envFile = str(values["env-file"]) ?? str(values.env);
        const source = loadEnvSource(envFile === undefined ? undefined : resolve(cwd, envFile), io.env ?? processEnv());
        const config = checkConfigFromEnv(source, { baseDir: cwd, useNextKey: values.next === true });
        const uploaded = str(values["uploaded-public-key"]);
        const result = await checkKeys(
          uploaded === undefined
            ? config
            : Object.assign({}, config, { uploadedPublicKey: readText(resolve(cwd, uploaded)) }),
          io.checkDeps,
        );
        io.stdout(values.json === true ? `${JSON.stringify(result, null, 2)}\n` : formatCheck(result));
        return result.ok ? 0 : 1;
      }
      case "rotate": {
        const { values } = parse(rest, { "env-file": { type: "string" }, env: { type: "string" } });
        const envFile = str(values["env-file"]) ?? str(values.env);
        if (envFile === undefined) throw new UsageError("rotate needs --env-file <file>.");
        const r = rotateEnvFile(resolve(cwd, envFile), { baseDir: cwd });
        io.stdout(
          `Promoted the next key to current: ${r.currentFingerprint} (was ${r.previousFingerprint ?? "none"}).\n`,
        );
        io.stdout(
          "Restart each server instance with this env file, or call alipayKeys.switchToNext on each running instance first.\n",
        );
        return 0;
      }
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.stdout(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`Unknown command "${command}".`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof KeyFormatError || error instanceof CliConfigError) {
      io.stderr(`${error.message}\n`);
      return 2;
    }
    // Errors from fs and friends carry paths, never key text; print only the message.
    io.stderr(`alipay-keys ${command ?? ""} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  const code = await runCli(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    uid: process.getuid?.(),
  });
  process.exitCode = code;
}
