/**
 * The local half of the key check in public-key certificate mode (Open Platform): every
 * certificate readable, the app certificate issued for the kiosk's private key, Alipay's
 * certificate not the kiosk's own, the root file yielding an SN, all of them valid now.
 * The gateway half (app_cert_sn / alipay_root_cert_sn accepted, answer verified with Alipay's
 * certificate) is the ordinary probe query, made by a client in certificate mode.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import {
  AlipayCertificateError,
  parseAlipayCertificates,
  rootCertificateSn,
  type AlipayCertificate,
} from "@kiosk/alipay-core";
import type { DiagnosisCode } from "./diagnoses.ts";

/** Certificate texts as configured (any may be missing: that is a diagnosis). */
export type CertCheckInput = {
  appCert?: string | undefined;
  alipayCert?: string | undefined;
  alipayRootCert?: string | undefined;
  alipayNextCert?: string | undefined;
};

export type CertStep = {
  name: "certificates";
  status: "pass" | "fail" | "warn";
  detail: string;
  code?: DiagnosisCode;
};

/** A certificate this close to its end gets a warning. */
export const CERT_EXPIRY_WARNING_MS = 30 * 24 * 60 * 60 * 1000;

/** True when any certificate option is given: the check runs in certificate mode. */
export function isCertMode(input: CertCheckInput): boolean {
  return [input.appCert, input.alipayCert, input.alipayRootCert, input.alipayNextCert].some(
    (t) => t !== undefined && t.trim() !== "",
  );
}

const VARIABLE = {
  appCert: "ALIPAY_APP_CERT",
  alipayCert: "ALIPAY_PUBLIC_CERT",
  alipayRootCert: "ALIPAY_ROOT_CERT",
  alipayNextCert: "ALIPAY_NEXT_PUBLIC_CERT",
} as const;

function spki(key: KeyObject): Buffer {
  return (key.type === "private" ? createPublicKey(key) : key).export({ type: "spki", format: "der" });
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function validity(name: string, cert: AlipayCertificate, now: number, steps: CertStep[]): void {
  if (cert.notAfter.getTime() < now) {
    steps.push({
      name: "certificates",
      status: "fail",
      code: "cert_expired",
      detail: `${name} (SN ${cert.sn}) expired on ${day(cert.notAfter)}.`,
    });
  } else if (cert.notBefore.getTime() > now) {
    steps.push({
      name: "certificates",
      status: "fail",
      code: "cert_expired",
      detail: `${name} (SN ${cert.sn}) is not valid before ${day(cert.notBefore)}.`,
    });
  } else if (cert.notAfter.getTime() - now < CERT_EXPIRY_WARNING_MS) {
    steps.push({
      name: "certificates",
      status: "warn",
      detail: `${name} (SN ${cert.sn}) expires on ${day(cert.notAfter)}: renew it soon.`,
    });
  }
}

/**
 * Checks the certificates locally. Returns the steps (failures carry their diagnosis) and,
 * when all three are readable, the SNs for the report.
 */
export function checkCertificates(
  input: CertCheckInput,
  privateKey: KeyObject | undefined,
  now: number,
): { steps: CertStep[]; sns?: { appCertSn: string; alipayCertSn: string; alipayRootCertSn: string } } {
  const steps: CertStep[] = [];
  const missing = (["appCert", "alipayCert", "alipayRootCert"] as const).filter(
    (k) => input[k] === undefined || input[k].trim() === "",
  );
  if (missing.length > 0) {
    steps.push({
      name: "certificates",
      status: "fail",
      code: "cert_missing",
      detail: `Certificate mode needs ${missing.map((k) => `${VARIABLE[k]}_FILE`).join(", ")} as well.`,
    });
    return { steps };
  }
  const read = (key: keyof typeof VARIABLE): AlipayCertificate | undefined => {
    const text = input[key];
    if (text === undefined) return undefined;
    try {
      return parseAlipayCertificates(text)[0];
    } catch (error) {
      const reason = error instanceof AlipayCertificateError ? error.message : "unreadable";
      steps.push({
        name: "certificates",
        status: "fail",
        code: "cert_unreadable",
        detail: `${VARIABLE[key]}: ${reason}.`,
      });
      return undefined;
    }
  };
  const app = read("appCert");
  const alipay = read("alipayCert");
  const next = read("alipayNextCert");
  let rootSn: string | undefined;
  try {
    rootSn = rootCertificateSn(input.alipayRootCert as string);
  } catch (error) {
    const reason = error instanceof AlipayCertificateError ? error.message : "unreadable";
    steps.push({
      name: "certificates",
      status: "fail",
      code: "root_cert_wrong",
      detail: `${VARIABLE.alipayRootCert}: ${reason}.`,
    });
  }
  if (app !== undefined && privateKey !== undefined && !spki(app.publicKey).equals(spki(privateKey))) {
    steps.push({
      name: "certificates",
      status: "fail",
      code: "cert_key_mismatch",
      detail: `The app certificate (SN ${app.sn}, ${app.subject.replace(/\n/g, ", ")}) certifies another key than ALIPAY_PRIVATE_KEY.`,
    });
  }
  for (const cert of [alipay, next]) {
    if (cert !== undefined && privateKey !== undefined && spki(cert.publicKey).equals(spki(privateKey))) {
      steps.push({
        name: "certificates",
        status: "fail",
        code: "gateway_key_mismatch",
        detail: `Alipay's certificate (SN ${cert.sn}) certifies the kiosk's own key: the app certificate was installed where Alipay's belongs.`,
      });
    }
  }
  if (app !== undefined) validity("The app certificate", app, now, steps);
  if (alipay !== undefined) validity("Alipay's certificate", alipay, now, steps);
  if (next !== undefined) validity("Alipay's next certificate", next, now, steps);
  if (app === undefined || alipay === undefined || rootSn === undefined) return { steps };
  if (!steps.some((s) => s.status === "fail")) {
    steps.push({
      name: "certificates",
      status: "pass",
      detail: `Certificate mode: app_cert_sn ${app.sn}, alipay_root_cert_sn ${rootSn}, Alipay's certificate ${alipay.sn}${next ? ` (next ${next.sn})` : ""}; valid until ${day(app.notAfter)} (app) and ${day(alipay.notAfter)} (Alipay).`,
    });
  }
  return { steps, sns: { appCertSn: app.sn, alipayCertSn: alipay.sn, alipayRootCertSn: rootSn } };
}
