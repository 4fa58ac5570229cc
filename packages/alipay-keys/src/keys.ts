/**
 * Merchant RSA key handling for Alipay: generation, format detection, normalisation and
 * fingerprints. Pure functions over `node:crypto`; no I/O.
 *
 * Formats (ref §2.3): Alipay's merchant portal takes the public key as bare base64 of the
 * X.509 SubjectPublicKeyInfo (SPKI) DER on one line; the Java SDKs and this kiosk's
 * configuration expect the private key as PKCS#8 (`BEGIN PRIVATE KEY`). PKCS#1
 * (`BEGIN RSA PRIVATE KEY`) is detected and converted, never silently accepted by `check`.
 *
 * Nothing here ever puts key text into an error message.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  randomBytes,
  sign as cryptoSign,
  verify as cryptoVerify,
} from "node:crypto";

/** Bits of every generated key (Alipay uses 2048 everywhere). */
export const DEFAULT_MODULUS_LENGTH = 2048;

/** What the DER inside a key text turned out to be. */
export type KeyEncoding = "pkcs8_private" | "pkcs1_private" | "spki_public" | "pkcs1_public";

/** How the DER was wrapped. */
export type KeyContainer = "pem" | "base64";

/** A problem found in a key text. `fixable` ones are repaired by {@link normalisePrivateKey} / {@link normalisePublicKey}. */
export type KeyIssueCode =
  | "empty"
  | "literal_backslash_n"
  | "quoted"
  | "crlf"
  | "whitespace_in_base64"
  | "single_line_pem"
  | "label_mismatch"
  | "pkcs1_private"
  | "pkcs1_public"
  | "not_base64"
  | "not_a_key"
  | "not_rsa"
  | "unexpected_kind"
  | "small_key";

export type KeyIssue = {
  code: KeyIssueCode;
  /** `fatal`: the text cannot be used; `fixable`: normalising repairs it; `note`: harmless. */
  severity: "fatal" | "fixable" | "note";
  /** Plain English, never containing key material. */
  message: string;
};

export type KeyInspection = {
  /** The key that was found (after repairs), or `undefined` when none could be read. */
  key: KeyObject | undefined;
  kind: "private" | "public" | undefined;
  encoding: KeyEncoding | undefined;
  container: KeyContainer | undefined;
  /** The PEM label as written (`PRIVATE KEY`, `RSA PRIVATE KEY`, …), if any. */
  pemLabel: string | undefined;
  modulusBits: number | undefined;
  issues: KeyIssue[];
};

/** The public half of a key object (a public key is returned as is). */
export function publicOf(key: KeyObject): KeyObject {
  return key.type === "private" ? createPublicKey(key) : key;
}

/** Human name of an encoding, for messages. */
export function describeEncoding(encoding: KeyEncoding): string {
  switch (encoding) {
    case "pkcs8_private":
      return "PKCS#8 private key (BEGIN PRIVATE KEY)";
    case "pkcs1_private":
      return "PKCS#1 private key (BEGIN RSA PRIVATE KEY)";
    case "spki_public":
      return "X.509 SubjectPublicKeyInfo public key (BEGIN PUBLIC KEY)";
    case "pkcs1_public":
      return "PKCS#1 public key (BEGIN RSA PUBLIC KEY)";
  }
}

const LABEL_OF: Readonly<Record<KeyEncoding, string>> = {
  pkcs8_private: "PRIVATE KEY",
  pkcs1_private: "RSA PRIVATE KEY",
  spki_public: "PUBLIC KEY",
  pkcs1_public: "RSA PUBLIC KEY",
};

const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;
const PEM_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/;

function tryDer(der: Buffer): { key: KeyObject; encoding: KeyEncoding } | undefined {
  const attempts: Array<[KeyEncoding, () => KeyObject]> = [
    ["pkcs8_private", () => createPrivateKey({ key: der, format: "der", type: "pkcs8" })],
    ["pkcs1_private", () => createPrivateKey({ key: der, format: "der", type: "pkcs1" })],
    ["spki_public", () => createPublicKey({ key: der, format: "der", type: "spki" })],
    ["pkcs1_public", () => createPublicKey({ key: der, format: "der", type: "pkcs1" })],
  ];
  for (const [encoding, load] of attempts) {
    try {
      return { key: load(), encoding };
    } catch {
      // not this encoding
    }
  }
  return undefined;
}

/**
 * Reads any key text a person may paste: PEM (any of the four labels), PEM flattened onto one
 * line, PEM with literal `\n`, quoted values, CRLF, or bare base64 of any DER, and reports what
 * it is and what is wrong with it. Never throws.
 */
