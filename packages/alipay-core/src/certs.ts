/**
 * Alipay's public-key certificate mode ("公钥证书模式") for the Open Platform: the app's
 * certificate, Alipay's certificate(s) and Alipay's root bundle, and their serial numbers
 * ("SN") as the gateway expects them in `app_cert_sn` / `alipay_root_cert_sn` and answers
 * them in `alipay_cert_sn`.
 *
 * SN = lowercase hex MD5 of (issuer DN written from the last RDN to the first as `K=v,K=v`,
 * followed by the serial number in decimal). The root SN joins the SNs of the RSA-signed
 * certificates of the root bundle (signature algorithm OID 1.2.840.113549.1.1.*) with `_`;
 * the others (Alipay ships an ECC root in the same file) are left out. Source: alipay-sdk
 * (Node) `antcertutil.ts` `getSN` / `getRootCertSN`, Java `AntCertificationUtil`.
 *
 * Pure functions over `node:crypto` (`X509Certificate`) and a small DER reader; no I/O.
 */
import { createHash, X509Certificate, type KeyObject } from "node:crypto";

/** A parsed certificate with what certificate mode needs. */
export type AlipayCertificate = {
  /** The certificate's Alipay SN (see the module comment). */
  sn: string;
  /** Issuer DN as it enters the SN (`CN=…,OU=…,O=…,C=…`). */
  issuerName: string;
  /** Subject, as Node prints it (one RDN a line), for messages. */
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** `1.2.840.113549.1.1.11` for sha256WithRSA, … */
  signatureAlgorithmOid: string;
  publicKey: KeyObject;
  x509: X509Certificate;
  pem: string;
};

/** A certificate text that cannot be used; the message never contains key material. */
export class AlipayCertificateError extends TypeError {
  override readonly name = "AlipayCertificateError";
}

const PEM_CERT_RE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Splits a PEM text into its `CERTIFICATE` blocks (a root bundle has several). */
export function splitPemCertificates(text: string): string[] {
  return text.match(PEM_CERT_RE) ?? [];
}

type Tlv = { tag: number; start: number; end: number };

function readTlv(der: Buffer, offset: number): Tlv {
  const tag = der[offset];
  let lengthByte = der[offset + 1];
  if (tag === undefined || lengthByte === undefined) throw new AlipayCertificateError("Certificate DER is truncated");
  let start = offset + 2;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count === 0 || count > 4) throw new AlipayCertificateError("Certificate DER has a bad length");
    length = 0;
    for (let i = 0; i < count; i++) {
      lengthByte = der[start + i];
      if (lengthByte === undefined) throw new AlipayCertificateError("Certificate DER is truncated");
      length = length * 256 + lengthByte;
    }
    start += count;
  }
  const end = start + length;
  if (end > der.length) throw new AlipayCertificateError("Certificate DER is truncated");
  return { tag, start, end };
}

function children(der: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end;) {
    const child = readTlv(der, at);
    out.push(child);
    at = child.end;
  }
  return out;
}

function decodeOid(bytes: Buffer): string {
  const parts: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift() ?? 0;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...parts].join(".");
}

function decodeString(tag: number, bytes: Buffer): string {
  if (tag === 0x1e) {
    // BMPString: UTF-16 big-endian
    const swapped = Buffer.from(bytes);
    swapped.swap16();
    return swapped.toString("utf16le");
  }
  if (tag === 0x14) return bytes.toString("latin1"); // T61String
  return bytes.toString("utf8"); // UTF8String, PrintableString, IA5String
}

/** Short names as alipay-sdk (`@fidm/x509`) writes them; others as the dotted OID (RFC 2253). */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "1.2.840.113549.1.9.1": "E",
};

function readStructure(der: Buffer): {
  issuerName: string;
  signatureAlgorithmOid: string;
} {
  const certificate = readTlv(der, 0);
  const [tbs, signatureAlgorithm] = children(der, certificate);
  if (tbs === undefined || signatureAlgorithm === undefined)
    throw new AlipayCertificateError("Certificate DER has no tbsCertificate");
  const algorithmOid = children(der, signatureAlgorithm)[0];
  if (algorithmOid?.tag !== 0x06) throw new AlipayCertificateError("Certificate DER has no signature algorithm");
  const fields = children(der, tbs);
  // version [0] is optional; then serial, signature, issuer
  const issuerIndex = fields[0]?.tag === 0xa0 ? 3 : 2;
  const issuer = fields[issuerIndex];
  if (issuer?.tag !== 0x30) throw new AlipayCertificateError("Certificate DER has no issuer");
  const attributes: string[] = [];
  for (const rdn of children(der, issuer)) {
    for (const attribute of children(der, rdn)) {
      const [type, value] = children(der, attribute);
      if (type === undefined || value === undefined) continue;
      const typeOid = decodeOid(der.subarray(type.start, type.end));
      attributes.push(
        `${SHORT_NAMES[typeOid] ?? typeOid}=${decodeString(value.tag, der.subarray(value.start, value.end))}`,
      );
    }
  }
  return {
    issuerName: attributes.reverse().join(","),
    signatureAlgorithmOid: decodeOid(der.subarray(algorithmOid.start, algorithmOid.end)),
  };
}

/** The Alipay SN of a certificate: md5(issuer DN + decimal serial number). */
export function certificateSn(issuerName: string, serialHex: string): string {
  const decimal = BigInt(`0x${serialHex}`).toString(10);
  return createHash("md5")
    .update(issuerName + decimal, "utf8")
    .digest("hex");
}

/**
 * Parses one PEM certificate.
 * @throws AlipayCertificateError if the text is not exactly one readable certificate.
 */
export function parseAlipayCertificate(pem: string): AlipayCertificate {
  const blocks = splitPemCertificates(pem);
  if (blocks.length !== 1)
    throw new AlipayCertificateError(
      blocks.length === 0
        ? "Not a PEM certificate (expected -----BEGIN CERTIFICATE-----)"
        : `Expected one certificate, found ${blocks.length}`,
    );
  const block = blocks[0] as string;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(block);
  } catch (error) {
    throw new AlipayCertificateError("Certificate cannot be read", {
      cause: error,
    });
  }
  const { issuerName, signatureAlgorithmOid } = readStructure(x509.raw);
  return {
    sn: certificateSn(issuerName, x509.serialNumber),
    issuerName,
    subject: x509.subject,
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    signatureAlgorithmOid,
    publicKey: x509.publicKey,
    x509,
    pem: block,
  };
}

/** Parses every certificate of a PEM text (Alipay certificate files may hold a chain). */
export function parseAlipayCertificates(text: string): AlipayCertificate[] {
  const blocks = splitPemCertificates(text);
  if (blocks.length === 0)
    throw new AlipayCertificateError("Not a PEM certificate (expected -----BEGIN CERTIFICATE-----)");
  return blocks.map(parseAlipayCertificate);
}

const RSA_SIGNATURE_OID_PREFIX = "1.2.840.113549.1.1.";

/**
 * The `alipay_root_cert_sn` of Alipay's root bundle: the SNs of its RSA-signed
 * certificates joined with `_`.
 * @throws AlipayCertificateError if the bundle has no RSA-signed certificate.
 */
export function rootCertificateSn(bundlePem: string): string {
  const sns = parseAlipayCertificates(bundlePem)
    .filter((c) => c.signatureAlgorithmOid.startsWith(RSA_SIGNATURE_OID_PREFIX))
    .map((c) => c.sn);
  if (sns.length === 0)
    throw new AlipayCertificateError("The Alipay root certificate file has no RSA-signed certificate");
  return sns.join("_");
}
