/**
 * Canonical sign strings, signing and verification for Alipay MAPI (MD5 / RSA / RSA2)
 * and the Alipay Open Platform (OpenAPI, RSA2 / RSA).
 *
 * Pure functions over `node:crypto`; no I/O, no clock. Shared with `@kiosk/alipay-sandbox`.
 *
 * @see https://global.alipay.com/docs/ac/global/digital_signature (MAPI signing, §2 of the protocol reference)
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  KeyObject,
  sign as cryptoSign,
  timingSafeEqual,
  verify as cryptoVerify,
} from "node:crypto";
import { encodeText, type AlipayCharset } from "./charset.ts";

export type { AlipayCharset } from "./charset.ts";

/** Alipay `sign_type` values. `RSA` = SHA1withRSA, `RSA2` = SHA256withRSA (PKCS#1 v1.5). */
export type SignType = "MD5" | "RSA" | "RSA2";

/** All sign types, for validation and iteration. */
export const SIGN_TYPES: readonly SignType[] = ["MD5", "RSA", "RSA2"] as const;

/** Parameter bag as it goes on the wire. `undefined`, `null` and `""` values are never signed. */
export type SignParams = Readonly<Record<string, string | undefined | null>>;

export type SigningKey =
  { signType: "MD5"; md5Key: string } | { signType: "RSA" | "RSA2"; privateKey: KeyObject | string };

export type VerifyingKey =
  { signType: "MD5"; md5Key: string } | { signType: "RSA" | "RSA2"; publicKey: KeyObject | string };

const HASH_BY_SIGN_TYPE = { RSA: "sha1", RSA2: "sha256" } as const;

function compareAscii(a: string, b: string): number {
  // Alipay sorts by byte order (Java TreeMap / PHP ksort); UTF-16 code-unit order equals
  // byte order for the ASCII parameter names Alipay uses.
  return a < b ? -1 : a > b ? 1 : 0;
}

function joinSorted(params: SignParams, excluded: ReadonlySet<string>): string {
  const keys = Object.keys(params)
    .filter((k) => !excluded.has(k))
    .filter((k) => {
      const v = params[k];
      return v !== undefined && v !== null && v !== "";
    })
    .sort(compareAscii);
  return keys.map((k) => `${k}=${params[k] as string}`).join("&");
}

const MAPI_EXCLUDED = new Set(["sign", "sign_type"]);
const OPENAPI_REQUEST_EXCLUDED = new Set(["sign"]);

/**
 * MAPI pre-sign string (reference §2.1): drop `sign` and `sign_type` and empty values,
 * sort keys in ASCII order, join raw (not URL-encoded) `k=v` pairs with `&`.
 * Also the rule for MAPI responses (children of `response/alipay`), MAPI notifications and
 * OpenAPI asynchronous notifications ("rsaCheckV1").
 */
export function buildSignContent(params: SignParams): string {
  return joinSorted(params, MAPI_EXCLUDED);
}

/**
 * OpenAPI request pre-sign string (reference §3a): every parameter except `sign`
 * (`sign_type` IS signed), empty values dropped, sorted, `k=v&…`.
 * Also the "rsaCheckV2" notification rule.
 */
export function buildOpenApiSignContent(params: SignParams): string {
  return joinSorted(params, OPENAPI_REQUEST_EXCLUDED);
}

function stripPem(text: string): { label: string | undefined; base64: string } {
  const match = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(text);
  if (match) return { label: match[1], base64: (match[2] ?? "").replace(/\s+/g, "") };
  return { label: undefined, base64: text.replace(/\s+/g, "") };
}

const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

