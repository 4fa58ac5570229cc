/**
 * `checkKeys`: is the kiosk's Alipay key setup right, and if not, what is wrong in plain words.
 *
 * 1. local checks: every configured value present; each key readable and in the expected
 *    format (private PKCS#8, public SPKI); the private key matches a given merchant public key;
 *    Alipay's public key is not our own public key;
 * 2. a harmless signed call: query a random `partner_trans_id` that does not exist through
 *    alipay-core's client (which verifies the gateway's signed answer), then map the outcome.
 *
 * Format policy: the configuration expects PKCS#8 / SPKI. A key in another readable format
 * (PKCS#1, lost line breaks) is converted for the gateway call — so the report also says
 * whether the pair itself is right — but the check still fails with `wrong_format`, because
 * the server reads bare-base64 keys only as PKCS#8 / SPKI.
 */
import { createPrivateKey, randomBytes } from "node:crypto";
import {
  AlipayConfigError,
  AlipayGatewayError,
  AlipayNetworkError,
  AlipayResponseError,
  AlipaySignatureError,
  AlipayTimeoutError,
  createAlipayClient,
  FetchTransport,
  type AlipayClientConfig,
  type HttpTransport,
} from "@kiosk/alipay-core";
import { checkCertificates, isCertMode, type CertCheckInput } from "./cert-check.ts";
import { diagnosisFor, type Diagnosis, type DiagnosisCode } from "./diagnoses.ts";
import {
  fingerprint,
  inspectKey,
  isMatchingPair,
  normalisePrivateKey,
  normalisePublicKey,
  type KeyInspection,
} from "./keys.ts";

export type KeyCheckConfig = {
  protocol?: "mapi" | "openapi" | "antom";
  /** Antom: the domain (a path is dropped). */
  gatewayUrl: string;
  /** Antom: the client id (`ALIPAY_ANTOM_CLIENT_ID`) and the registered key's version (`ALIPAY_ANTOM_KEY_VERSION`). */
  clientId?: string | undefined;
  keyVersion?: string | undefined;
  partnerId?: string | undefined;
  appId?: string | undefined;
  signType: "MD5" | "RSA" | "RSA2";
  md5Key?: string | undefined;
  /** Merchant private key text (any format; the check reports format problems). */
  privateKey?: string | undefined;
  /** Alipay's public key text. */
  alipayPublicKey?: string | undefined;
  /** Optional: the merchant public key that was uploaded to Alipay, for a local pair check. */
  uploadedPublicKey?: string | undefined;
  /** Allow plain http to a non-loopback gateway (docker sandbox). */
  allowInsecureHttp?: boolean;
  /** Currency of the probe query. @default "USD" */
  currency?: string;
  /**
   * The merchant fields each pay will carry, per scope (the server: one per attraction). Antom
   * documents `secondary_merchant_id` and `store_id` in `extend_info` as mandatory, so a
   * missing one is a warning (`merchant_fields`); it does not fail the key check.
   */
  merchantFields?: ReadonlyArray<MerchantFieldsScope>;
} & CertCheckInput;

export type MerchantFieldsScope = {
  scope: string;
  secondaryMerchantId?: string | null | undefined;
  storeId?: string | null | undefined;
  /** Which of the two this scope's protocol sends. @default both (MAPI); OpenAPI pays carry `store_id` only */
  fields?: ReadonlyArray<"secondary_merchant_id" | "store_id">;
};

export type KeyCheckDeps = {
  transport?: HttpTransport;
  /** Epoch ms. @default Date.now */
  now?: () => number;
  /** The probe's partner_trans_id. @default "KEYCHECK" + random hex */
  probeId?: () => string;
  /** @default 10000 */
  timeoutMs?: number;
  /** Clock difference to the gateway's HTTP Date header that fails the check. @default 5 minutes */
  maxClockSkewMs?: number;
};

