/** OpenAPI client configuration (zod, strict) and certificate-mode texts. */
import { z } from "zod";
import type { CertModeTexts } from "./cert-mode.ts";
import { AlipayConfigError } from "../errors.ts";
import { commonShape, idText, readKeyText } from "../shared/config.ts";
import type { ReadTextFile } from "../shared/contract.ts";
import { PARTNER_ID_PATTERN } from "../shared/ids.ts";

export const OpenApiConfigSchema = z.strictObject({
  protocol: z.literal("openapi"),
  ...commonShape,
  /**
   * Public-key certificate mode (instead of `alipayPublicKey`): the app's certificate
   * (`appCertPublicKey_<appId>.crt`), PEM text or file. Requests then carry `app_cert_sn`
   * and `alipay_root_cert_sn`, and responses are verified with Alipay's certificate.
   */
  appCert: z.string().min(1).optional(),
  appCertFile: z.string().min(1).optional(),
  /** Certificate mode: Alipay's certificate (`alipayCertPublicKey_RSA2.crt`). */
  alipayCert: z.string().min(1).optional(),
  alipayCertFile: z.string().min(1).optional(),
  /** Certificate mode: Alipay's root bundle (`alipayRootCert.crt`). */
  alipayRootCert: z.string().min(1).optional(),
  alipayRootCertFile: z.string().min(1).optional(),
  /** Certificate mode: an announced next Alipay certificate, accepted by its `alipay_cert_sn`. */
  alipayNextCert: z.string().min(1).optional(),
  alipayNextCertFile: z.string().min(1).optional(),
  appId: z.string().regex(/^\d{16}$/),
  /**
   * The merchant's 2088 user id (PID), which notifications carry as `seller_id`. Without it a
   * notification that names a seller cannot be proven ours and settles nothing.
   */
  sellerId: z.string().regex(PARTNER_ID_PATTERN).optional(),
  /** @default "RSA2" */
  signType: z.enum(["RSA", "RSA2"]).default("RSA2"),
  appAuthToken: z.string().min(1).optional(),
  storeId: idText.optional(),
  terminalId: idText.optional(),
  /** Unpaid trades auto-close after this (`timeout_express`). @default "5m" (face-to-face default is 3h) */
  timeoutExpress: z
    .string()
    .regex(/^\d{1,3}[mhd]$/)
    .default("5m"),
  settleCurrency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
});

export type OpenApiConfig = z.input<typeof OpenApiConfigSchema>;
export type ParsedOpenApiConfig = z.output<typeof OpenApiConfigSchema>;

/** Certificate-mode texts, or `undefined` when no certificate option is given. */
export function readCertTexts(
  config: {
    appCert?: string | undefined;
    appCertFile?: string | undefined;
    alipayCert?: string | undefined;
    alipayCertFile?: string | undefined;
    alipayRootCert?: string | undefined;
    alipayRootCertFile?: string | undefined;
    alipayNextCert?: string | undefined;
    alipayNextCertFile?: string | undefined;
  },
  readFile: ReadTextFile,
): CertModeTexts | undefined {
  const appCert = readKeyText(config.appCert, config.appCertFile, "appCert", readFile);
  const alipayCert = readKeyText(config.alipayCert, config.alipayCertFile, "alipayCert", readFile);
  const alipayRootCert = readKeyText(config.alipayRootCert, config.alipayRootCertFile, "alipayRootCert", readFile);
  const alipayNextCert = readKeyText(config.alipayNextCert, config.alipayNextCertFile, "alipayNextCert", readFile);
  const given = [appCert, alipayCert, alipayRootCert, alipayNextCert];
  if (given.every((t) => t === undefined)) return undefined;
  if (appCert === undefined || alipayCert === undefined || alipayRootCert === undefined) {
    throw new AlipayConfigError(
      "Invalid Alipay client configuration: certificate mode needs appCert, alipayCert and alipayRootCert (text or file)",
    );
  }
  return { appCert, alipayCert, alipayRootCert, alipayNextCert };
}