export function inspectKey(text: string): KeyInspection {
  const issues: KeyIssue[] = [];
  const empty: KeyInspection = {
    key: undefined,
    kind: undefined,
    encoding: undefined,
    container: undefined,
    pemLabel: undefined,
    modulusBits: undefined,
    issues,
  };
  let t = text.trim();
  if (t === "") {
    issues.push({ code: "empty", severity: "fatal", message: "The key is empty." });
    return empty;
  }
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) {
    issues.push({ code: "quoted", severity: "fixable", message: "The key is wrapped in quotes." });
    t = t.slice(1, -1).trim();
  }
  if (t.includes("\\n")) {
    issues.push({
      code: "literal_backslash_n",
      severity: "fixable",
      message:
        "The key contains literal \\n sequences instead of line breaks (typical of a key pasted into an env file).",
    });
    t = t.replace(/\\r\\n|\\n/g, "\n");
  }
  if (t.includes("\r")) {
    issues.push({ code: "crlf", severity: "note", message: "The key has Windows (CRLF) line endings." });
    t = t.replace(/\r/g, "");
  }
  const pem = PEM_RE.exec(t);
  let base64: string;
  let container: KeyContainer;
  let pemLabel: string | undefined;
  if (pem) {
    container = "pem";
    pemLabel = pem[1];
    const body = pem[2] ?? "";
    if (pem[1] !== pem[3]) {
      issues.push({ code: "label_mismatch", severity: "fixable", message: "The PEM BEGIN and END labels differ." });
    }
    if (!body.includes("\n") && body.trim().length > 64) {
      issues.push({
        code: "single_line_pem",
        severity: "fixable",
        message: "The PEM body is on one line (line breaks were lost, e.g. replaced by spaces).",
      });
    } else if (/[ \t]/.test(body.trim())) {
      issues.push({
        code: "whitespace_in_base64",
        severity: "fixable",
        message: "The PEM body contains spaces or tabs.",
      });
    }
    base64 = body.replace(/\s+/g, "");
  } else {
    if (/-----(BEGIN|END)/.test(t)) {
      issues.push({
        code: "not_a_key",
        severity: "fatal",
        message: "The key has a broken PEM header or footer (BEGIN/END lines do not match or are damaged).",
      });
      return empty;
    }
    container = "base64";
    if (/\s/.test(t)) {
      issues.push({
        code: "whitespace_in_base64",
        severity: "fixable",
        message: "The bare base64 key contains line breaks or spaces; Alipay's portal expects one line.",
      });
    }
    base64 = t.replace(/\s+/g, "");
  }
  if (!BASE64_RE.test(base64) || base64.length % 4 === 1) {
    issues.push({
      code: "not_base64",
      severity: "fatal",
      message: "The key text is not valid base64 (stray characters, or a copy-paste that lost or added text).",
    });
    return Object.assign({}, empty, { container, pemLabel });
  }
  const found = tryDer(Buffer.from(base64, "base64"));
  if (!found) {
    issues.push({
      code: "not_a_key",
      severity: "fatal",
      message:
        "The base64 does not decode to an RSA key (it may be truncated, or be a certificate or another kind of data).",
    });
    return Object.assign({}, empty, { container, pemLabel });
  }
  const { key, encoding } = found;
  if (key.asymmetricKeyType !== "rsa") {
    issues.push({
      code: "not_rsa",
      severity: "fatal",
      message: `The key is ${key.asymmetricKeyType ?? "not"} an RSA key; Alipay needs RSA.`,
    });
    return Object.assign({}, empty, { container, pemLabel });
  }
  if (pemLabel !== undefined && pemLabel !== LABEL_OF[encoding]) {
    issues.push({
      code: "label_mismatch",
      severity: "fixable",
      message: `The PEM label says "${pemLabel}" but the content is a ${describeEncoding(encoding)}.`,
    });
  }
  if (encoding === "pkcs1_private") {
    issues.push({
      code: "pkcs1_private",
      severity: "fixable",
      message:
        "The private key is PKCS#1 (BEGIN RSA PRIVATE KEY); the kiosk's configuration and Alipay's SDKs expect PKCS#8 (BEGIN PRIVATE KEY). As bare base64 the server cannot read PKCS#1 at all.",
    });
  }
  if (encoding === "pkcs1_public") {
    issues.push({
      code: "pkcs1_public",
      severity: "fixable",
      message:
        "The public key is PKCS#1 (BEGIN RSA PUBLIC KEY); Alipay's portal and the kiosk expect X.509 SubjectPublicKeyInfo (BEGIN PUBLIC KEY).",
    });
  }
  const modulusBits = key.asymmetricKeyDetails?.modulusLength;
  if (modulusBits !== undefined && modulusBits < DEFAULT_MODULUS_LENGTH) {
    issues.push({
      code: "small_key",
      severity: "fixable",
      message: `The key has ${modulusBits} bits; Alipay expects ${DEFAULT_MODULUS_LENGTH}-bit keys. Generate a new pair.`,
    });
  }
  return {
    key,
    kind: key.type === "private" ? "private" : "public",
    encoding,
    container,
    pemLabel,
    modulusBits,
    issues,
  };
}

/** True when an inspection found nothing fatal or fixable (notes are fine). */
export function isClean(inspection: KeyInspection): boolean {
  return inspection.issues.every((i) => i.severity === "note");
}