export type StepName =
  | "config"
  | "private_key_format"
  | "alipay_public_key_format"
  | "uploaded_public_key"
  | "local_pair"
  | "certificates"
  | "gateway_query"
  | "clock"
  | "merchant_fields";

export type CheckStep = {
  name: StepName;
  status: "pass" | "fail" | "warn" | "skip";
  /** Plain words; fingerprints at most, never key text. */
  detail: string;
  /** The diagnosis this step points at when it fails. */
  code?: DiagnosisCode;
};

export type KeyCheckResult = {
  ok: boolean;
  /** The first failure's diagnosis, or `ok`. */
  diagnosis: Diagnosis;
  steps: CheckStep[];
  /** Fingerprints of what was checked. */
  fingerprints: { privateKey?: string; alipayPublicKey?: string; uploadedPublicKey?: string };
};

export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60_000;
export const DEFAULT_CHECK_TIMEOUT_MS = 10_000;

function issueText(i: KeyInspection): string {
  return i.issues
    .filter((x) => x.severity !== "note")
    .map((x) => x.message)
    .join(" ");
}

/** Records the HTTP Date header of the last response (clock check). */
class DateCapturingTransport implements HttpTransport {
  lastDate: string | undefined;
  constructor(private readonly inner: HttpTransport) {}
  async request(request: Parameters<HttpTransport["request"]>[0]): ReturnType<HttpTransport["request"]> {
    const response = await this.inner.request(request);
    this.lastDate = response.headers.date;
    return response;
  }
}

/** Maps what the probe query threw to a diagnosis code and a one-line detail. */
export function classifyGatewayError(
  error: unknown,
  signType: KeyCheckConfig["signType"],
): { code: DiagnosisCode; detail: string } {
  if (error instanceof AlipayGatewayError) {
    const code = error.gatewayCode.toUpperCase();
    const sub = (error.subCode ?? "").toLowerCase();
    const what = `the gateway answered ${error.gatewayCode}${error.subCode ? ` ${error.subCode}` : ""}`;
    if (sub.includes("cert")) {
      return sub.includes("root")
        ? { code: "root_cert_wrong", detail: `${what}: it rejected alipay_root_cert_sn.` }
        : { code: "app_cert_rejected", detail: `${what}: it rejected app_cert_sn.` };
    }
    if (code === "ILLEGAL_SIGN" || sub === "isv.invalid-signature" || code === "INVALID_SIGNATURE") {
      return {
        code: signType === "MD5" ? "md5_key_wrong" : "pair_mismatch",
        detail: `${what}: it rejected the request's signature.`,
      };
    }
    if (
      code === "ILLEGAL_PARTNER" ||
      code === "ILLEGAL_PARTNER_EXTERFACE" ||
      sub === "isv.invalid-app-id" ||
      sub === "isv.missing-app-id" ||
      code === "INVALID_CLIENT" ||
      code === "INVALID_CLIENT_STATUS"
    ) {
      return { code: "partner_unknown", detail: `${what}.` };
    }
    if (code === "ILLEGAL_SIGN_TYPE" || sub === "isv.invalid-signature-type")
      return { code: "sign_type_rejected", detail: `${what}.` };
    if (code === "ILLEGAL_CHARSET" || sub === "isv.invalid-charset" || code === "ILLEGAL_ENCODING")
      return { code: "charset", detail: `${what}.` };
    if (sub === "isv.invalid-timestamp" || code === "ILLEGAL_TIMESTAMP" || code === "ILLEGAL_REQUEST_TIME")
      return { code: "clock_skew", detail: `${what}.` };
    return { code: "gateway_unreachable", detail: `${what}, which says nothing about the keys.` };
  }
  if (error instanceof AlipaySignatureError) {
    if (error.reason === "sign_type_mismatch")
      return {
        code: "sign_type_rejected",
        detail: "The gateway answered with a different sign type than the request used.",
      };
    if (error.reason === "unknown_cert_sn")
      return {
        code: "alipay_cert_unknown",
        detail: `The gateway accepted the request, but ${error.message.replace(/^[^ ]+ response is /, "its answer is ")}.`,
      };
    return {
      code: "gateway_key_mismatch",
      detail:
        error.reason === "missing_sign"
          ? "The gateway accepted the request but its answer carried no signature."
          : "The gateway accepted the request's signature, but its signed answer does not verify with the configured Alipay public key.",
    };
  }
  if (error instanceof AlipayTimeoutError)
    return { code: "gateway_unreachable", detail: `No answer within ${error.timeoutMs} ms.` };
  if (error instanceof AlipayNetworkError) {
    return {
      code: "gateway_unreachable",
      detail:
        error.httpStatus !== undefined
          ? `The gateway answered HTTP ${error.httpStatus}.`
          : `Connection failed (${error.message}).`,
    };
  }
  if (error instanceof AlipayResponseError)
    return {
      code: "gateway_unreachable",
      detail: "The answer was not an Alipay gateway response (is the URL right?).",
    };
  return {
    code: "gateway_unreachable",
    detail: `Unexpected error: ${error instanceof Error ? error.name : "unknown"}.`,
  };
}

