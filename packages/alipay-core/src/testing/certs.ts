/**
 * Test-only X.509 certificates, built at test time in pure Node (a minimal DER writer and
 * `node:crypto` signatures): no openssl, no fixture files, no secret. Used to exercise
 * Alipay's public-key certificate mode (app cert, Alipay cert, Alipay root bundle).
 */
import {
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign as cryptoSign,
  X509Certificate,
  type KeyObject,
} from "node:crypto";

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));

function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map((p) => BigInt(p));
  const first = parts[0] ?? 0n;
  const second = parts[1] ?? 0n;
  const out: number[] = [Number(first * 40n + second)];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [];
    let n = part;
    do {
      chunk.unshift(Number(n & 0x7fn));
      n >>= 7n;
    } while (n > 0n);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i] = (chunk[i] as number) | 0x80;
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function integerFromHex(hex: string): Buffer {
  let bytes = Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, "hex");
  if (bytes.length === 0) bytes = Buffer.from([0]);
  if ((bytes[0] as number) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

function utcTime(date: Date): Buffer {
  const iso = date.toISOString(); // 2024-01-01T00:00:00.000Z
  const text = `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return tlv(0x17, Buffer.from(text, "ascii"));
}

const ATTRIBUTE_OIDS = {
  C: "2.5.4.6",
  ST: "2.5.4.8",
  L: "2.5.4.7",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  CN: "2.5.4.3",
} as const;

/** One relative distinguished name, in certificate order (usually C first, CN last). */
export type NameAttribute = readonly [keyof typeof ATTRIBUTE_OIDS, string];

function name(attributes: readonly NameAttribute[]): Buffer {
  return seq(
    ...attributes.map(([type, value]) =>
      set(
        seq(
          oid(ATTRIBUTE_OIDS[type]),
          // PrintableString for the country, UTF8String for the rest (as Alipay's certs).
          type === "C" ? tlv(0x13, Buffer.from(value, "ascii")) : tlv(0x0c, Buffer.from(value, "utf8")),
        ),
      ),
    ),
  );
}

export type TestSignatureAlgorithm = "sha256WithRSA" | "sha1WithRSA" | "ecdsaWithSHA256";

const SIGNATURE_ALGORITHMS: Record<
  TestSignatureAlgorithm,
  { oid: string; hash: "sha256" | "sha1"; hasNullParams: boolean }
> = {
  sha256WithRSA: {
    oid: "1.2.840.113549.1.1.11",
    hash: "sha256",
    hasNullParams: true,
  },
  sha1WithRSA: {
    oid: "1.2.840.113549.1.1.5",
    hash: "sha1",
    hasNullParams: true,
  },
  ecdsaWithSHA256: {
    oid: "1.2.840.10045.4.3.2",
    hash: "sha256",
    hasNullParams: false,
  },
};

export type TestCertificateSpec = {
  subject: readonly NameAttribute[];
  /** @default the subject (self-signed) */
  issuer?: readonly NameAttribute[];
  /** Hex serial number. */
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  /** The certified key (public, or a private key whose public half is certified). */
  publicKey: KeyObject;
  /** The issuer's private key. */
  signingKey: KeyObject;
  /** @default "sha256WithRSA" */
  signatureAlgorithm?: TestSignatureAlgorithm;
  /** Adds basicConstraints CA:TRUE. @default false */
  isCa?: boolean;
};

/** Builds and signs an X.509 v3 certificate; returns its PEM. */
export function createTestCertificate(spec: TestCertificateSpec): string {
  const algorithm = SIGNATURE_ALGORITHMS[spec.signatureAlgorithm ?? "sha256WithRSA"];
  const algorithmId = algorithm.hasNullParams
    ? seq(oid(algorithm.oid), Buffer.from([0x05, 0x00]))
    : seq(oid(algorithm.oid));
  const publicKey = spec.publicKey.type === "private" ? createPublicKey(spec.publicKey) : spec.publicKey;
  const spki = publicKey.export({ type: "spki", format: "der" });
  const extensions = spec.isCa
    ? [
        tlv(
          0xa3,
          seq(
            seq(
              oid("2.5.29.19"),
              Buffer.from([0x01, 0x01, 0xff]), // critical
              tlv(0x04, seq(Buffer.from([0x01, 0x01, 0xff]))), // cA TRUE
            ),
          ),
        ),
      ]
    : [];
  const tbs = seq(
    tlv(0xa0, Buffer.from([0x02, 0x01, 0x02])), // v3
    integerFromHex(spec.serialHex),
    algorithmId,
    name(spec.issuer ?? spec.subject),
    seq(utcTime(spec.notBefore), utcTime(spec.notAfter)),
    name(spec.subject),
    spki,
    ...extensions,
  );
  const signature = cryptoSign(algorithm.hash, tbs, spec.signingKey);
  const der = seq(tbs, algorithmId, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

/** A random positive 64-bit serial (hex), so that two test PKIs never share an SN. */
function randomSerial(): string {
  return `1${randomBytes(8).toString("hex")}`;
}

export type TestKeyPair = { privateKey: KeyObject; publicKey: KeyObject };

/** A fresh 2048-bit RSA key pair (tests). */
export function testRsaKeyPair(): TestKeyPair {
  return generateKeyPairSync("rsa", { modulusLength: 2048 });
}

export const TEST_ROOT_NAME: readonly NameAttribute[] = [
  ["C", "CN"],
  ["O", "Test Ant Financial"],
  ["OU", "Certification Authority"],
  ["CN", "Test Ant Financial Certification Authority R1"],
];

export const TEST_CLASS2_NAME: readonly NameAttribute[] = [
  ["C", "CN"],
  ["O", "Test Ant Financial"],
  ["OU", "Certification Authority"],
  ["CN", "Test Ant Financial Certification Authority Class 2 R1"],
];

/**
 * A miniature of Alipay's certificate set, built at test time: an RSA root and an EC root in
 * one bundle (the EC one is left out of the root SN, as in Alipay's real bundle), a "Class 2"
 * CA under the RSA root, an app certificate for `appKey`, and one or more Alipay certificates
 * (`alipayKeys`) — several to simulate Alipay rotating its key.
 */
export type TestAlipayPki = {
  rootBundlePem: string;
  appCertPem: string;
  /** Alipay certificates, in the order of `alipayKeys`. */
  alipayCertPems: string[];
  /** Each Alipay certificate's private key (the sandbox signs with it). */
  alipayKeys: KeyObject[];
  appKey: KeyObject;
};

export function createTestAlipayPki(options: {
  appKey: KeyObject;
  /** @default one fresh key */
  alipayKeys?: KeyObject[];
  /** Validity of the end-entity certificates. @default 2020-01-01 .. 2040-01-01 */
  notBefore?: Date;
  notAfter?: Date;
}): TestAlipayPki {
  const notBefore = options.notBefore ?? new Date(Date.UTC(2020, 0, 1));
  const notAfter = options.notAfter ?? new Date(Date.UTC(2040, 0, 1));
  const caFrom = new Date(Date.UTC(2018, 0, 1));
  const caTo = new Date(Date.UTC(2045, 0, 1));
  // CA keys only sign test certificates: 1024 bits keeps generating a PKI fast.
  const caKeyPair = (): TestKeyPair => generateKeyPairSync("rsa", { modulusLength: 1024 });
  const root = caKeyPair();
  const ecRoot = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const class2 = caKeyPair();
  const rootPem = createTestCertificate({
    subject: TEST_ROOT_NAME,
    serialHex: randomSerial(),
    notBefore: caFrom,
    notAfter: caTo,
    publicKey: root.publicKey,
    signingKey: root.privateKey,
    signatureAlgorithm: "sha1WithRSA",
    isCa: true,
  });
  const ecRootPem = createTestCertificate({
    subject: [...TEST_ROOT_NAME.slice(0, 3), ["CN", "Test Ant Financial Certification Authority E1"]],
    serialHex: randomSerial(),
    notBefore: caFrom,
    notAfter: caTo,
    publicKey: ecRoot.publicKey,
    signingKey: ecRoot.privateKey,
    signatureAlgorithm: "ecdsaWithSHA256",
    isCa: true,
  });
  const class2Pem = createTestCertificate({
    subject: TEST_CLASS2_NAME,
    issuer: TEST_ROOT_NAME,
    serialHex: randomSerial(),
    notBefore: caFrom,
    notAfter: caTo,
    publicKey: class2.publicKey,
    signingKey: root.privateKey,
    isCa: true,
  });
  const alipayKeys = options.alipayKeys ?? [caKeyPair().privateKey];
  const endEntity = (subjectCn: string, key: KeyObject, serialHex: string): string =>
    createTestCertificate({
      subject: [
        ["C", "CN"],
        ["O", "Test merchant"],
        ["OU", "Alipay"],
        ["CN", subjectCn],
      ],
      issuer: TEST_CLASS2_NAME,
      serialHex,
      notBefore,
      notAfter,
      publicKey: key,
      signingKey: class2.privateKey,
    });
  return {
    rootBundlePem: rootPem + ecRootPem + class2Pem,
    appCertPem: endEntity("2021000000000001", options.appKey, randomSerial()),
    alipayCertPems: alipayKeys.map((key, i) =>
      endEntity(`支付宝(中国)网络技术有限公司-20880000000000${String(i).padStart(2, "0")}`, key, randomSerial()),
    ),
    alipayKeys,
    appKey: options.appKey,
  };
}

/** True if Node can parse the PEM (guards the DER writer itself). */
export function isParsableCertificate(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}
