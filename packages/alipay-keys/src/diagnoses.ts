/**
 * The plain-words diagnoses of `checkKeys`: one code per thing that can be wrong with an
 * Alipay key setup, each with what it means and what to do. No key material, ever.
 */

export const DIAGNOSIS_CODES = [
  "ok",
  "config_missing",
  "wrong_format",
  "pair_mismatch",
  "gateway_key_mismatch",
  "md5_key_wrong",
  "partner_unknown",
  "sign_type_rejected",
  "clock_skew",
  "charset",
  "gateway_unreachable",
  "cert_missing",
  "cert_unreadable",
  "cert_key_mismatch",
  "cert_expired",
  "app_cert_rejected",
  "root_cert_wrong",
  "alipay_cert_unknown",
] as const;

export type DiagnosisCode = (typeof DIAGNOSIS_CODES)[number];

export type Diagnosis = {
  code: DiagnosisCode;
  /** One line. */
  title: string;
  /** One paragraph: what is wrong, in plain English. */
  explanation: string;
  /** What to do about it. */
  action: string;
};

const TEXT: Readonly<Record<DiagnosisCode, Omit<Diagnosis, "code">>> = {
  ok: {
    title: "The keys work.",
    explanation:
      "The kiosk signed a harmless query (for a transaction id that does not exist) with its configured key, Alipay's gateway accepted the signature, and the gateway's signed answer verified with the configured Alipay public key. Payments will be signed and verified correctly.",
    action: "Nothing to do.",
  },
  config_missing: {
    title: "The Alipay configuration is incomplete.",
    explanation:
      "A value the check needs is not set, so the kiosk could not even build a signed request. With RSA or RSA2 the kiosk needs its own private key and Alipay's public key; with MD5 it needs the MD5 key; it always needs the partner id (or the app id for the Open Platform) and the gateway URL.",
    action:
      "Set the missing ALIPAY_* variable named in the failing step (for keys, the *_FILE variant pointing at a file is preferred), then run the check again.",
  },
  wrong_format: {
    title: "A key is in the wrong format.",
    explanation:
      "A key could not be read, or is in a format the kiosk's configuration does not expect. The kiosk expects its private key as PKCS#8 (a PEM starting with BEGIN PRIVATE KEY, or the same as bare base64) and Alipay's public key as X.509 SubjectPublicKeyInfo (BEGIN PUBLIC KEY, or bare base64 on one line as the merchant portal shows it). A PKCS#1 key (BEGIN RSA PRIVATE KEY), a key whose line breaks were lost or turned into literal \\n, or base64 damaged by copy-and-paste all end up here.",
    action:
      "Reinstall the private key with `alipay-keys install --private <file> --env-file <file>`: it reads PKCS#1 or PKCS#8, repairs line breaks and writes a clean PKCS#8 file. For Alipay's public key, copy it again from the merchant portal as one line of base64. If the text is damaged beyond repair, export it again from where it was generated.",
  },
  pair_mismatch: {
    title: "The private key does not match the public key Alipay has for this merchant.",
    explanation:
      "Alipay's gateway rejected the request's signature (ILLEGAL_SIGN or isv.invalid-signature). The request was signed with the configured private key, so the public key uploaded to Alipay's merchant portal is not the public half of that private key: a key from another pair, an old key after a rotation, or the public key uploaded to a different partner or app. (When a merchant public key is given to the check, the mismatch is found locally before contacting Alipay.)",
    action:
      "Print the public half of the private key the kiosk uses with `alipay-keys public-key <private.pem>` and upload exactly that line to the merchant portal (RSA2 key setting of this partner or app), or configure the private key that belongs to the uploaded public key. Compare fingerprints, not key text.",
  },
  gateway_key_mismatch: {
    title: "Alipay's answer does not verify with the configured Alipay public key.",
    explanation:
      "The gateway accepted the kiosk's signature and sent a signed answer, but the signature on that answer does not verify with ALIPAY_PUBLIC_KEY. The configured key is not Alipay's public key for this merchant: often the merchant's own public key was pasted where Alipay's belongs (the portal shows both), the key belongs to the sandbox instead of production or the other way round, or the gateway URL points at a different environment than the key.",
    action:
      'Copy "Alipay public key" (not "your public key" / "application public key") from the merchant portal for this partner or app into ALIPAY_PUBLIC_KEY_FILE, and make sure ALIPAY_GATEWAY_URL points at the same environment. Until then the kiosk will refuse every answer as unverified and no payment can complete.',
  },
  md5_key_wrong: {
    title: "The MD5 key is wrong.",
    explanation:
      "The request was signed with MD5 and Alipay's gateway rejected the signature (ILLEGAL_SIGN). With MD5 the signature is the MD5 of the request plus the secret key, so the configured ALIPAY_MD5_KEY is not the key Alipay has for this partner: a typo, a stray space or line break, a key from another partner, or one that was reset in the portal.",
    action:
      "Copy the 32-character MD5 key again from the merchant portal for this partner id into ALIPAY_MD5_KEY, without quotes or spaces, and run the check again. If it still fails, check that ALIPAY_PARTNER_ID is the partner the key belongs to.",
  },
  partner_unknown: {
    title: "Alipay does not know this partner id (or app id, or Antom client id).",
    explanation:
      "The gateway answered ILLEGAL_PARTNER (isv.invalid-app-id on the Open Platform, INVALID_CLIENT on Antom): the id is mistyped, belongs to the other environment (sandbox versus production), or the account is not activated for this service.",
    action:
      "Check ALIPAY_PARTNER_ID (16 digits starting 2088), ALIPAY_APP_ID or, for Antom, ALIPAY_ANTOM_CLIENT_ID against the merchant portal (Antom Dashboard → Developer), and that ALIPAY_GATEWAY_URL is the gateway of the same environment.",
  },
  sign_type_rejected: {
    title: "Alipay does not accept this sign type for this merchant.",
    explanation:
      "The gateway answered ILLEGAL_SIGN_TYPE (or isv.invalid-signature-type), or answered with a different sign type than the kiosk used: the merchant has no key of this kind registered (for example an RSA2 public key was never uploaded, only an MD5 key exists), or ALIPAY_SIGN_TYPE does not match what was set up with Alipay.",
    action:
      "Upload the RSA2 public key in the merchant portal (alipay-keys public-key prints it), or set ALIPAY_SIGN_TYPE to the type the account uses.",
  },
  clock_skew: {
    title: "This machine's clock is wrong.",
    explanation:
      "The gateway's clock and this machine's clock differ by more than the allowed tolerance (or the Open Platform rejected the request timestamp, isv.invalid-timestamp). Signed requests carry times; a wrong clock makes the Open Platform refuse them, puts wrong transaction times on MAPI payments and cancels, and breaks TLS certificate checks.",
    action:
      "Enable time synchronisation (NTP, e.g. systemd-timesyncd or chrony) on this machine and check its time zone, then run the check again.",
  },
  charset: {
    title: "Alipay rejected the request's character set.",
    explanation:
      "The gateway answered ILLEGAL_CHARSET (or isv.invalid-charset): the request's declared character set is not one the gateway accepts for this merchant, or the signed bytes were not the declared encoding. Signatures are computed over bytes, so text with Chinese or other non-ASCII characters signs differently in UTF-8 and GBK.",
    action:
      "Send UTF-8 (the kiosk always declares _input_charset=UTF-8; a proxy that rewrites bodies or URLs can break this). If the account was set up for GBK, ask Alipay to enable UTF-8.",
  },
  gateway_unreachable: {
    title: "Alipay's gateway could not be reached, or did not answer like Alipay.",
    explanation:
      "The request did not get an answer from an Alipay gateway: the connection failed or timed out, the URL is wrong (the answer was not an Alipay response), a firewall or proxy is in the way, or the gateway had an internal error. The keys were not tested against the gateway.",
    action:
      "Check ALIPAY_GATEWAY_URL (MAPI: https://…/gateway.do), DNS and outgoing HTTPS from this machine, and any proxy; then run the check again.",
  },
  cert_missing: {
    title: "Certificate mode is only partly configured: a certificate is missing.",
    explanation:
      "The Open Platform app uses public-key certificates (公钥证书模式) instead of a bare Alipay public key. That takes three files from the Open Platform console: the app's certificate (appCertPublicKey_<app id>.crt), Alipay's certificate (alipayCertPublicKey_RSA2.crt) and Alipay's root certificate (alipayRootCert.crt). Without all three, the kiosk cannot say which certificates it signs under (app_cert_sn, alipay_root_cert_sn) or verify Alipay's answers. A bare Alipay public key next to the certificates is refused too: one mode or the other.",
    action:
      "Download the three certificate files for this app from the Open Platform console and set ALIPAY_APP_CERT_FILE, ALIPAY_PUBLIC_CERT_FILE and ALIPAY_ROOT_CERT_FILE (unset ALIPAY_PUBLIC_KEY and ALIPAY_PUBLIC_KEY_FILE), then run the check again.",
  },
  cert_unreadable: {
    title: "A certificate file cannot be read.",
    explanation:
      "A configured certificate is not a PEM certificate (-----BEGIN CERTIFICATE-----), or it is damaged: a key file or a CSR was given instead, the file was cut short, or the lines were joined. Alipay's root file must hold at least one RSA-signed certificate; only those make the root SN.",
    action:
      "Download the certificate again from the Open Platform console and point the variable named in the failing step at the file exactly as downloaded (do not open and save it in an editor that changes line endings or encoding).",
  },
  cert_key_mismatch: {
    title: "The app certificate was not issued for the kiosk's private key.",
    explanation:
      "The public key inside the app certificate (ALIPAY_APP_CERT) is not the public half of the private key the kiosk signs with. Alipay verifies the kiosk's requests with the key in the certificate it issued, so every request would be refused. Usual causes: the certificate belongs to another app or to an older key, or a new key pair was generated after the certificate signing request (CSR) was uploaded.",
    action:
      "Use the private key whose CSR was uploaded to the Open Platform (compare fingerprints with alipay-keys public-key), or create a new CSR from the kiosk's private key, upload it, and install the certificate Alipay issues for it.",
  },
  cert_expired: {
    title: "A certificate has expired, or is not valid yet.",
    explanation:
      "Alipay's certificates are valid for a limited time. An expired app certificate makes Alipay refuse the kiosk's requests; an expired Alipay certificate means Alipay signs with a newer one, and its answers will name a certificate the kiosk does not hold. A certificate that is not valid yet usually means this machine's clock is wrong.",
    action:
      "Renew the app certificate in the Open Platform console (upload a CSR, install the new certificate), or download Alipay's current certificate; check the machine's clock if a certificate is \"not valid yet\".",
  },
  app_cert_rejected: {
    title: "Alipay does not accept the app certificate the kiosk signs under.",
    explanation:
      "The gateway rejected the request's app_cert_sn: the configured app certificate is not the one Alipay has on record for this app (another app's, an older one after a renewal, or one from the other environment).",
    action:
      "Download the app's current certificate (appCertPublicKey_<app id>.crt) from the Open Platform console for this app id and environment, install it as ALIPAY_APP_CERT_FILE, and run the check again.",
  },
  root_cert_wrong: {
    title: "Alipay's root certificate file is wrong.",
    explanation:
      "The gateway rejected the request's alipay_root_cert_sn, or the root file has no RSA-signed certificate. The root SN is computed from the RSA-signed certificates of alipayRootCert.crt, joined with _; a file that was edited, truncated or taken from somewhere else gives a different SN.",
    action:
      "Download alipayRootCert.crt again from the Open Platform console, install it unchanged as ALIPAY_ROOT_CERT_FILE, and run the check again.",
  },
  alipay_cert_unknown: {
    title: "Alipay signed its answer with a certificate the kiosk does not hold.",
    explanation:
      "The gateway's answer names an Alipay certificate (alipay_cert_sn) other than the configured ones. Alipay renews its own certificate from time to time and announces it; until the kiosk holds the new certificate, it refuses every answer signed under it as unverified, and no payment can complete (nothing is charged twice: unverified answers are queried again).",
    action:
      "Download Alipay's new certificate from the Open Platform console (or the announcement) and install it as ALIPAY_NEXT_PUBLIC_CERT_FILE (accepted alongside the current one), restart, and run the check again; later make it ALIPAY_PUBLIC_CERT_FILE.",
  },
};

/** The diagnosis for a code. */
export function diagnosisFor(code: DiagnosisCode): Diagnosis {
  return { code, ...TEXT[code] };
}