function toPem(label: string, base64: string): string {
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function describeKeyProblem(kind: string): Error {
  // Never echo the key text: it may be a real secret.
  return new TypeError(`Cannot load ${kind}: expected PEM or bare base64 DER of an RSA key (key text not shown)`);
}

/**
 * Loads an RSA private key from PEM PKCS#1 (`BEGIN RSA PRIVATE KEY`), PEM PKCS#8
 * (`BEGIN PRIVATE KEY`), or bare base64 DER of either (Alipay portal style; any whitespace).
 * @throws TypeError if the text is not a usable RSA private key.
 */
export function loadPrivateKey(keyText: string): KeyObject {
  const { label, base64 } = stripPem(keyText);
  if (!BASE64_RE.test(base64)) throw describeKeyProblem("private key");
  const der = Buffer.from(base64, "base64");
  const attempts: Array<"pkcs8" | "pkcs1"> =
    label === "RSA PRIVATE KEY" ? ["pkcs1"] : label === "PRIVATE KEY" ? ["pkcs8"] : ["pkcs8", "pkcs1"];
  if (label !== undefined && label !== "RSA PRIVATE KEY" && label !== "PRIVATE KEY") {
    throw describeKeyProblem("private key");
  }
  for (const type of attempts) {
    try {
      const key = createPrivateKey({ key: der, format: "der", type });
      if (key.asymmetricKeyType === "rsa") return key;
    } catch {
      // try the next encoding
    }
  }
  throw describeKeyProblem("private key");
}

/**
 * Loads an RSA public key from PEM SPKI (`BEGIN PUBLIC KEY`), PEM PKCS#1
 * (`BEGIN RSA PUBLIC KEY`), or bare base64 DER of either.
 * @throws TypeError if the text is not a usable RSA public key.
 */
export function loadPublicKey(keyText: string): KeyObject {
  const { label, base64 } = stripPem(keyText);
  if (!BASE64_RE.test(base64)) throw describeKeyProblem("public key");
  if (label !== undefined && label !== "PUBLIC KEY" && label !== "RSA PUBLIC KEY") {
    throw describeKeyProblem("public key");
  }
  const der = Buffer.from(base64, "base64");
  const attempts: Array<"spki" | "pkcs1"> =
    label === "RSA PUBLIC KEY" ? ["pkcs1"] : label === "PUBLIC KEY" ? ["spki"] : ["spki", "pkcs1"];
  for (const type of attempts) {
    try {
      const key = createPublicKey({ key: der, format: "der", type });
      if (key.asymmetricKeyType === "rsa") return key;
    } catch {
      // try the next encoding
    }
  }
  throw describeKeyProblem("public key");
}

function asPrivateKey(key: KeyObject | string): KeyObject {
  return typeof key === "string" ? loadPrivateKey(key) : key;
}

function asPublicKey(key: KeyObject | string): KeyObject {
  if (typeof key !== "string") {
    return key.type === "private" ? createPublicKey(key) : key;
  }
  return loadPublicKey(key);
}

/** Lowercase hex MD5 of `content + md5Key` over the charset's bytes (reference §2.2; default UTF-8). */
export function md5Sign(content: string, md5Key: string, charset: AlipayCharset = "utf-8"): string {
  return createHash("md5")
    .update(encodeText(content + md5Key, charset))
    .digest("hex");
}

/**
 * Signs a pre-sign string.
 * MD5: lowercase hex `md5(content + key)`; RSA: base64 SHA1withRSA; RSA2: base64 SHA256withRSA.
 * Content is encoded as UTF-8 unless `charset` says otherwise (MAPI `_input_charset`: the
 * client always sends UTF-8, but a response may be declared GBK).
 */
export function signContent(content: string, key: SigningKey, charset: AlipayCharset = "utf-8"): string {
  if (key.signType === "MD5") return md5Sign(content, key.md5Key, charset);
  return cryptoSign(
    HASH_BY_SIGN_TYPE[key.signType],
    encodeText(content, charset),
    asPrivateKey(key.privateKey),
  ).toString("base64");
}

/**
 * {@link signContent} with the RSA work on libuv's thread pool (Node's `crypto.sign` with a
 * callback), not on the event loop: an RSA2 (2048-bit) signature costs ≈ 0.26 ms of CPU, a
 * thread-pool job ≈ 0.03 ms of the loop. MD5 is computed in place. Same bytes as signContent.
 */
export async function signContentAsync(
  content: string,
  key: SigningKey,
  charset: AlipayCharset = "utf-8",
): Promise<string> {
  if (key.signType === "MD5") return md5Sign(content, key.md5Key, charset);
  const data = encodeText(content, charset);
  const privateKey = asPrivateKey(key.privateKey);
  return new Promise((resolve, reject) =>
    cryptoSign(HASH_BY_SIGN_TYPE[key.signType], data, privateKey, (error, signature) =>
      error ? reject(error) : resolve(signature.toString("base64")),
    ),
  );
}

/**
 * Normalises a received base64 signature: a form decoder may have turned `+` into a space
 * (reference §2.3), and some signers wrap lines.
 */
export function normaliseBase64Signature(signature: string): string {
  return signature
    .trim()
    .replace(/ /g, "+")
    .replace(/[\r\n\t]/g, "");
}

/**
 * Verifies a signature over a pre-sign string. Returns `false` for any malformed or wrong
 * signature; throws only if the verifying key itself cannot be loaded (a configuration error).
 */
export function verifyContent(
  content: string,
  signature: string,
  key: VerifyingKey,
  charset: AlipayCharset = "utf-8",
): boolean {
  if (key.signType === "MD5") {
    const expected = Buffer.from(md5Sign(content, key.md5Key, charset), "utf8");
    const given = Buffer.from(signature.trim().toLowerCase(), "utf8");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
  const publicKey = asPublicKey(key.publicKey);
  const normalised = normaliseBase64Signature(signature);
  if (normalised === "" || !BASE64_RE.test(normalised)) return false;
  try {
    return cryptoVerify(
      HASH_BY_SIGN_TYPE[key.signType],
      encodeText(content, charset),
      publicKey,
      Buffer.from(normalised, "base64"),
    );
  } catch {
    return false;
  }
}

/** `buildSignContent` + `signContent` (MAPI requests, MAPI responses, notifications). */
export function signParams(params: SignParams, key: SigningKey): string {
  return signContent(buildSignContent(params), key);
}

/** `buildOpenApiSignContent` + `signContent` (OpenAPI requests; `sign_type` included). */
export function signOpenApiParams(params: SignParams, key: SigningKey): string {
  return signContent(buildOpenApiSignContent(params), key);
}

/** Notification verification rules: V1 drops `sign` and `sign_type` (MAPI and OpenAPI async notify); V2 drops only `sign`. */
export type NotificationSignRule = "v1" | "v2";

/**
 * Verifies received notification params (already form-decoded exactly once) against their
 * own `sign`. Returns `false` if `sign` is missing or wrong. Does not check `sign_type`
 * against the key: callers must do that (see the protocol clients, `mapi/client.ts` and `openapi/client.ts`).
 */
export function verifyParams(params: SignParams, key: VerifyingKey, rule: NotificationSignRule = "v1"): boolean {
  const sign = params["sign"];
  if (sign === undefined || sign === null || sign === "") return false;
  const content = rule === "v1" ? buildSignContent(params) : buildOpenApiSignContent(params);
  return verifyContent(content, sign, key);
}

/** Generates a 2048-bit RSA key pair; private key PEM is PKCS#8, public key PEM is SPKI. */
export function generateRsaKeyPair(): {
  privateKeyPem: string;
  publicKeyPem: string;
  publicKeyBase64: string;
} {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return {
    privateKeyPem: privateKey,
    publicKeyPem: publicKey,
    publicKeyBase64: stripPem(publicKey).base64,
  };
}

/** Converts a private key to PEM in the requested encoding (for fixtures and the portal-style base64 form). */
export function exportPrivateKey(key: KeyObject | string, type: "pkcs1" | "pkcs8"): string {
  return asPrivateKey(key).export({ type, format: "pem" }).toString();
}

/** Derives the SPKI public key PEM from a private key. */
export function publicKeyPemFromPrivate(key: KeyObject | string): string {
  return createPublicKey(asPrivateKey(key)).export({ type: "spki", format: "pem" }).toString();
}

/** Bare base64 body of a PEM (Alipay portal style). */
export function pemToBase64(pem: string): string {
  return stripPem(pem).base64;
}

/** Wraps bare base64 DER into PEM with the given label. */
export function base64ToPem(
  base64: string,
  label: "PRIVATE KEY" | "RSA PRIVATE KEY" | "PUBLIC KEY" | "RSA PUBLIC KEY",
): string {
  return toPem(label, base64.replace(/\s+/g, ""));
}

// ---------------------------------------------------------------------------
// OpenAPI JSON responses: the raw text of `<method>_response` is what is signed.
// ---------------------------------------------------------------------------

/** The response key for an OpenAPI method: `alipay.trade.pay` → `alipay_trade_pay_response`. */
export function openApiResponseKey(method: string): string {
  return `${method.replace(/\./g, "_")}_response`;
}

/**
 * Splits a top-level JSON object into its members WITHOUT re-serialising: each value is the
 * exact substring of the body. Returns `undefined` if the text is not a JSON object.
 */
export function extractTopLevelJsonMembers(body: string): Map<string, string> | undefined {
  let i = 0;
  const n = body.length;
  const skipWs = (): void => {
    while (i < n && (body[i] === " " || body[i] === "\n" || body[i] === "\r" || body[i] === "\t")) i++;
  };
  const scanString = (): boolean => {
    // assumes body[i] === '"'
    i++;
    while (i < n) {
      const c = body[i];
      if (c === "\\") {
        i += 2;
        continue;
      }
      i++;
      if (c === '"') return true;
    }
    return false;
  };
  const scanValue = (): boolean => {
    const c = body[i];
    if (c === '"') return scanString();
    if (c === "{" || c === "[") {
      let depth = 0;
      while (i < n) {
        const d = body[i];
        if (d === '"') {
          if (!scanString()) return false;
          continue;
        }
        if (d === "{" || d === "[") depth++;
        else if (d === "}" || d === "]") {
          depth--;
          if (depth === 0) {
            i++;
            return true;
          }
        }
        i++;
      }
      return false;
    }
    const start = i;
    while (i < n && body[i] !== "," && body[i] !== "}" && !/\s/.test(body[i] as string)) i++;
    return i > start;
  };

  const members = new Map<string, string>();
  skipWs();
  if (body[i] !== "{") return undefined;
  i++;
  skipWs();
  if (body[i] === "}") return members;
  while (i < n) {
    skipWs();
    if (body[i] !== '"') return undefined;
    const keyStart = i;
    if (!scanString()) return undefined;
    let key: unknown;
    try {
      key = JSON.parse(body.slice(keyStart, i));
    } catch {
      return undefined;
    }
    skipWs();
    if (body[i] !== ":") return undefined;
    i++;
    skipWs();
    const valueStart = i;
    if (!scanValue()) return undefined;
    members.set(key as string, body.slice(valueStart, i));
    skipWs();
    if (body[i] === ",") {
      i++;
      continue;
    }
    if (body[i] === "}") {
      i++;
      skipWs();
      return i === n ? members : undefined;
    }
    return undefined;
  }
  return undefined;
}

/** What an OpenAPI response body carries for signature verification. */
export type OpenApiSignedResponse = {
  /** `xxx_response` or `error_response`, whichever is present. */
  responseKey: string;
  /** Exact raw JSON text of the response object: the signed bytes. */
  signedContent: string;
  /** `sign` member, if present. */
  sign: string | undefined;
  /** `alipay_cert_sn`, if present (certificate mode). */
  certSn: string | undefined;
};

/**
 * Cuts the signed part out of an OpenAPI response body (reference §3a, vector A5).
 * Returns `undefined` if the body is not a JSON object with `<method>_response` or `error_response`.
 */
export function extractOpenApiSignedResponse(rawBody: string, method: string): OpenApiSignedResponse | undefined {
  const members = extractTopLevelJsonMembers(rawBody);
  if (!members) return undefined;
  const expectedKey = openApiResponseKey(method);
  const responseKey = members.has(expectedKey)
    ? expectedKey
    : members.has("error_response")
      ? "error_response"
      : undefined;
  if (responseKey === undefined) return undefined;
  const signedContent = members.get(responseKey) as string;
  const readString = (k: string): string | undefined => {
    const raw = members.get(k);
    if (raw === undefined) return undefined;
    try {
      const v: unknown = JSON.parse(raw);
      return typeof v === "string" ? v : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    responseKey,
    signedContent,
    sign: readString("sign"),
    certSn: readString("alipay_cert_sn"),
  };
}

/**
 * Verifies the signed `<method>_response` text of an OpenAPI response. Alipay's JSON writer
 * may escape `/` as `\/` in the body while the signature covers the unescaped text, so when
 * the raw substring fails and contains `\/`, it is tried once more with `\/` → `/` — as
 * Alipay's Java SDK (`AlipaySignature`/`AbstractAlipayClient.checkResponseSign`) and PHP SDK
 * (`AopClient::checkResponseSign`) do. Nothing else is rewritten.
 */
export function verifyOpenApiSignedContent(signedContent: string, sign: string, key: VerifyingKey): boolean {
  if (verifyContent(signedContent, sign, key)) return true;
  if (!signedContent.includes("\\/")) return false;
  return verifyContent(signedContent.replaceAll("\\/", "/"), sign, key);
}

/** Result of `verifyOpenApiResponse`. */
export type OpenApiVerification =
  | { ok: true; responseKey: string; signedContent: string }
  | {
      ok: false;
      reason: "malformed_body" | "missing_sign" | "bad_sign";
      responseKey?: string;
    };

/**
 * Verifies an OpenAPI JSON response against Alipay's public key, using the raw
 * `<method>_response` (or `error_response`) substring (then with `\/` unescaped, see
 * {@link verifyOpenApiSignedContent}). Never re-serialises.
 */
export function verifyOpenApiResponse(rawBody: string, method: string, key: VerifyingKey): OpenApiVerification {
  const extracted = extractOpenApiSignedResponse(rawBody, method);
  if (!extracted) return { ok: false, reason: "malformed_body" };
  if (extracted.sign === undefined || extracted.sign === "") {
    return {
      ok: false,
      reason: "missing_sign",
      responseKey: extracted.responseKey,
    };
  }
  if (!verifyOpenApiSignedContent(extracted.signedContent, extracted.sign, key)) {
    return {
      ok: false,
      reason: "bad_sign",
      responseKey: extracted.responseKey,
    };
  }
  return {
    ok: true,
    responseKey: extracted.responseKey,
    signedContent: extracted.signedContent,
  };
}

/**
 * Builds a signed OpenAPI response body (for simulators and tests): `{"<key>":<json>,"sign":"…"}`.
 * The response object is serialised once and that exact text is signed.
 */
export function signOpenApiResponseBody(responseKey: string, response: unknown, key: SigningKey): string {
  const json = JSON.stringify(response);
  const sign = signContent(json, key);
  return `{"${responseKey}":${json},"sign":${JSON.stringify(sign)}}`;
}
