/**
 * OpenAPI public-key certificate mode, as the client uses it: which SNs every request
 * carries (`app_cert_sn`, `alipay_root_cert_sn`) and which Alipay key verifies a response
 * (chosen by the response's `alipay_cert_sn`).
 *
 * Rotation: Alipay announces a new certificate before it signs with it; the official SDKs
 * download it on first sight (`alipay.open.app.alipaycert.download`). This client instead
 * holds a configured set — the current certificate and an announced next one — and refuses
 * a response signed under any other SN. That keeps a network fetch and a run-time trust
 * decision off the payment path; an unknown SN is an {@link AlipaySignatureError}
 * (`unknown_cert_sn`, retryable: nothing in the response is believed) that names the SN, and
 * `alipay-keys check` says which certificate to install.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import {
  AlipayCertificateError,
  parseAlipayCertificates,
  rootCertificateSn,
  type AlipayCertificate,
} from "../certs.ts";

/** Loaded certificate mode: SNs to send and Alipay keys by SN. */
export type CertMode = {
  appCertSn: string;
  alipayRootCertSn: string;
  /** SN of the configured current Alipay certificate. */
  alipayCertSn: string;
  /** Every accepted Alipay certificate's public key by SN (current first). */
  alipayKeys: ReadonlyMap<string, KeyObject>;
};

/** Certificate texts (PEM contents, already read from files by the caller). */
export type CertModeTexts = {
  appCert: string;
  alipayCert: string;
  alipayRootCert: string;
  /** An announced next Alipay certificate, accepted by its SN. */
  alipayNextCert?: string | undefined;
};

function firstCertificate(text: string, what: string): AlipayCertificate {
  try {
    // Alipay's files may carry the chain after the certificate itself; the first one is it.
    return parseAlipayCertificates(text)[0] as AlipayCertificate;
  } catch (error) {
    throw new AlipayCertificateError(`${what}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  const der = (k: KeyObject): Buffer =>
    (k.type === "private" ? createPublicKey(k) : k).export({
      type: "spki",
      format: "der",
    });
  return der(a).equals(der(b));
}

/**
 * Loads certificate mode and checks that the app certificate certifies `privateKey`.
 * @throws AlipayCertificateError (a configuration error; never contains key material).
 */
export function loadCertMode(texts: CertModeTexts, privateKey: KeyObject): CertMode {
  const app = firstCertificate(texts.appCert, "appCert");
  if (!samePublicKey(app.publicKey, privateKey))
    throw new AlipayCertificateError(
      "appCert does not certify privateKey (the app certificate was issued for another key)",
    );
  const alipay = firstCertificate(texts.alipayCert, "alipayCert");
  let alipayRootCertSn: string;
  try {
    alipayRootCertSn = rootCertificateSn(texts.alipayRootCert);
  } catch (error) {
    throw new AlipayCertificateError(`alipayRootCert: ${(error as Error).message}`, { cause: error });
  }
  const alipayKeys = new Map<string, KeyObject>([[alipay.sn, alipay.publicKey]]);
  if (texts.alipayNextCert !== undefined) {
    const next = firstCertificate(texts.alipayNextCert, "alipayNextCert");
    alipayKeys.set(next.sn, next.publicKey);
  }
  return {
    appCertSn: app.sn,
    alipayRootCertSn,
    alipayCertSn: alipay.sn,
    alipayKeys,
  };
}

/**
 * The Alipay key for a response: its `alipay_cert_sn`, or the current certificate when the
 * response names none (as the official SDKs do). `undefined` for an SN not configured.
 */
export function alipayKeyFor(mode: CertMode, responseCertSn: string | undefined): KeyObject | undefined {
  return mode.alipayKeys.get(responseCertSn ?? mode.alipayCertSn);
}