function inspectStep(
  name: StepName,
  text: string | undefined,
  expected: "private" | "public",
  label: string,
  steps: CheckStep[],
): KeyInspection | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const inspection = inspectKey(text);
  const fatal = inspection.issues.some((i) => i.severity === "fatal");
  if (fatal || inspection.key === undefined) {
    steps.push({ name, status: "fail", code: "wrong_format", detail: `${label}: ${issueText(inspection)}` });
    return inspection;
  }
  if (inspection.kind !== expected) {
    steps.push({
      name,
      status: "fail",
      code: "wrong_format",
      detail:
        expected === "public"
          ? `${label} is a private key. Only Alipay's public key belongs here; remove this private key from that setting.`
          : `${label} is a public key, not a private key.`,
    });
    return Object.assign({}, inspection, { key: undefined });
  }
  const blocking = inspection.issues.filter(
    (i) =>
      i.code === "pkcs1_private" || i.code === "pkcs1_public" || i.code === "label_mismatch" || i.code === "small_key",
  );
  const cosmetic = inspection.issues.filter((i) => i.severity === "fixable" && !blocking.includes(i));
  if (blocking.length > 0) {
    steps.push({
      name,
      status: "fail",
      code: "wrong_format",
      detail: `${label}: ${blocking.map((i) => i.message).join(" ")} (fingerprint ${fingerprint(inspection.key)})`,
    });
  } else if (cosmetic.length > 0) {
    steps.push({
      name,
      status: "warn",
      detail: `${label} is readable but untidy: ${cosmetic.map((i) => i.message).join(" ")} (fingerprint ${fingerprint(inspection.key)})`,
    });
  } else {
    steps.push({
      name,
      status: "pass",
      detail: `${label} is a ${inspection.modulusBits ?? "?"}-bit ${expected === "private" ? "PKCS#8" : "SPKI"} key (fingerprint ${fingerprint(inspection.key)}).`,
    });
  }
  return inspection;
}

function finish(steps: CheckStep[], fingerprints: KeyCheckResult["fingerprints"]): KeyCheckResult {
  const failed = steps.find((s) => s.status === "fail");
  return { ok: failed === undefined, diagnosis: diagnosisFor(failed?.code ?? "ok"), steps, fingerprints };
}

/**
 * Checks a key configuration locally and against the gateway. Never throws for a bad
 * configuration (that is a diagnosis); never includes key material in the result.
 */
export async function checkKeys(config: KeyCheckConfig, deps: KeyCheckDeps = {}): Promise<KeyCheckResult> {
  const result = await checkKeySetup(config, deps);
  if (config.merchantFields !== undefined) result.steps.push(merchantFieldsStep(config.merchantFields));
  return result;
}