/** Thrown when a key text cannot be used. The message never contains key material. */
export class KeyFormatError extends Error {
  override readonly name = "KeyFormatError";
  readonly issues: readonly KeyIssue[];
  constructor(message: string, issues: readonly KeyIssue[]) {
    super(message);
    this.issues = issues;
  }
}

function requireKind(text: string, kind: "private" | "public", what: string): KeyObject {
  const inspection = inspectKey(text);
  const fatal = inspection.issues.filter((i) => i.severity === "fatal");
  if (fatal.length > 0 || inspection.key === undefined) {
    throw new KeyFormatError(`Cannot read the ${what}: ${fatal.map((i) => i.message).join(" ")}`, inspection.issues);
  }
  if (inspection.kind !== kind) {
    const issue: KeyIssue = {
      code: "unexpected_kind",
      severity: "fatal",
      message: `Expected a ${kind} key but this is a ${inspection.kind ?? "unknown"} key.`,
    };
    throw new KeyFormatError(`Cannot use the ${what}: ${issue.message}`, [...inspection.issues, issue]);
  }
  return inspection.key;
}

/** Reads a private key in any format (see {@link inspectKey}). @throws KeyFormatError */
export function readPrivateKey(text: string): KeyObject {
  return requireKind(text, "private", "private key");
}

/** Reads a public key in any format. A private key is refused (it would work, but it must not sit where a public key belongs). @throws KeyFormatError */
export function readPublicKey(text: string): KeyObject {
  return requireKind(text, "public", "public key");
}

/** Canonical private key text: PKCS#8 PEM, 64-column lines, trailing newline. @throws KeyFormatError */
export function normalisePrivateKey(text: string | KeyObject): string {
  const key = typeof text === "string" ? readPrivateKey(text) : text;
  return key.export({ type: "pkcs8", format: "pem" }).toString();
}

/** Canonical public key text: SPKI PEM. Accepts a private key object (derives its public half). @throws KeyFormatError */
export function normalisePublicKey(text: string | KeyObject): string {
  const key = typeof text === "string" ? readPublicKey(text) : publicOf(text);
  return key.export({ type: "spki", format: "pem" }).toString();
}

/** The public key exactly as Alipay's merchant portal wants it: bare base64 SPKI DER on one line. */
export function publicKeyForPortal(key: string | KeyObject): string {
  const k = typeof key === "string" ? inspectKey(key).key : key;
  if (k === undefined) throw new KeyFormatError("Cannot read the key.", inspectKey(key as string).issues);
  return (publicOf(k).export({ type: "spki", format: "der" }) as Buffer).toString("base64");
}

/**
 * Fingerprint of a key's public half: `SHA256:` + unpadded base64 of SHA-256 over the SPKI DER
 * (the OpenSSH style). Private and public halves of one pair have the same fingerprint, so it
 * can be shown, logged and audited safely.
 */
export function fingerprint(key: string | KeyObject): string {
  const k = typeof key === "string" ? inspectKey(key).key : key;
  if (k === undefined) throw new KeyFormatError("Cannot read the key.", []);
  const der = publicOf(k).export({ type: "spki", format: "der" }) as Buffer;
  return `SHA256:${createHash("sha256").update(der).digest("base64").replace(/=+$/, "")}`;
}

/** Short hex id of a key (first 12 hex chars of the SHA-256 of the SPKI DER), for file names. */
export function shortKeyId(key: string | KeyObject): string {
  const k = typeof key === "string" ? readPrivateOrPublic(key) : key;
  const der = publicOf(k).export({ type: "spki", format: "der" }) as Buffer;
  return createHash("sha256").update(der).digest("hex").slice(0, 12);
}

function readPrivateOrPublic(text: string): KeyObject {
  const i = inspectKey(text);
  if (i.key === undefined) throw new KeyFormatError("Cannot read the key.", i.issues);
  return i.key;
}

export type GeneratedKeyPair = {
  /** PKCS#8 PEM. Secret: write it to a 0600 file, never print it. */
  privateKeyPem: string;
  /** SPKI PEM. */
  publicKeyPem: string;
  /** Bare base64 SPKI DER on one line: paste this into Alipay's merchant portal. */
  publicKeyForPortal: string;
  fingerprint: string;
};

/** Generates a 2048-bit RSA key pair for RSA2 (SHA256withRSA) in the formats above. */
export function generateKeyPair(modulusLength = DEFAULT_MODULUS_LENGTH): GeneratedKeyPair {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength, publicExponent: 0x10001 });
  return {
    privateKeyPem: normalisePrivateKey(privateKey),
    publicKeyPem: normalisePublicKey(privateKey),
    publicKeyForPortal: publicKeyForPortal(privateKey),
    fingerprint: fingerprint(privateKey),
  };
}

/**
 * Whether a private key and a public key belong together: signs a random probe with the
 * private key and verifies it with the public key.
 */
export function isMatchingPair(privateKey: KeyObject, publicKey: KeyObject): boolean {
  const probe = randomBytes(32);
  const signature = cryptoSign("sha256", probe, privateKey);
  const pub = publicOf(publicKey);
  try {
    return cryptoVerify("sha256", probe, pub, signature);
  } catch {
    return false;
  }
}
