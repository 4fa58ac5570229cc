/**
 * Antom (Alipay+ / AMS) message signing: RSA256 (SHA256withRSA, PKCS#1 v1.5) over
 * `<HTTP-method> <path>\n<client-id>.<request-time or response-time>.<body>`, carried in a
 * `Signature: algorithm=RSA256,keyVersion=<n>,signature=<URL-encoded base64>` header next to
 * the `client-id` and `request-time` (`response-time` on answers) headers. The same rule signs
 * requests, answers and notifications; the body is the exact bytes sent, never re-serialised.
 */
import { createSign, createVerify, type KeyObject } from "node:crypto";

export const ANTOM_SIGNATURE_ALGORITHM = "RSA256";

export type AntomSignInput = {
  /** `POST` (Antom's APIs are all POST). */
  method: string;
  /** The URL path, e.g. `/ams/api/v1/payments/pay` (no host, no query). */
  path: string;
  clientId: string;
  /** `request-time` (requests, notifications) or `response-time` (answers), exactly as in the header. */
  time: string;
  /** The exact JSON text of the body. */
  body: string;
};

/** The text that is signed: `<method> <path>\n<client-id>.<time>.<body>`. */
export function buildAntomSignContent(input: AntomSignInput): string {
  return `${input.method.toUpperCase()} ${input.path}\n${input.clientId}.${input.time}.${input.body}`;
}

/** Base64 SHA256withRSA signature of the content (not yet URL-encoded). */
export function signAntomContent(content: string, privateKey: KeyObject): string {
  const signer = createSign("RSA-SHA256");
  signer.update(content, "utf8");
  return signer.sign(privateKey, "base64");
}

/** True if the base64 signature verifies over the content. Never throws on a malformed signature. */
export function verifyAntomContent(content: string, signatureBase64: string, publicKey: KeyObject): boolean {
  try {
    const verifier = createVerify("RSA-SHA256");
    verifier.update(content, "utf8");
    return verifier.verify(publicKey, signatureBase64, "base64");
  } catch {
    return false;
  }
}

/** `algorithm=RSA256,keyVersion=1,signature=<URL-encoded base64>`. */
export function formatAntomSignatureHeader(keyVersion: string, signatureBase64: string): string {
  return `algorithm=${ANTOM_SIGNATURE_ALGORITHM},keyVersion=${keyVersion},signature=${encodeURIComponent(signatureBase64)}`;
}

export type ParsedAntomSignature = { algorithm: string; keyVersion: string | undefined; signature: string };

/**
 * Reads a `Signature` header (any order of its parts, whitespace tolerated). `signature` is
 * URL-decoded once. `undefined` when it has no `signature=` part or is not decodable.
 */
export function parseAntomSignatureHeader(header: string | undefined): ParsedAntomSignature | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  const parts = new Map<string, string>();
  for (const part of header.split(",")) {
    const at = part.indexOf("=");
    if (at <= 0) continue;
    parts.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  const raw = parts.get("signature");
  if (raw === undefined || raw === "") return undefined;
  let signature: string;
  try {
    signature = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  return { algorithm: parts.get("algorithm") ?? "", keyVersion: parts.get("keyVersion"), signature };
}

/** Signs a request: the headers Antom reads (`client-id`, `request-time`, `Signature`). */
export function antomRequestHeaders(
  input: Omit<AntomSignInput, "time"> & { requestTime: string; keyVersion: string; privateKey: KeyObject },
): Record<string, string> {
  const content = buildAntomSignContent(Object.assign({}, input, { time: input.requestTime }));
  return {
    "content-type": "application/json; charset=UTF-8",
    "client-id": input.clientId,
    "request-time": input.requestTime,
    signature: formatAntomSignatureHeader(input.keyVersion, signAntomContent(content, input.privateKey)),
  };
}

export type AntomVerifyResult =
  | { ok: true }
  | { ok: false; reason: "missing_sign" | "bad_sign" | "unsupported_algorithm" | "missing_time" | "wrong_client" };

/**
 * Verifies a signed answer or notification: `Signature` over
 * `<method> <path>\n<client-id>.<time>.<body>`. The `client-id` header, when present, must be ours.
 */
export function verifyAntomMessage(
  message: {
    method: string;
    path: string;
    clientId: string;
    headerClientId: string | undefined;
    time: string | undefined;
    signatureHeader: string | undefined;
    body: string;
  },
  publicKey: KeyObject,
): AntomVerifyResult {
  const parsed = parseAntomSignatureHeader(message.signatureHeader);
  if (parsed === undefined) return { ok: false, reason: "missing_sign" };
  if (parsed.algorithm !== "" && parsed.algorithm !== ANTOM_SIGNATURE_ALGORITHM)
    return { ok: false, reason: "unsupported_algorithm" };
  if (message.time === undefined || message.time === "") return { ok: false, reason: "missing_time" };
  if (message.headerClientId !== undefined && message.headerClientId !== message.clientId)
    return { ok: false, reason: "wrong_client" };
  const content = buildAntomSignContent({
    method: message.method,
    path: message.path,
    clientId: message.clientId,
    time: message.time,
    body: message.body,
  });
  return verifyAntomContent(content, parsed.signature, publicKey) ? { ok: true } : { ok: false, reason: "bad_sign" };
}