/** Warns for every scope whose pays would go without `secondary_merchant_id` or `store_id`. */
export function merchantFieldsStep(scopes: ReadonlyArray<MerchantFieldsScope>): CheckStep {
  const gaps = scopes
    .map((s) => {
      const fields = s.fields ?? ["secondary_merchant_id", "store_id"];
      const isMissing = (f: "secondary_merchant_id" | "store_id"): boolean =>
        fields.includes(f) && !(f === "store_id" ? s.storeId : s.secondaryMerchantId);
      return { scope: s.scope, missing: (["secondary_merchant_id", "store_id"] as const).filter(isMissing) };
    })
    .filter((g) => g.missing.length > 0);
  if (gaps.length === 0)
    return {
      name: "merchant_fields",
      status: "pass",
      detail: `Every pay carries its merchant fields (${scopes.length} checked).`,
    };
  return {
    name: "merchant_fields",
    status: "warn",
    detail: `Pays would go without fields Antom documents as mandatory in extend_info (the gateway may refuse them or risk control may stop them): ${gaps.map((g) => `${g.scope}: ${g.missing.join(", ")}`).join("; ")}.`,
  };
}

async function checkKeySetup(config: KeyCheckConfig, deps: KeyCheckDeps): Promise<KeyCheckResult> {
  const steps: CheckStep[] = [];
  const fingerprints: KeyCheckResult["fingerprints"] = {};
  const protocol = config.protocol ?? "mapi";
  const isMd5 = config.signType === "MD5";

  const missing: string[] = [];
  if (protocol === "mapi" && !config.partnerId) missing.push("ALIPAY_PARTNER_ID");
  if (protocol === "openapi" && !config.appId) missing.push("ALIPAY_APP_ID");
  if (protocol === "openapi" && isMd5) missing.push("ALIPAY_SIGN_TYPE (the Open Platform signs with RSA2, not MD5)");
  if (protocol === "antom" && !config.clientId) missing.push("ALIPAY_ANTOM_CLIENT_ID (Antom Dashboard → Developer)");
  if (protocol === "antom" && config.signType !== "RSA2")
    missing.push("ALIPAY_SIGN_TYPE=RSA2 (Antom signs with RSA256, SHA256withRSA, only)");
  if (isMd5 && !config.md5Key) missing.push("ALIPAY_MD5_KEY");
  if (!isMd5 && !config.privateKey?.trim()) missing.push("ALIPAY_PRIVATE_KEY or ALIPAY_PRIVATE_KEY_FILE");
  const certMode = isCertMode(config);
  if (certMode && protocol !== "openapi")
    missing.push(
      "ALIPAY_PROTOCOL=openapi (public-key certificates are an Open Platform mode; unset the ALIPAY_*_CERT variables for MAPI)",
    );
  if (certMode && config.alipayPublicKey?.trim()) {
    steps.push({
      name: "config",
      status: "fail",
      code: "cert_missing",
      detail:
        "Both ALIPAY_PUBLIC_KEY and certificates are set: use one mode. In certificate mode, unset ALIPAY_PUBLIC_KEY(_FILE).",
    });
    return finish(steps, fingerprints);
  }
  if (!isMd5 && !certMode && !config.alipayPublicKey?.trim())
    missing.push("ALIPAY_PUBLIC_KEY or ALIPAY_PUBLIC_KEY_FILE");
  if (missing.length > 0) {
    steps.push({ name: "config", status: "fail", code: "config_missing", detail: `Missing: ${missing.join(", ")}.` });
    return finish(steps, fingerprints);
  }
  steps.push({
    name: "config",
    status: "pass",
    detail: `${
      protocol === "mapi"
        ? `Partner ${config.partnerId ?? ""}`
        : protocol === "antom"
          ? `Client ${config.clientId ?? ""} (key version ${config.keyVersion ?? "1"})`
          : `App ${config.appId ?? ""}`
    }, sign type ${config.signType}, gateway ${config.gatewayUrl}.`,
  });

  let privateKeyPem: string | undefined;
  let alipayPublicKeyPem: string | undefined;
  let md5Key = config.md5Key;
  if (isMd5) {
    const trimmed = (config.md5Key ?? "").trim();
    if (trimmed !== config.md5Key || !/^[A-Za-z0-9]{32}$/.test(trimmed)) {
      steps.push({
        name: "config",
        status: "warn",
        detail:
          trimmed !== config.md5Key
            ? "ALIPAY_MD5_KEY has leading or trailing whitespace; the check uses it trimmed, but the server may not."
            : `ALIPAY_MD5_KEY is ${trimmed.length} characters; Alipay's MD5 keys are 32 letters and digits.`,
      });
    }
    md5Key = trimmed;
  } else {
    const priv = inspectStep(
      "private_key_format",
      config.privateKey,
      "private",
      "The private key (ALIPAY_PRIVATE_KEY)",
      steps,
    );
    const pub = certMode
      ? undefined
      : inspectStep(
          "alipay_public_key_format",
          config.alipayPublicKey,
          "public",
          "Alipay's public key (ALIPAY_PUBLIC_KEY)",
          steps,
        );
    if (priv?.key) {
      privateKeyPem = normalisePrivateKey(priv.key);
      fingerprints.privateKey = fingerprint(priv.key);
    }
    if (pub?.key) {
      alipayPublicKeyPem = normalisePublicKey(pub.key);
      fingerprints.alipayPublicKey = fingerprint(pub.key);
    }
    if (priv?.key && pub?.key && isMatchingPair(priv.key, pub.key)) {
      steps.push({
        name: "local_pair",
        status: "fail",
        code: "gateway_key_mismatch",
        detail:
          "ALIPAY_PUBLIC_KEY is the public half of the kiosk's own private key. It must be Alipay's public key, a different key shown next to yours in the merchant portal.",
      });
    }
    if (config.uploadedPublicKey !== undefined) {
      const uploaded = inspectStep(
        "uploaded_public_key",
        config.uploadedPublicKey,
        "public",
        "The uploaded merchant public key",
        steps,
      );
      if (uploaded?.key) fingerprints.uploadedPublicKey = fingerprint(uploaded.key);
      if (priv?.key && uploaded?.key) {
        const matches = isMatchingPair(priv.key, uploaded.key);
        steps.push(
          matches
            ? {
                name: "local_pair",
                status: "pass",
                detail: `The private key matches the uploaded public key (${fingerprints.privateKey ?? ""}).`,
              }
            : {
                name: "local_pair",
                status: "fail",
                code: "pair_mismatch",
                detail: `The private key (${fingerprints.privateKey ?? "?"}) is not the pair of the uploaded public key (${fingerprints.uploadedPublicKey ?? "?"}).`,
              },
        );
      }
    }
    if (certMode) {
      const certs = checkCertificates(
        config,
        privateKeyPem === undefined ? undefined : createPrivateKey(privateKeyPem),
        (deps.now ?? Date.now)(),
      );
      steps.push(...certs.steps);
      if (certs.sns === undefined || certs.steps.some((s) => s.status === "fail")) {
        steps.push({ name: "gateway_query", status: "skip", detail: "Skipped: the certificates are not usable." });
        return finish(steps, fingerprints);
      }
    }
    if (privateKeyPem === undefined || (alipayPublicKeyPem === undefined && !certMode)) {
      steps.push({ name: "gateway_query", status: "skip", detail: "Skipped: a key could not be read." });
      return finish(steps, fingerprints);
    }
  }

  const transport = new DateCapturingTransport(deps.transport ?? new FetchTransport());
  const clientConfig: AlipayClientConfig =
    protocol === "antom"
      ? {
          protocol: "antom",
          gatewayUrl: new URL(config.gatewayUrl).origin,
          clientId: config.clientId ?? "",
          keyVersion: config.keyVersion ?? "1",
          ...(privateKeyPem ? { privateKey: privateKeyPem } : {}),
          ...(alipayPublicKeyPem ? { alipayPublicKey: alipayPublicKeyPem } : {}),
          ...(config.allowInsecureHttp ? { allowInsecureHttp: true } : {}),
        }
      : protocol === "openapi"
        ? {
            protocol: "openapi",
            gatewayUrl: config.gatewayUrl,
            appId: config.appId ?? "",
            signType: config.signType === "RSA" ? "RSA" : "RSA2",
            ...(privateKeyPem ? { privateKey: privateKeyPem } : {}),
            ...(alipayPublicKeyPem ? { alipayPublicKey: alipayPublicKeyPem } : {}),
            ...(certMode
              ? {
                  appCert: config.appCert ?? "",
                  alipayCert: config.alipayCert ?? "",
                  alipayRootCert: config.alipayRootCert ?? "",
                  ...(config.alipayNextCert?.trim() ? { alipayNextCert: config.alipayNextCert } : {}),
                }
              : {}),
            ...(config.allowInsecureHttp ? { allowInsecureHttp: true } : {}),
          }
        : {
            protocol: "mapi",
            gatewayUrl: config.gatewayUrl,
            partnerId: config.partnerId ?? "",
            signType: config.signType,
            ...(isMd5 ? { md5Key } : {}),
            ...(privateKeyPem ? { privateKey: privateKeyPem } : {}),
            ...(alipayPublicKeyPem ? { alipayPublicKey: alipayPublicKeyPem } : {}),
            ...(config.allowInsecureHttp ? { allowInsecureHttp: true } : {}),
            merchant: {},
          };
  let client: ReturnType<typeof createAlipayClient>;
  try {
    client = createAlipayClient(clientConfig, { transport });
  } catch (error) {
    const message = error instanceof AlipayConfigError ? error.message : "the client could not be built";
    steps.push({
      name: "gateway_query",
      status: "fail",
      code: "config_missing",
      detail: `The configuration was refused: ${message}`,
    });
    return finish(steps, fingerprints);
  }
  const probeId = deps.probeId?.() ?? `KEYCHECK${randomBytes(10).toString("hex").toUpperCase()}`;
  try {
    const result = await client.query(
      { partnerTransId: probeId, currency: config.currency ?? "USD" },
      { timeoutMs: deps.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS },
    );
    steps.push({
      name: "gateway_query",
      status: "pass",
      detail: `The gateway accepted the signed query for ${probeId} and its signed answer verified (answer: ${result.status}).`,
    });
  } catch (error) {
    const { code, detail } = classifyGatewayError(error, config.signType);
    steps.push({ name: "gateway_query", status: "fail", code, detail: `Query for ${probeId}: ${detail}` });
  }
  checkClock(transport.lastDate, (deps.now ?? Date.now)(), deps.maxClockSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS, steps);
  return finish(steps, fingerprints);
}

function checkClock(dateHeader: string | undefined, now: number, maxSkewMs: number, steps: CheckStep[]): void {
  const gatewayMs = dateHeader === undefined ? Number.NaN : Date.parse(dateHeader);
  if (Number.isNaN(gatewayMs)) {
    steps.push({
      name: "clock",
      status: "skip",
      detail: "The gateway sent no usable Date header; the clock was not compared.",
    });
    return;
  }
  const skewMs = now - gatewayMs;
  const seconds = Math.round(skewMs / 1000);
  const text = `This machine's clock is ${Math.abs(seconds)} s ${seconds >= 0 ? "ahead of" : "behind"} the gateway's.`;
  // HTTP dates have one-second resolution and the answer takes time: allow a few seconds.
  if (Math.abs(skewMs) > maxSkewMs) steps.push({ name: "clock", status: "fail", code: "clock_skew", detail: text });
  else steps.push({ name: "clock", status: Math.abs(skewMs) > 60_000 ? "warn" : "pass", detail: text });
}
