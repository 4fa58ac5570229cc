/**
 * The sandbox as Alipay in public-key certificate mode: it holds Alipay's certificates (each
 * with its private key) and the root bundle, checks `app_cert_sn` / `alipay_root_cert_sn` on
 * requests of apps that have a certificate, and signs their responses and notifications with
 * the current Alipay certificate's key, answering its SN as `alipay_cert_sn`. Rotating moves
 * "current" to another configured certificate, as Alipay does when it renews its own.
 */
import type { KeyObject } from "node:crypto";
import { loadPrivateKey, parseAlipayCertificate, rootCertificateSn } from "@kiosk/alipay-core";

export type SandboxAlipayCert = {
  /** Alipay's certificate (PEM). */
  certPem: string;
  /** Its private key: the sandbox signs with it while it is current. */
  privateKey: KeyObject | string;
};

export type SandboxCertModeOptions = {
  /** Alipay's root bundle (PEM); its RSA certificates make `alipay_root_cert_sn`. */
  rootCertPem: string;
  /** Alipay's certificates; the first is current until rotated. */
  alipayCerts: readonly SandboxAlipayCert[];
};

export type CurrentAlipayCert = { sn: string; privateKey: KeyObject };

export type SandboxCertMode = {
  readonly rootCertSn: string;
  /** SNs of the configured Alipay certificates, in order. */
  readonly alipayCertSns: readonly string[];
  current(): CurrentAlipayCert;
  /** Makes the certificate with this SN current. @throws TypeError for an unknown SN. */
  rotateTo(sn: string): void;
};

export function resolveCertMode(options: SandboxCertModeOptions): SandboxCertMode {
  if (options.alipayCerts.length === 0) throw new TypeError("Certificate mode needs at least one Alipay certificate");
  const certs = options.alipayCerts.map((c) => ({
    sn: parseAlipayCertificate(c.certPem).sn,
    privateKey: typeof c.privateKey === "string" ? loadPrivateKey(c.privateKey) : c.privateKey,
  }));
  let current = certs[0] as CurrentAlipayCert;
  return {
    rootCertSn: rootCertificateSn(options.rootCertPem),
    alipayCertSns: certs.map((c) => c.sn),
    current: () => current,
    rotateTo(sn) {
      const next = certs.find((c) => c.sn === sn);
      if (next === undefined) throw new TypeError(`No configured Alipay certificate has SN ${sn}`);
      current = next;
    },
  };
}
