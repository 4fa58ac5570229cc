/** MAPI client configuration (zod, strict: unknown keys are rejected). */
import { z } from "zod";
import { commonShape, idText } from "../shared/config.ts";
import { PARTNER_ID_PATTERN } from "../shared/ids.ts";

export const MerchantSchema = z
  .strictObject({
    secondaryMerchantId: idText.optional(),
    secondaryMerchantName: z.string().min(1).max(128).optional(),
    secondaryMerchantIndustry: z
      .string()
      .regex(/^\d{4}$/)
      .optional(),
    storeId: idText.optional(),
    storeName: z.string().min(1).max(128).optional(),
    terminalId: idText.optional(),
    sysServiceProviderId: z.string().min(1).max(64).optional(),
  })
  .prefault({});

export const MapiConfigSchema = z.strictObject({
  protocol: z.literal("mapi"),
  ...commonShape,
  /** 16-digit partner id starting 2088. */
  partnerId: z.string().regex(PARTNER_ID_PATTERN),
  signType: z.enum(["MD5", "RSA", "RSA2"]),
  /** MD5 key (MD5 sign type only). */
  md5Key: z.string().min(1).optional(),
  /** @default "POST" */
  httpMethod: z.enum(["POST", "GET"]).default("POST"),
  /** Secondary merchant / store / terminal sent in `extend_info`. */
  merchant: MerchantSchema,
});

export type MapiConfig = z.input<typeof MapiConfigSchema>;
export type ParsedMapiConfig = z.output<typeof MapiConfigSchema>;
