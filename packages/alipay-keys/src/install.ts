/**
 * Installing merchant private keys for the kiosk server: the key goes into its own file
 * (PKCS#8 PEM, mode 0600, optionally chowned to the server's user), and the env file gets
 * `ALIPAY_PRIVATE_KEY_FILE` (current) or `ALIPAY_NEXT_PRIVATE_KEY_FILE` (next) pointing at it.
 * Rotation promotes next → current in the env file. Nothing here returns or prints key text.
 */
import { chownSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { updateEnvFile, writeFileAtomic, readEnvFile, type EnvEdit } from "./env-file.ts";
import { fingerprint, inspectKey, KeyFormatError, normalisePrivateKey, shortKeyId, type KeyIssue } from "./keys.ts";

export const PRIVATE_KEY_FILE_MODE = 0o600;
export const KEY_DIR_MODE = 0o700;

/** Which server slot a key is installed into. */
export type KeySlot = "current" | "next";

export const ENV_NAMES = {
  current: { inline: "ALIPAY_PRIVATE_KEY", file: "ALIPAY_PRIVATE_KEY_FILE" },
  next: { inline: "ALIPAY_NEXT_PRIVATE_KEY", file: "ALIPAY_NEXT_PRIVATE_KEY_FILE" },
} as const satisfies Record<KeySlot, { inline: string; file: string }>;

export type InstallOptions = {
  /** The private key text in any readable format (it is converted to PKCS#8). */
  privateKeyText: string;
  /** Env file to update (`/etc/kiosk/kiosk.env`, `data/alipay.env`…); created (0600) if missing. */
  envFile: string;
  slot: KeySlot;
  /** Directory for the key file. @default the env file's directory */
  keyDir?: string;
  /** chown the key file to this user/group (only works as root). */
  owner?: { uid: number; gid: number };
  /** Injected for tests. @default fs.chownSync */
  chown?: (path: string, uid: number, gid: number) => void;
};

export type InstallResult = {
  /** Absolute path of the installed key file. */
  keyFile: string;
  fingerprint: string;
  slot: KeySlot;
  /** Variable set in the env file. */
  envVariable: string;
  /** Format repairs made while installing (e.g. PKCS#1 converted to PKCS#8). Never key text. */
  repairs: KeyIssue[];
  /** Inline variables removed from the env file (they would conflict with the *_FILE one). */
  removedVariables: string[];
};

/**
 * Installs a private key. The file is named `alipay-private-<id>.pem` after the key's
 * fingerprint, so installing the same key twice is harmless and two keys never collide.
 * @throws KeyFormatError when the text is not a usable RSA private key
 */
export function installPrivateKey(options: InstallOptions): InstallResult {
  const inspection = inspectKey(options.privateKeyText);
  const fatal = inspection.issues.filter((i) => i.severity === "fatal");
  if (fatal.length > 0 || inspection.key === undefined) {
    throw new KeyFormatError(
      `Cannot install the private key: ${fatal.map((i) => i.message).join(" ")}`,
      inspection.issues,
    );
  }
  if (inspection.kind !== "private") {
    throw new KeyFormatError(
      "Cannot install: this is a public key. Install the private key; the public key goes to Alipay's merchant portal (alipay-keys public-key prints it).",
      inspection.issues,
    );
  }
  const pem = normalisePrivateKey(inspection.key);
  const envFile = resolve(options.envFile);
  const keyDir = resolve(options.keyDir ?? dirname(envFile));
  if (!existsSync(keyDir)) mkdirSync(keyDir, { recursive: true, mode: KEY_DIR_MODE });
  const keyFile = join(keyDir, `alipay-private-${shortKeyId(inspection.key)}.pem`);
  writeFileAtomic(keyFile, pem, {
    mode: PRIVATE_KEY_FILE_MODE,
    owner: options.owner,
    chown: options.chown ?? chownSync,
  });
  const names = ENV_NAMES[options.slot];
  const existing = existsSync(envFile) ? readEnvFile(envFile) : {};
  const removedVariables = existing[names.inline] !== undefined ? [names.inline] : [];
  const edits: EnvEdit[] = [
    { name: names.file, value: keyFile },
    {
      name: names.inline,
      delete: true,
      comment: `${names.inline} removed by alipay-keys install (now in ${names.file})`,
    },
  ];
  updateEnvFile(envFile, edits);
  return {
    keyFile,
    fingerprint: fingerprint(inspection.key),
    slot: options.slot,
    envVariable: names.file,
    repairs: inspection.issues.filter((i) => i.severity === "fixable"),
    removedVariables,
  };
}

export type RotateResult = {
  /** Fingerprint of the key now configured as current. */
  currentFingerprint: string;
  /** Fingerprint of the key that was current before, if it could be read. */
  previousFingerprint: string | undefined;
  currentKeyFile: string | undefined;
};

function readKeyTextFromEnv(
  env: Record<string, string>,
  slot: KeySlot,
  baseDir: string,
): { text: string; file: string | undefined } | undefined {
  const names = ENV_NAMES[slot];
  const file = env[names.file];
  if (file !== undefined && file !== "") {
    const path = isAbsolute(file) ? file : resolve(baseDir, file);
    return { text: readFileSync(path, "utf8"), file: path };
  }
  const inline = env[names.inline];
  return inline !== undefined && inline !== "" ? { text: inline, file: undefined } : undefined;
}

/**
 * Promotes the next key to current in an env file: `ALIPAY_NEXT_PRIVATE_KEY(_FILE)` becomes
 * `ALIPAY_PRIVATE_KEY(_FILE)`, the next variables are removed and a comment records the
 * previous key's file and fingerprint. The old key file is left in place (delete it once every
 * instance runs with the new key and Alipay no longer has the old public key).
 * @param baseDir resolves relative `*_FILE` paths. @default process working directory
 */
export function rotateEnvFile(envFile: string, options: { baseDir?: string; now?: Date } = {}): RotateResult {
  const path = resolve(envFile);
  const env = readEnvFile(path);
  const baseDir = options.baseDir ?? resolve(".");
  const next = readKeyTextFromEnv(env, "next", baseDir);
  if (!next) {
    throw new Error(
      `Nothing to rotate: ${path} has no ${ENV_NAMES.next.file} (install one with: alipay-keys install --next).`,
    );
  }
  const nextFingerprint = fingerprint(normalisePrivateKey(next.text));
  let previousFingerprint: string | undefined;
  let previous: { text: string; file: string | undefined } | undefined;
  try {
    previous = readKeyTextFromEnv(env, "current", baseDir);
    previousFingerprint = previous ? fingerprint(normalisePrivateKey(previous.text)) : undefined;
  } catch {
    previousFingerprint = undefined;
  }
  const stamp = (options.now ?? new Date()).toISOString();
  const previousNote =
    previous?.file !== undefined
      ? `${previous.file} (${previousFingerprint ?? "unreadable"})`
      : (previousFingerprint ?? "none");
  const edits: EnvEdit[] = next.file
    ? [
        { name: ENV_NAMES.current.file, value: next.file },
        { name: ENV_NAMES.current.inline, delete: true },
        {
          name: ENV_NAMES.next.file,
          delete: true,
          comment: `alipay-keys rotate ${stamp}: previous key ${previousNote}`,
        },
        { name: ENV_NAMES.next.inline, delete: true },
      ]
    : [
        // An inline next key: move it into its own 0600 file instead of copying secrets around.
        {
          name: ENV_NAMES.next.inline,
          delete: true,
          comment: `alipay-keys rotate ${stamp}: previous key ${previousNote}`,
        },
      ];
  if (next.file) {
    updateEnvFile(path, edits);
    return { currentFingerprint: nextFingerprint, previousFingerprint, currentKeyFile: next.file };
  }
  const installed = installPrivateKey({ privateKeyText: next.text, envFile: path, slot: "current" });
  updateEnvFile(path, [...edits, { name: ENV_NAMES.next.file, delete: true }]);
  return { currentFingerprint: installed.fingerprint, previousFingerprint, currentKeyFile: installed.keyFile };
}
